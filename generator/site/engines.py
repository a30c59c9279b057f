"""The site engines caseload builds with, and the one `CASELOAD_ENGINE` chooses.

MkDocs 1.x is no longer maintained and mkdocs-material, its theme, ends its
life on 2027-05-05; ProperDocs is a maintained fork of MkDocs 1.x with the same
configuration, the same Python API and the same theme. Both run the very code
of `engine.py`. ProperDocs makes `import mkdocs...` import its own modules (an
import hook, the way Material and every other plugin reach it), which cannot
share a process with the real MkDocs: it builds in a process of its own
(`engine_process.py`).

This module imports no engine: the command line checks the choice before any
work is done.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass

from generator.errors import SiteBuildError

VARIABLE = "CASELOAD_ENGINE"


@dataclass(frozen=True)
class Engine:
    name: str  # as CASELOAD_ENGINE names it, and in the engine's fingerprint
    package: str  # its distribution: the version that goes into the fingerprint
    label: str  # for messages
    in_process: bool  # False: it builds in a process of its own (engine_process.py)
    hook: str | None = None  # imported first in that process: makes `mkdocs` this engine


MKDOCS = Engine("mkdocs", "mkdocs", "MkDocs", in_process=True)
PROPERDOCS = Engine("properdocs", "properdocs", "ProperDocs", in_process=False,
                    hook="properdocs.replacement")
ENGINES = {engine.name: engine for engine in (MKDOCS, PROPERDOCS)}


def chosen_engine(environ: Mapping[str, str] | None = None) -> Engine:
    """The engine `CASELOAD_ENGINE` names (unset or empty: MkDocs); SiteBuildError, one
    line, for a name caseload does not know or an engine that is not installed."""
    value = (os.environ if environ is None else environ).get(VARIABLE, "")
    engine = ENGINES.get(value or MKDOCS.name)
    if engine is None:
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise SiteBuildError(f"{VARIABLE}={shown!r} is not a site engine caseload knows; "
                             f"use {' or '.join(ENGINES)} (unset: {MKDOCS.name})")
    if importlib.util.find_spec(engine.package) is None:
        raise SiteBuildError(f"{VARIABLE}={engine.name} needs {engine.label}, which is not "
                             f"installed: pip install 'caseload[{engine.name}]'")
    return engine

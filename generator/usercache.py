"""The user's cache folder for caseload, shared by the stages that keep a cache.

A leaf module: the parse cache (reading) and the record of a site's page files
(site) both live below it, never in a workspace or a site.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/caseload`` when that is an absolute path, else
    ``~/.cache/caseload`` (the XDG specification: a relative value is to be
    ignored; it would put health information wherever the command happens to run)."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "caseload"

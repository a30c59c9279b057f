"""The site's settings, as checked plain data (what reading/sitesettings.py makes of
mkdocs.yml): the engine is handed these, never the user's file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SiteSettings:
    """Checked site settings: plain data (text, numbers, true/false, lists, mappings).

    `path` is the file they were read from; the engine resolves relative paths
    against its folder but never opens it.
    """

    path: str
    values: dict[str, Any]

"""Reading: workspace files → the validated model.

The one seam is `read_workspace` (and `load_workspace` below it). `exact` reads a
file with every error and its line, `fast` reads plainly valid files faster, and
`cache` keeps what they read; nothing outside this package imports `fast` or
`cache`, so no rule or template author ever meets them.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator.model.records import Caseload
from generator.reading.audit import read_audit_request, read_audit_requests, request_files
from generator.reading.cache import (
    KEEP_DAYS,
    CachedWorkspace,
    ParseCache,
    cache_root,
    cached_workspaces,
    clear_cache,
)
from generator.reading.exact import InputError, WorkspaceInvalid, load_workspace, payer_ids
from generator.reading.sitesettings import read_site_settings

__all__ = [
    "KEEP_DAYS",
    "CachedWorkspace",
    "InputError",
    "WorkspaceInvalid",
    "cache_root",
    "cached_workspaces",
    "clear_cache",
    "load_workspace",
    "payer_ids",
    "read_audit_request",
    "read_audit_requests",
    "read_site_settings",
    "read_workspace",
    "request_files",
]


def read_workspace(workspace: Path) -> Caseload:
    """The validated caseload of `workspace`, through the parse cache unless
    CASELOAD_NO_CACHE=1 asks to read every file afresh (for benchmarks and doubt)."""
    cache = None if os.environ.get("CASELOAD_NO_CACHE") else ParseCache(workspace)
    return load_workspace(workspace, cache)

"""Where a snapshot is put together before it is renamed into place.

``snapshots/.staging-DATE-XXXXXXXX/`` holds a whole copy of the caseload while
the snapshot is built. Should the process be killed, it stays behind, so:

* it holds a ``.gitignore`` of ``*`` from its first moment until just before the
  rename, so that ``git add -A`` (or ``git add snapshots``) never stages it; the
  ``.gitignore`` that ``caseload init`` writes ignores ``/snapshots/.staging-*``
  too;
* every later run that holds the workspace's lock (``build``, ``serve``,
  ``snapshot``) deletes such folders: no live snapshot can be using one then.

A tiny module of its own, so that ``build`` can tidy without loading the rest of
the snapshot code.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from generator.private import write_private

PREFIX = ".staging-"
IGNORE_ALL = ".gitignore"
_LEFTOVER = re.compile(re.escape(PREFIX) + r"\d{4}-\d{2}-\d{2}-[a-z0-9_]{8}")


def make_staging(snapshots: Path, name: str) -> Path:
    """A new private staging folder in `snapshots` that git does not see."""
    staging = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{name}-", dir=snapshots))
    write_private(staging / IGNORE_ALL, b"# caseload: a snapshot being written; not for git\n*\n")
    return staging


def unhide(staging: Path) -> None:
    """Take the staging folder's `.gitignore` away, just before it becomes the snapshot."""
    (staging / IGNORE_ALL).unlink()


def remove_leftovers(snapshots: Path) -> list[str]:
    """Delete the staging folders of killed snapshots; call with the workspace's lock
    held. Returns their names."""
    try:
        entries = list(os.scandir(snapshots))
    except OSError:
        return []
    removed = []
    for entry in entries:
        if _LEFTOVER.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
    return sorted(removed)

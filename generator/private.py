"""Files that hold client information are private to their owner."""

from __future__ import annotations

import os
from pathlib import Path


def make_private(root: Path) -> None:
    """Folders 0700 and files 0600, for `root` and everything below it.

    Links are never followed: a link, to a file or a folder, is left as it is, and
    so is whatever it points to (which may be anywhere, and not ours to change).
    """
    if os.path.islink(root):
        return
    os.chmod(root, 0o700)
    pending = [os.fspath(root)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    os.chmod(entry.path, 0o700)
                    pending.append(entry.path)
                else:
                    os.chmod(entry.path, 0o600)

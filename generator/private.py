"""Files that hold client information are private to their owner."""

from __future__ import annotations

import os
from pathlib import Path


def make_private(root: Path) -> None:
    """Folders 0700 and files 0600, for `root` and everything below it."""
    os.chmod(root, 0o700)
    for folder, dirnames, filenames in os.walk(root):
        for name in dirnames:
            os.chmod(os.path.join(folder, name), 0o700)
        for name in filenames:
            os.chmod(os.path.join(folder, name), 0o600)

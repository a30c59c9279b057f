"""Files that hold client information are private to their owner."""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE, FILE_MODE = 0o700, 0o600


def make_private(root: Path) -> None:
    """Folders 0700 and files 0600, for `root` and everything below it."""
    os.chmod(root, FOLDER_MODE)
    for folder, dirnames, filenames in os.walk(root):
        for name in dirnames:
            os.chmod(os.path.join(folder, name), FOLDER_MODE)
        for name in filenames:
            os.chmod(os.path.join(folder, name), FILE_MODE)

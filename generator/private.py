"""Files that hold client information are private to their owner."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FOLDER_MODE, FILE_MODE = 0o700, 0o600


def make_private(root: Path) -> None:
    """Folders 0700 and files 0600, for `root` and everything below it.

    Links are never followed: a link, to a file or a folder, is left as it is, and
    so is whatever it points to (which may be anywhere, and not ours to change).
    """
    if os.path.islink(root):
        return
    os.chmod(root, FOLDER_MODE)
    pending = [os.fspath(root)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    os.chmod(entry.path, FOLDER_MODE)
                    pending.append(entry.path)
                else:
                    os.chmod(entry.path, FILE_MODE)


def make_private_folders(folder: Path) -> list[Path]:
    """Create `folder` and whatever of its parents is missing, each 0700 whatever
    the umask; return the folders made, outermost first. Existing ones are left as
    they are. OSError names the folder that could not be made."""
    missing: list[Path] = []
    here = Path(os.path.abspath(folder))
    while not os.path.lexists(here):
        missing.append(here)
        if here.parent == here:
            break
        here = here.parent
    made: list[Path] = []
    for path in reversed(missing):
        os.mkdir(path, FOLDER_MODE)
        made.append(path)
        os.chmod(path, FOLDER_MODE)  # mkdir's mode is cut by the umask; never widened
    return made


def write_private(path: Path, data: bytes) -> None:
    """Write a new file (never an existing one), 0600 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
    try:
        if hasattr(os, "fchmod"):  # not on Windows before Python 3.13
            os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)

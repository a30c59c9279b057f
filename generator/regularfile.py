"""Read a file only when it is a regular file, and never wait doing it.

A FIFO (named pipe) opened for reading waits for a writer forever, and a
character device such as /dev/zero reports a size of 0 and then never ends, so
"check the size, then read" is no guard. Every file caseload reads from a
workspace or a snapshot comes through here: looked at, opened with O_NONBLOCK
(opening a FIFO then returns at once), looked at again through the open
descriptor (so nothing swapped in meanwhile is read), and read with a limit.

A leaf module: it imports nothing of caseload's, so any stage may use it.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

# The most any one workspace file may hold: more is a mistake (an export pasted
# whole), and reading it would only spend memory.
MAX_FILE_BYTES = 32 * 1024 * 1024

_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
               | getattr(os, "O_CLOEXEC", 0))


class NotRegularFile(Exception):
    """The path is something other than a regular file; ``str()`` says what, as
    "is a FIFO (named pipe), not a regular file"."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"is {kind}, not a regular file")
        self.kind = kind


class FileTooLarge(Exception):
    """The file holds more than the limit it was read with."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"is {size} bytes; the limit is {limit}")
        self.size, self.limit = size, limit


def kind_of(mode: int) -> str:
    """What a file of this `st_mode` is, in words: "a FIFO (named pipe)"."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _open_regular_fd(path: Path, follow: bool) -> tuple[int, os.stat_result]:
    """A descriptor open for reading on `path`, and its status, if it is a regular
    file (see `open_regular`); the caller closes it."""
    mode = os.stat(path, follow_symlinks=follow).st_mode
    # Looked at before opening, so that no device is ever opened (opening some
    # has effects of its own) and a socket gets its name rather than ENXIO.
    if not stat.S_ISREG(mode):
        raise NotRegularFile(kind_of(mode))
    fd = os.open(path, _OPEN_FLAGS if follow else _OPEN_FLAGS | _NOFOLLOW)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):  # swapped for something else meanwhile
            raise NotRegularFile(kind_of(status.st_mode))
    except BaseException:
        os.close(fd)
        raise
    return fd, status


@contextlib.contextmanager
def open_regular(path: Path, *, follow: bool = True) -> Iterator[io.BufferedReader]:
    """`path` open for reading in binary, if it is a regular file.

    NotRegularFile for anything else; OSError when the system refuses (missing,
    no permission, a loop of links). Without `follow`, a symbolic link is
    refused too rather than followed.
    """
    fd, _ = _open_regular_fd(path, follow)
    with os.fdopen(fd, "rb") as handle:
        yield handle


def read_regular(path: Path, *, follow: bool = True, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them.

    NotRegularFile, FileTooLarge or OSError otherwise (see `open_regular`). Read on
    the bare descriptor: a warm `check` reads every content file, and a buffered
    file object around each cost a sixth of it.
    """
    fd, status = _open_regular_fd(path, follow)
    try:
        if status.st_size > limit:
            raise FileTooLarge(status.st_size, limit)
        return _read_to_end(fd, status.st_size, limit)
    finally:
        os.close(fd)


def _read_to_end(fd: int, size: int, limit: int) -> bytes:
    # Asking for the size and one byte more reads a file in one call, and shows
    # one that grew since it was looked at: that is then read on, to the limit.
    data = os.read(fd, size + 1)
    if len(data) == size:  # the usual case: all of it, and the end
        return data
    chunks, total = [data], len(data)
    while data and total <= limit:
        data = os.read(fd, min(1 << 20, limit + 1 - total))
        chunks.append(data)
        total += len(data)
    if total > limit:
        raise FileTooLarge(total, limit)
    return b"".join(chunks)

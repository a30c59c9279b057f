"""Pages taken from the previous site as they are, only while they are what it made.

A warm build takes each unchanged client page from the previous site instead of
making it again (see shell.py). The previous site is only a folder on disk: a
page in it may have been edited by hand, replaced by a link to a file elsewhere,
or by something that is not a file at all. So a page is taken only when

* the previous build recorded it (in its marker) with the same key,
* it is a regular file, looked at and linked without following any link (the
  folder it is in too), and
* its bytes are the ones recorded: the SHA-256 of the page, taken from the
  bytes in hand when it was written (a build never reads its own output back).

Hashing every page again on every build would cost a warm build of 10,000
clients about a third of a second more. So, as git does for its index, each
build also writes down every page's file identity (inode, size, modification
time) as it was right after writing it, in a file of its own in the user's
cache folder (`identities_file`: inode numbers and times differ from build to
build, so they stay out of the site, which is the same bytes for the same input
and date). A page whose identity is
still the one written down is taken without being read: writing a file gives it
the clock's time (linking, renaming and chmod leave it alone). A page whose time
is not older than that file's own is "racy" (an edit in the same tick of the
file system's clock could keep it) and is hashed, as is any page whose identity
changed; one with the recorded bytes is taken, any other made afresh. What this
cannot see is an edit made on purpose to look untouched (the same size, the time
set back by hand): whoever can do that can rewrite the marker too.

Nothing here is specific to one engine.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator.usercache import cache_root

_NO_FOLLOW = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_READ_LIMIT = 1 << 30  # bytes: a marker is about 150 bytes a page
Identity = tuple[int, int, int]  # inode, size, modification time in ns


@dataclass(frozen=True)
class Written:
    """A page as written: its bytes' SHA-256 and size, the documents it links to
    (should one of them go, the page would be wrong), and, for this build only,
    the file's identity right after it was written or taken."""

    sha256: str
    size: int
    links: tuple[str, ...] = ()
    identity: Identity | None = None


@dataclass(frozen=True)
class Recorded:
    """What a build records of a page in its marker: the key it was made for, and
    how it was written (its identity aside)."""

    key: str
    written: Written

    def entry(self) -> list[Any]:
        written = self.written
        links = [list(written.links)] if written.links else []
        return [self.key, written.sha256, written.size, *links]

    @classmethod
    def of(cls, entry: Any) -> Recorded | None:
        """The record from a marker's entry, or None for anything else (an older format)."""
        if not isinstance(entry, list) or len(entry) not in (3, 4):
            return None
        key, sha256, size = entry[:3]
        links = entry[3] if len(entry) == 4 else []
        if not (isinstance(key, str) and isinstance(sha256, str) and type(size) is int
                and isinstance(links, list) and all(isinstance(link, str) for link in links)):
            return None
        return cls(key, Written(sha256, size, tuple(links)))


def write_page(target: str, data: bytes, links: tuple[str, ...] = ()) -> Written:
    """Write a new page (never through a link) and record it from the bytes in hand."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NO_FOLLOW, 0o600)
    try:
        _write_all(fd, data)
        identity = _identity(os.fstat(fd))
    finally:
        os.close(fd)
    return Written(hashlib.sha256(data).hexdigest(), len(data), links, identity)


def read_marker(path: str) -> dict[str, Any]:
    """The JSON object of a previous build's marker file, or {} when there is none
    (or it is a link, not a regular file, or not JSON)."""
    return _read_json(path)[0]


def read_identities(path: str) -> tuple[dict[str, Identity], int]:
    """The page identities a previous build wrote down, and the time of the file
    that holds them (pages not older than that are not vouched for)."""
    document, mtime_ns = _read_json(path)
    pages = document.get("pages")
    found: dict[str, Identity] = {}
    if isinstance(pages, dict):
        for name, identity in pages.items():
            if isinstance(identity, list) and len(identity) == 3 \
                    and all(type(n) is int for n in identity):
                found[name] = (identity[0], identity[1], identity[2])
    return found, mtime_ns


def identities_file(site_dir: Path) -> Path:
    """Where the page identities of the site in `site_dir` are written down: in the
    user's cache folder, one file per site folder, never in the site itself."""
    name = hashlib.sha256(str(site_dir.resolve()).encode("utf-8")).hexdigest()[:24]
    return cache_root() / "sites" / f"{name}.json"


def write_identities(path: str, written: dict[str, Written]) -> None:
    """Write down the identity of every page of this build (see the module's notes):
    a new file beside `path`, renamed over it, owner-only in an owner-only folder."""
    pages = {name: list(page.identity) for name, page in written.items() if page.identity}
    about = "Per build: which page files the next build may take without reading them."
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NO_FOLLOW, 0o600)
    try:
        _write_all(fd, json.dumps({"about": about, "pages": pages}, sort_keys=True,
                                  separators=(",", ":")).encode("utf-8") + b"\n")
    finally:
        os.close(fd)
    os.replace(temporary, path)


class Previous:
    """The previous site's folder of alike pages, opened without following a link.

    Use as a context manager; `take` links (or copies) a recorded page into the
    new site's folder when it is still the page that was recorded.
    """

    def __init__(self, old_folder: str, new_folder: str, identities: dict[str, Identity],
                 vouched_before_ns: int) -> None:
        self.old_folder, self.new_folder = old_folder, new_folder
        self.identities, self.vouched_before_ns = identities, vouched_before_ns
        self.old: int | None = None
        self.new: int | None = None

    def __enter__(self) -> Previous:
        os.makedirs(self.new_folder, mode=0o700, exist_ok=True)
        self.new = os.open(self.new_folder, os.O_RDONLY | os.O_DIRECTORY | _NO_FOLLOW)
        try:  # a folder that is a link, or not there: nothing to take
            self.old = os.open(self.old_folder, os.O_RDONLY | os.O_DIRECTORY | _NO_FOLLOW)
        except OSError:
            self.old = None
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in (self.old, self.new):
            if fd is not None:
                os.close(fd)
        self.old = self.new = None

    def take(self, name: str, recorded: Written) -> Written | None:
        """The page `name` of the previous site, now in the new one too, if it is what
        was recorded; None (and nothing in the new folder) if it must be made afresh."""
        if self.old is None or self.new is None:
            return None
        try:
            os.link(name, name, src_dir_fd=self.old, dst_dir_fd=self.new,
                    follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError:  # no hard links here (another file system, a limit): copy it
            return self._copy(name, recorded)
        try:
            found = os.stat(name, dir_fd=self.new, follow_symlinks=False)
            identity = _identity(found)
            if stat.S_ISREG(found.st_mode) and found.st_size == recorded.size and (
                    (self.identities.get(name) == identity
                     and found.st_mtime_ns < self.vouched_before_ns)
                    or self._sha256(name) == recorded.sha256):
                return replace(recorded, identity=identity)
        except OSError:
            pass
        # A link, a FIFO, a device, an edited page: not what the previous build made.
        os.unlink(name, dir_fd=self.new)
        return None

    def _sha256(self, name: str) -> str | None:
        fd = os.open(name, os.O_RDONLY | _NO_FOLLOW, dir_fd=self.new)
        try:
            info = os.fstat(fd)
            return hashlib.sha256(_read_all(fd, info.st_size)).hexdigest() \
                if stat.S_ISREG(info.st_mode) else None
        finally:
            os.close(fd)

    def _copy(self, name: str, recorded: Written) -> Written | None:
        assert self.old is not None and self.new is not None
        try:
            fd = os.open(name, os.O_RDONLY | _NO_FOLLOW, dir_fd=self.old)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size != recorded.size:
                return None
            data = _read_all(fd, info.st_size)
        finally:
            os.close(fd)
        if hashlib.sha256(data).hexdigest() != recorded.sha256:
            return None
        out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW, 0o600,
                      dir_fd=self.new)
        try:
            _write_all(out, data)
            return replace(recorded, identity=_identity(os.fstat(out)))
        finally:
            os.close(out)


def _identity(info: os.stat_result) -> Identity:
    return info.st_ino, info.st_size, info.st_mtime_ns


def _read_json(path: str) -> tuple[dict[str, Any], int]:
    """A JSON object from a regular file (never through a link, never waiting on a
    FIFO), and the file's modification time; ({}, 0) for anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | _NO_FOLLOW)
    except OSError:
        return {}, 0
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _READ_LIMIT:
            return {}, 0
        document = json.loads(_read_all(fd, info.st_size))
    except (OSError, ValueError):
        return {}, 0
    finally:
        os.close(fd)
    return (document, info.st_mtime_ns) if isinstance(document, dict) else ({}, 0)


def _read_all(fd: int, size: int) -> bytes:
    parts = []
    while chunk := os.read(fd, max(size, 1 << 16)):
        parts.append(chunk)
    return b"".join(parts)


def _write_all(fd: int, data: bytes) -> None:
    with memoryview(data) as view:
        done = 0
        while done < len(view):
            done += os.write(fd, view[done:])

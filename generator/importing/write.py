"""Writing an import's files so that an interruption never leaves one half-written.

Each file is written to a temporary file in its own folder, flushed to disk
(fsync), and only then moved over the old one (os.replace, one step), so every
file is always either as it was or as the import made it. Files are written in
batches, one folder at a time in the order given (client files before the
ledgers that name them): the batch's files are all flushed (a few at a time:
the disk takes them together) before any is moved into place, and the folder
itself is flushed after, so the next batch starts only when this one is on
disk. Files are private to their owner (0600), new folders too (0700).

While it writes, an import holds a lock on the workspace's content folder (where
the system has one), so two imports never write at once; holding it, it also
removes temporary files an earlier, interrupted import left behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover (Windows: no advisory locks; imports are rare)
    fcntl = None  # type: ignore[assignment]

TEMPORARY_PREFIX = ".caseload-import-"
TEMPORARY_SUFFIX = ".tmp"
FLUSHING_THREADS = 8


class WriteFailed(Exception):
    def __init__(self, relative: str, reason: str, written: list[str]) -> None:
        super().__init__(f"{relative}: {reason}")
        self.relative = relative
        self.reason = reason
        self.written = written


class WorkspaceBusy(Exception):
    """Another import is writing to this workspace."""


@contextlib.contextmanager
def import_lock(workspace: Path, folders: tuple[str, ...]) -> Iterator[None]:
    """Hold the workspace's import lock; remove what an interrupted import left in `folders`."""
    content = workspace / "content"
    descriptor = os.open(content, os.O_RDONLY) if fcntl is not None and content.is_dir() \
        else None
    try:
        if descriptor is not None:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WorkspaceBusy from None
        for folder in folders:
            path = workspace / folder
            if path.is_dir():
                for leftover in path.glob(f"{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
                    with contextlib.suppress(OSError):
                        leftover.unlink()
        yield
    finally:
        if descriptor is not None:
            os.close(descriptor)  # (closing releases the lock)


def write_files(workspace: Path, writes: list[tuple[str, str]]) -> list[str]:
    """Write each (relative path, text), batch by batch as above; the paths written."""
    written: list[str] = []
    for folder, batch in groupby(writes, key=lambda pair: str(Path(pair[0]).parent)):
        items = list(batch)
        try:
            _make_folders(workspace / folder, workspace)
        except OSError as exc:
            raise WriteFailed(items[0][0], exc.strerror or type(exc).__name__,
                              written) from None
        _write_batch(workspace, items, written)
        _sync_folder(workspace / folder)
    return written


def _write_batch(workspace: Path, items: list[tuple[str, str]], written: list[str]) -> None:
    temporary: list[tuple[str, str]] = []  # (relative, temporary path), not yet moved
    current = items[0][0]
    try:
        descriptors = []
        try:
            for relative, text in items:
                current = relative
                descriptor, path = tempfile.mkstemp(dir=(workspace / relative).parent,
                                                    prefix=TEMPORARY_PREFIX,
                                                    suffix=TEMPORARY_SUFFIX)
                descriptors.append(descriptor)
                temporary.append((relative, path))
                if hasattr(os, "fchmod"):  # mkstemp made it 0600 already; be sure
                    os.fchmod(descriptor, 0o600)
                data = text.encode("utf-8")
                view = memoryview(data)
                while view:
                    view = view[os.write(descriptor, view):]
            current = items[0][0]
            with ThreadPoolExecutor(min(FLUSHING_THREADS, len(descriptors))) as pool:
                list(pool.map(os.fsync, descriptors))
        finally:
            for descriptor in descriptors:
                os.close(descriptor)
        while temporary:
            relative, path = temporary[0]
            current = relative
            os.replace(path, workspace / relative)
            temporary.pop(0)
            written.append(relative)
    except OSError as exc:
        raise WriteFailed(current, exc.strerror or type(exc).__name__, written) from None
    finally:
        for _, path in temporary:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _make_folders(folder: Path, workspace: Path) -> None:
    missing = []
    current = folder
    while not current.exists() and current != workspace and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700)
        os.chmod(path, 0o700)
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    # Renames are on disk once their folder is flushed (not possible on every system).
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)

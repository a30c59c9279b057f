"""One build at a time: an operating-system lock on a file, through `filelock`.

Two builds of the same site at once would each swap in a site and take pages
over from the other's, leaving a mix of both. So `build`, every build of
`serve`, and `snapshot` hold locks while they work:

* ``WORKSPACE/.caseload.lock``: one of these commands at a time per workspace
  (a snapshot writes into ``snapshots/`` and commits to git). A build from a
  workspace that cannot be written in (a read-only copy) into a site folder
  elsewhere does without it: nothing else can write there either;
* ``.SITE.lock`` beside the site folder (``WORKSPACE/.site.lock`` for the
  default ``site/``, ``DIR/.NAME.lock`` for ``--site-dir DIR/NAME``): one build
  at a time per site folder, whichever workspace it is built from. It also
  keeps each build's temporary folders beside the site (``.SITE.build-*``,
  ``.SITE.docs-*``, ...) safe from the next build's clean-up.

Every process takes its locks in the same order, so two never wait for each
other. They are ``flock`` locks (``LockFileEx`` on Windows): the system drops
one when its process ends, however it ends, so a killed build never leaves a
lock that blocks the next. The lock files themselves stay (empty, 0600); the
`.gitignore` that `caseload init` writes ignores them.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from generator.errors import SiteBuildError
from generator.private import FILE_MODE

LOCK_NAME = ".caseload.lock"
WAITING = "caseload: another build of this site is running; waiting…"


def workspace_lock_file(workspace: Path) -> Path:
    return Path(os.path.realpath(workspace)) / LOCK_NAME


def site_lock_file(site_dir: Path) -> Path:
    site = Path(site_dir).absolute()
    return Path(os.path.realpath(site.parent)) / f".{site.name}.lock"


def lock_files(workspace: Path, site_dir: Path | None = None) -> list[Path]:
    """The lock files a build of `site_dir` (None: no site) from `workspace` holds, in
    the one order every process takes them."""
    files = {workspace_lock_file(workspace)}
    if site_dir is not None:
        files.add(site_lock_file(site_dir))
    return sorted(files)


_READ_ONLY = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


@contextmanager
def exclusive(paths: list[Path], waiting: Callable[[], None] | None = None,
              optional: frozenset[Path] = frozenset()) -> Iterator[bool]:
    """Hold the locks `paths`, waiting for another process that holds one (after
    calling `waiting`, once); yield whether it had to wait.

    SiteBuildError, one line, when a lock file cannot be made (a read-only folder),
    unless it is one of `optional`: that one is then done without.
    """
    waited = False
    with ExitStack() as held:
        for path in paths:
            lock = FileLock(path, mode=FILE_MODE)
            try:
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    if not waited and waiting is not None:
                        waiting()
                    waited = True
                    lock.acquire()
            except OSError as exc:
                if path in optional and exc.errno in _READ_ONLY:
                    continue
                raise SiteBuildError(f"cannot create {path}: {exc.strerror or exc}") from None
            held.callback(lock.release)
        yield waited

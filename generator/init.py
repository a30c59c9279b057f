"""`caseload init`: write a new workspace holding a small, always-current example.

The example ships as package data in ``generator/example/``. Two kinds of file
are transformed on the way out:

* ``NAME.j2`` is a Jinja template rendered to ``NAME``, with ``ago(n)`` and
  ``ahead(n)`` giving the ISO date ``n`` days before or after the day of init,
  so the example shows the same situations (an active client, a plan due soon,
  a fresh discharge) whenever it is written;
* ``gitignore`` is written as ``.gitignore`` (dotfiles slip through package
  data globs too easily).

Everything is rendered in memory first; only then are files written, into a
folder that must be empty or absent: owner-only from the first file (folders
0700, files 0600, whatever the umask), since a workspace holds health
information. A failure part-way removes what was written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from datetime import date, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from jinja2 import Environment, StrictUndefined

from generator.private import make_private_folders, write_private

RENAMED = {"gitignore": ".gitignore"}


class InitError(Exception):
    """`caseload init` cannot write here; nothing was written."""


def example_files(today: date) -> dict[str, bytes]:
    """Every file of the new workspace, by POSIX path, with dates relative to `today`."""
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    helpers = {
        "today": today.isoformat(),
        "ago": lambda n: (today - timedelta(days=n)).isoformat(),
        "ahead": lambda n: (today + timedelta(days=n)).isoformat(),
    }
    result: dict[str, bytes] = {}
    for path, resource in _walk(files("generator") / "example", PurePosixPath()):
        data = resource.read_bytes()
        if path.suffix == ".j2":
            path = path.with_suffix("")
            data = env.from_string(data.decode("utf-8")).render(**helpers).encode("utf-8")
        path = path.with_name(RENAMED.get(path.name, path.name))
        result[path.as_posix()] = data
    return dict(sorted(result.items()))


def _walk(folder: Traversable, prefix: PurePosixPath
          ) -> Iterator[tuple[PurePosixPath, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            yield from _walk(entry, prefix / entry.name)
        elif entry.is_file():
            yield prefix / entry.name, entry


def init_workspace(target: Path, today: date, *, git: bool = False) -> list[str]:
    """Write the example workspace into `target` (absent or empty); return the paths written.

    Raises InitError, before writing anything, when `target` is not an empty folder
    or (with `git`) when git is not installed.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InitError(f"{target} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()):
        raise InitError(f"{target} is not empty; caseload init only writes into a new "
                        "or empty folder")
    git_program = shutil.which("git") if git else None
    if git and git_program is None:
        raise InitError("git is not installed; install it or leave out --git")
    contents = example_files(today)
    _write_all(target, contents)
    if git_program is not None:
        _git_init(git_program, target)
    return list(contents)


def _write_all(target: Path, contents: dict[str, bytes]) -> None:
    """Write every file, owner-only from the first one: folders 0700, files 0600,
    whatever the umask (the example is a caseload, and so is what replaces it)."""
    made: list[Path] = []  # files and folders we created, in creation order
    try:
        made += make_private_folders(target)
        for name, data in contents.items():
            path = target.joinpath(*PurePosixPath(name).parts)
            made += make_private_folders(path.parent)
            write_private(path, data)  # never overwrites
            made.append(path)
    except OSError as exc:
        for path in reversed(made):
            with suppress(OSError):
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
        raise InitError(f"cannot write {target}: {exc.strerror or exc}; nothing was kept") \
            from exc


def _git_init(git: str, target: Path) -> None:
    try:
        subprocess.run([git, "init", "--quiet", str(target)], check=True,
                       capture_output=True, text=True,
                       env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except subprocess.CalledProcessError as exc:
        detail = " ".join((exc.stderr or exc.stdout or "").split()) or f"exit {exc.returncode}"
        raise InitError(f"wrote {target}, but git init failed: {detail}") from exc
    except OSError as exc:
        raise InitError(f"wrote {target}, but git init failed: {exc}") from exc

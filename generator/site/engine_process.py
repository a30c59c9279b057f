"""The site build in a process of its own, for an engine that cannot share this one.

ProperDocs makes every `import mkdocs...` import its own modules (an import
hook, installed by `engines.Engine.hook`), so that Material and the code of
`engine.py` run on it unchanged; a process that has imported the real MkDocs
(the command line has, for the default engine) cannot do that. So the build
runs `engine.build_site` in a child, ``python -P -m generator.site.engine_process``:
``-P`` so that the current folder, usually the workspace, is never searched
for modules (a workspace file named ``markdown.py`` or ``mkdocs.py`` would
otherwise run as code), and `PYTHONPATH` names the folder this very package
was imported from, so the child runs the same caseload as its parent.

The two talk in lines of JSON. The parent sends the job: the settings
caseload checked (`SiteSettings`, plain data: the child never reads
mkdocs.yml either), the folders, the navigation, the date and the keys of the
alike pages. The child answers with what `build_site` would have called back
(a warning line, progress), asks for the Markdown of the alike pages it needs
(the caseload and the templates are the parent's: it renders them, on every
core, into the docs folder both share), and ends with "done" or the one-line
error. Its standard output is the conversation alone: anything else printed
there goes to standard error, which is shown only with CASELOAD_DEBUG.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import generator
from generator.errors import SiteBuildError
from generator.model.site import SiteSettings
from generator.parallel import map_slices
from generator.site.engines import ENGINES, Engine

if TYPE_CHECKING:
    from generator.site.engine import AlikePages, Warn

MODULE = "generator.site.engine_process"
_STOP_WAIT = 30  # seconds a child gets to clean up after its parent gave up on it
# Below this many pages, starting workers costs more than it saves (as in shell.py).
_PARALLEL_FROM = 400


class _Stopped(Exception):
    """The parent went away while the child waited for it."""


# --- The parent's side ---------------------------------------------------------


def build_site_in_child(engine: Engine, settings: SiteSettings, docs_dir: Path, site_dir: Path,
                        *, site_name: str, nav: list[dict[str, str]], source_date_epoch: int,
                        alike: AlikePages | None = None, warn: Warn | None = None) -> None:
    """`engine.build_site`, run with `engine` in a child process; SiteBuildError as there."""
    docs_dir = Path(docs_dir).absolute()
    job = {"engine": engine.name,
           "settings": {"path": settings.path, "values": settings.values},
           "docs_dir": str(docs_dir), "site_dir": str(Path(site_dir).absolute()),
           "site_name": site_name, "nav": nav, "epoch": source_date_epoch,
           "alike": None if alike is None else
           {"folder": alike.folder, "keys": dict(alike.keys), "progress": bool(alike.progress)}}
    debug = bool(os.environ.get("CASELOAD_DEBUG"))
    child = subprocess.Popen([sys.executable, "-P", "-m", MODULE], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=None if debug else subprocess.DEVNULL,
                             env=_child_environment(), encoding="utf-8")
    finished = False
    try:
        _talk(child, engine, job, docs_dir, alike, warn or _no_warning)
        finished = True
    finally:
        _end(child, finished)


def _child_environment() -> dict[str, str]:
    """This environment, with the folder this package was imported from first on the path."""
    root = str(Path(generator.__file__).absolute().parent.parent)
    current = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, current] if current else [root])}


def _no_warning(line: str) -> None:
    pass


def _talk(child: subprocess.Popen[str], engine: Engine, job: dict[str, Any], docs_dir: Path,
          alike: AlikePages | None, warn: Warn) -> None:
    assert child.stdin is not None and child.stdout is not None
    _send(child.stdin, job)
    bar: AbstractContextManager[Callable[[int], None]] | None = None
    tick: Callable[[int], None] = _no_tick
    try:
        for line in child.stdout:
            message = json.loads(line)
            if "write" in message:
                assert alike is not None
                _write_pages(alike, docs_dir / alike.folder, message["write"])
                _send(child.stdin, {"written": True})
            elif "warn" in message:
                warn(message["warn"])
            elif "progress" in message and alike is not None and alike.progress is not None:
                bar = alike.progress(message["progress"], message["total"])
                tick = bar.__enter__()
            elif "tick" in message:
                tick(message["tick"])
            elif "progress_end" in message and bar is not None:
                bar.__exit__(None, None, None)
                bar, tick = None, _no_tick
            elif "error" in message:
                raise SiteBuildError(message["error"], tuple(message["problems"]))
            elif "crash" in message:
                raise SiteBuildError(f"site build failed: internal error in {engine.label} "
                                     f"({message['crash']}); run again with CASELOAD_DEBUG=1 "
                                     "for details")
            elif "done" in message:
                return
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    raise SiteBuildError(f"site build failed: the {engine.label} process ended without "
                         f"finishing (exit status {child.wait()})")


def _no_tick(done: int) -> None:
    pass


def _write_pages(alike: AlikePages, folder: Path, stems: list[str]) -> None:
    """Render these alike pages into the docs folder, on every core when it pays."""
    folder.mkdir(parents=True, exist_ok=True)

    def write(part: Sequence[str]) -> None:
        for stem in part:
            (folder / f"{stem}.md").write_text(alike.render(stem), encoding="utf-8")

    map_slices(write, stems, minimum=_PARALLEL_FROM)


def _end(child: subprocess.Popen[str], finished: bool) -> None:
    """Wait for the child; one left behind (its parent failed or was interrupted) is
    told to stop as Ctrl+C would, so that it removes what it staged, then waited for."""
    for stream in (child.stdin, child.stdout):
        with suppress(OSError):
            if stream is not None:
                stream.close()
    if not finished and child.poll() is None:
        child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=None if finished else _STOP_WAIT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _send(stream: IO[str], message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, ensure_ascii=False) + "\n")
    stream.flush()


# --- The child's side ----------------------------------------------------------


def main() -> int:
    conversation = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nothing else gets into the conversation
    requests = os.fdopen(os.dup(sys.stdin.fileno()), encoding="utf-8")
    try:
        job = _receive(requests)
        return _build(job, requests, conversation)
    except _Stopped:
        return 1


def _build(job: dict[str, Any], requests: IO[str], conversation: IO[str]) -> int:
    engine = ENGINES[job["engine"]]
    if engine.hook is not None:  # before anything imports mkdocs: see the module's notes
        importlib.import_module(engine.hook)
    from generator.site.engine import AlikePages, build_site

    alike = None
    if job["alike"] is not None:
        def write(stems: list[str]) -> None:
            _send(conversation, {"write": stems})
            if _receive(requests) != {"written": True}:
                _stopping()

        alike = AlikePages(job["alike"]["folder"], job["alike"]["keys"], _rendered_ahead,
                           _progress(conversation) if job["alike"]["progress"] else None,
                           write)
    try:
        build_site(SiteSettings(**job["settings"]), Path(job["docs_dir"]),
                   Path(job["site_dir"]), site_name=job["site_name"], nav=job["nav"],
                   source_date_epoch=job["epoch"], alike=alike,
                   warn=lambda line: _send(conversation, {"warn": line}))
    except SiteBuildError as exc:
        _send(conversation, {"error": str(exc), "problems": list(exc.problems)})
        return 0
    except _Stopped:
        raise
    except Exception as exc:
        _send(conversation, {"crash": type(exc).__name__})
        if os.environ.get("CASELOAD_DEBUG"):
            raise
        return 1
    _send(conversation, {"done": True})
    return 0


def _rendered_ahead(stem: str) -> str:
    # `AlikePages.write` has the parent write every page before it is made.
    raise AssertionError(f"{stem} should have been written by the parent")


def _progress(conversation: IO[str]) -> Callable[[str, int],
                                                AbstractContextManager[Callable[[int], None]]]:
    @contextmanager
    def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
        _send(conversation, {"progress": label, "total": total})
        try:
            yield lambda done: _send(conversation, {"tick": done})
        finally:
            _send(conversation, {"progress_end": True})

    return progress


def _receive(requests: IO[str]) -> Any:
    line = requests.readline()
    if not line:
        _stopping()
    return json.loads(line)


def _stopping() -> NoReturn:
    """The parent gave up on this build: stop, removing what was staged. The parent
    also sends Ctrl+C (for a child busy building, which would not read this end of
    the conversation for a while); once stopping, that must not cut the clean-up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise _Stopped


if __name__ == "__main__":
    sys.exit(main())

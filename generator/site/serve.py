"""`caseload serve`: serve the built site on this computer, rebuilding on change.

Polling, not file-system events: a workspace is small enough to stat every
second, and polling behaves the same on every system and network drive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WatchState = dict[str, tuple[int, int]]
WATCHED = ("content", "site_config", "templates", "mkdocs.yml")
POLL_SECONDS = 1.0


def watch_state(workspace: Path, skip: Path | None = None) -> WatchState:
    """(mtime_ns, size) of every file a build reads, by path relative to the workspace.

    content/ and site_config/ count their *.yaml/*.yml files (as the loader does),
    templates/ every file but dotfiles and editor backups (~); `skip` (the site
    folder, when it sits inside) and build leftovers (dot folders) are left out.
    """
    state: WatchState = {}
    skipped = skip.resolve() if skip is not None else None

    def visit(path: Path, yaml_only: bool) -> None:
        try:
            if path.is_symlink() and path.is_dir():
                return
            if path.is_dir():
                if skipped is not None and path.resolve() == skipped:
                    return
                for child in path.iterdir():
                    if child.is_dir() and child.name.startswith("."):
                        continue
                    visit(child, yaml_only)
                return
            if yaml_only and not path.name.endswith((".yaml", ".yml")):
                return
            if not yaml_only and (path.name.startswith(".") or path.name.endswith("~")):
                return
            info = path.stat()
        except OSError:  # vanished or unreadable while we looked: the next poll sees it
            return
        state[path.relative_to(workspace).as_posix()] = (info.st_mtime_ns, info.st_size)

    for name in WATCHED:
        visit(workspace / name, name in ("content", "site_config"))
    return state


def changed_paths(before: WatchState, after: WatchState) -> list[str]:
    """The files added, removed or changed between two watch states, sorted."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def make_server(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """Return an http server for the built site (not yet serving)."""
    handler = partial(_SiteRequestHandler, directory=str(Path(site_dir).absolute()))
    return ThreadingHTTPServer((host, port), handler)


def serve_site(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the built site over http until interrupted (Ctrl+C).

    Files are looked up per request, so a rebuild swapped in by
    :func:`generator.site.engine.build_site` is served immediately.
    """
    with make_server(site_dir, host, port) as server, suppress(KeyboardInterrupt):
        server.serve_forever()


class _SiteRequestHandler(SimpleHTTPRequestHandler):
    """Static file handler that never caches and never logs client paths."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


class Server:
    """The built site on 127.0.0.1, and a watcher that rebuilds it."""

    def __init__(self, workspace: Path, site_dir: Path, *, as_of: date | None,
                 today: Callable[[], date]) -> None:
        self.workspace, self.site_dir = workspace, site_dir
        self.as_of, self.today = as_of, today
        self.seen = watch_state(workspace, site_dir)
        self.built_for: date | None = None
        self.stop = threading.Event()
        self.http: ThreadingHTTPServer | None = None

    def day(self) -> date:
        return self.as_of or self.today()

    def build_first(self, rebuild: Callable[[date], None]) -> None:
        self.built_for = self.day()
        rebuild(self.built_for)

    def listen(self, port: int) -> str:
        self.http = make_server(self.site_dir, "127.0.0.1", port)
        bound = self.http.server_address[1]  # port 0: the one the system chose
        return f"http://127.0.0.1:{bound}/"

    def needs_rebuild(self) -> bool:
        now = watch_state(self.workspace, self.site_dir)
        new_day = self.as_of is None and self.today() != self.built_for
        if not changed_paths(self.seen, now) and not new_day:
            return False
        self.seen = now  # taken before the build: edits made during it trigger another
        return True

    def watch(self, rebuild: Callable[[date], None]) -> None:
        while not self.stop.wait(POLL_SECONDS):
            if self.needs_rebuild():
                # Also when the build fails: retried on the next change, not every second.
                self.built_for = self.day()
                rebuild(self.built_for)

    def serve(self, rebuild: Callable[[date], None]) -> None:
        """Serve until Ctrl+C; `rebuild` must report its own failures."""
        assert self.http is not None, "listen() first"
        watcher = threading.Thread(target=self.watch, args=(rebuild,), name="caseload-watch",
                                   daemon=True)
        watcher.start()
        try:
            self.http.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop.set()
            self.http.server_close()
            watcher.join()  # lets a rebuild in progress finish its swap

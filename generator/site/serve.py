"""`caseload serve`: serve the built site on this computer, rebuilding on change.

Polling, not file-system events: a workspace is small enough to stat every
second, and polling behaves the same on every system and network drive.

The server listens on 127.0.0.1 only, and answers only requests addressed to
this server by a loopback name (the Host header ``127.0.0.1:PORT``,
``localhost:PORT`` or ``[::1]:PORT``): a web page whose own host name an
attacker points at 127.0.0.1 (DNS rebinding) gets 403 and nothing else. Every
response is marked not to be cached, sniffed, referred, or loaded by another
origin.
"""

from __future__ import annotations

import functools
import os
import threading
import urllib.parse
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

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


# --- the HTTP server ------------------------------------------------------------------

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
FORBIDDEN = b"Forbidden: caseload serve answers only requests to 127.0.0.1, localhost or [::1].\n"


def allowed_hosts(port: int) -> frozenset[str]:
    """The Host headers the server answers, lower case."""
    hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
    if port == 80:  # a browser leaves the default port out
        hosts.update(LOOPBACK_NAMES)
    return frozenset(hosts)


class SiteServer(ThreadingHTTPServer):
    """An http server for a built site, answering loopback names of its own port only."""

    def __init__(self, site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
        folder = Path(site_dir).absolute()
        super().__init__((host, port), functools.partial(SiteRequestHandler, directory=str(folder)))
        self.allowed_hosts = allowed_hosts(self.server_port)  # port 0: the one bound


class SiteRequestHandler(SimpleHTTPRequestHandler):
    """Static files of the site: no listing, no dot files, no caching, no logging of paths."""

    server: SiteServer
    server_version = "caseload"

    def version_string(self) -> str:
        return self.server_version  # not the Python version

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if self.request_version == "HTTP/0.9":  # such a reply cannot carry headers
            self.close_connection = True
            return False
        if not self._addressed_to_us():
            self._refuse(HTTPStatus.FORBIDDEN, FORBIDDEN)
            return False
        if not self.path.startswith("/"):  # "http://host/path" or "*": not for a file server
            self._refuse(HTTPStatus.BAD_REQUEST, b"Bad request\n")
            return False
        return True

    def _addressed_to_us(self) -> bool:
        hosts = self.headers.get_all("Host") or []
        return len(hosts) == 1 and hosts[0].strip(" \t").lower() in self.server.allowed_hosts

    def _refuse(self, status: HTTPStatus, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_head(self) -> BinaryIO | None:
        url_path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if any(part.startswith(".") for part in url_path.split("/")):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")  # the build marker
            return None
        path = self.translate_path(self.path)
        if os.path.isdir(path) and not os.path.isfile(os.path.join(path, "index.html")):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")  # no listing, no redirect
            return None
        return super().send_head()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")
        return None

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return  # request lines name clients


def make_server(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> SiteServer:
    """Return an http server for the built site (not yet serving)."""
    return SiteServer(site_dir, host, port)


def serve_site(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the built site over http until interrupted (Ctrl+C).

    Files are looked up per request, so a rebuild swapped in by
    :func:`generator.site.engine.build_site` is served immediately.
    """
    with make_server(site_dir, host, port) as server, suppress(KeyboardInterrupt):
        server.serve_forever()


class Server:
    """The built site on 127.0.0.1, and a watcher that rebuilds it."""

    def __init__(self, workspace: Path, site_dir: Path, *, as_of: date | None,
                 today: Callable[[], date]) -> None:
        self.workspace, self.site_dir = workspace, site_dir
        self.as_of, self.today = as_of, today
        self.seen = watch_state(workspace, site_dir)
        self.built_for: date | None = None
        self.stop = threading.Event()
        self.http: SiteServer | None = None

    def day(self) -> date:
        return self.as_of or self.today()

    def build_first(self, rebuild: Callable[[date], None]) -> None:
        self.built_for = self.day()
        rebuild(self.built_for)

    def listen(self, port: int) -> str:
        self.http = make_server(self.site_dir, "127.0.0.1", port)
        return f"http://127.0.0.1:{self.http.server_port}/"  # port 0: the one the system chose

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

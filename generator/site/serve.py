"""`caseload serve`: serve the built site on this computer, rebuilding on change.

Polling, not file-system events: a workspace is small enough to stat every
second, and polling behaves the same on every system and network drive.

The server listens on 127.0.0.1 only, and answers only requests addressed to
this server by a loopback name (the Host header ``127.0.0.1:PORT``,
``localhost:PORT`` or ``[::1]:PORT``): a web page whose own host name an
attacker points at 127.0.0.1 (DNS rebinding) gets 403 and nothing else. Every
response is marked not to be cached, sniffed, framed, referred, or loaded by
another origin, and carries a Content-Security-Policy that lets a page run only
the site's own script files and the theme's inline scripts, by hash. Those
hashes are taken from the built site itself (:class:`ScriptHashes`), again
whenever a rebuild swaps in a new one.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
import signal
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

from generator.model.audit import AUDITS_DIR

WatchState = dict[str, tuple[int, int]]
WATCHED = ("content", "site_config", "templates", "mkdocs.yml")  # and audits/*.yaml
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
    # Audit requests: the files directly in audits/, not the packets built below it.
    audits = workspace / AUDITS_DIR
    if audits.is_dir() and not audits.is_symlink():
        try:
            for child in audits.iterdir():
                if child.name.endswith((".yaml", ".yml")) and not child.is_dir():
                    visit(child, True)
        except OSError:  # unreadable while we looked: the next poll sees it
            pass
    return state


def changed_paths(before: WatchState, after: WatchState) -> list[str]:
    """The files added, removed or changed between two watch states, sorted."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


# --- which scripts a page may run ---------------------------------------------------

_SCRIPT_OPEN = re.compile(rb"<script(?=[\s/>])", re.IGNORECASE)
# The rest of a start tag: anything up to the first ">" outside quotes.
_TAG_REST = re.compile(rb"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_ATTRIBUTE = re.compile(rb"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_SCRIPT_CLOSE = re.compile(rb"</script[\s/>]", re.IGNORECASE)
# The HTML standard's JavaScript MIME types, plus the other types a browser runs
# (or parses as script under script-src). Any other type is a data block, such as
# Material's <script id="__config" type="application/json">: never run, so never hashed.
_RUN_TYPES = frozenset({
    b"", b"module", b"importmap", b"speculationrules",
    b"application/ecmascript", b"application/javascript", b"application/x-ecmascript",
    b"application/x-javascript", b"text/ecmascript", b"text/javascript",
    b"text/javascript1.0", b"text/javascript1.1", b"text/javascript1.2",
    b"text/javascript1.3", b"text/javascript1.4", b"text/javascript1.5", b"text/jscript",
    b"text/livescript", b"text/x-ecmascript", b"text/x-javascript",
})


def inline_scripts(html: bytes) -> list[bytes]:
    """The text of every inline script a browser would run, outside the page's content.

    A script with ``src`` is a file of the site ('self' allows it); a data block
    (``type="application/json"`` and the like) never runs. Scripts inside the page's
    ``<article>`` (Material puts each page's own content there, and caseload's pages
    put no inline script in it) are left out on purpose: the policy then refuses a
    script that got into a page's content, say through a template that turned
    escaping off. Line breaks are normalised as an HTML parser does before hashing.
    """
    content_start, content_end = html.find(b"<article"), html.rfind(b"</article>")
    regions: list[tuple[int, int]] = [(0, len(html))]
    if -1 < content_start < content_end:  # the bulk of a page, and never scanned
        regions = [(0, content_start), (content_end, len(html))]
    scripts: list[bytes] = []
    for position, end in regions:
        while (opening := _SCRIPT_OPEN.search(html, position, end)) is not None:
            rest = _TAG_REST.match(html, opening.end())
            closing = None if rest is None else _SCRIPT_CLOSE.search(html, rest.end())
            if rest is None or closing is None:
                return scripts  # a tag or script left open runs to the end of the page
            if _runs_inline(html[opening.end():rest.end()]):
                body = html[rest.end():closing.start()]
                scripts.append(body.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            position = closing.end()
    return scripts


@functools.lru_cache(maxsize=256)
def _runs_inline(attributes: bytes) -> bool:
    """Whether a <script> tag with these attributes (all after "<script") runs its text."""
    found: dict[bytes, bytes] = {}
    for attribute in _ATTRIBUTE.finditer(attributes):
        value = next((v for v in attribute.group(2, 3, 4) if v is not None), b"")
        found.setdefault(attribute.group(1).lower(), value)  # the first of the same name counts
    if b"src" in found:
        return False
    return found.get(b"type", b"").strip(b" \t\n\f\r").lower() in _RUN_TYPES


@functools.lru_cache(maxsize=256)
def script_hash(script: bytes) -> str:
    """The CSP source for one inline script: 'sha256-' and its base64 SHA-256."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode("ascii") + "'"


def content_security_policy(script_hashes: Iterable[str]) -> str:
    sources = "".join(f" {source}" for source in sorted(set(script_hashes)))
    # Material's search worker and its fetch of search/search_index.json are
    # same-origin: worker-src falls back to script-src, connect-src to default-src.
    return (f"default-src 'self'; script-src 'self'{sources}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'none'; frame-ancestors 'none'")


FileKey = tuple[int, int, int, int]


class ScriptHashes:
    """The Content-Security-Policy of a built site, kept up to date as it is rebuilt.

    Every page is scanned for inline scripts; the theme's are the same on
    every page (one per folder depth), so the policy lists a handful of hashes.
    A rebuild swaps a new folder in, which :meth:`policy` notices by the folder's
    identity; pages the rebuild took over from the previous site are hard links
    of the same files, known by device, inode, size and modification time, and
    are not read again.
    """

    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir
        self._lock = threading.Lock()
        self._pages: dict[FileKey, frozenset[str]] = {}
        self._identity: tuple[int, int, int] | None = None
        self._policy = content_security_policy(())
        self._scanned = False

    def policy(self) -> str:
        """The policy for the site as it is now (scanning it first if it changed)."""
        if not self._scanned or self._folder_identity() != self._identity:
            self.refresh()
        return self._policy

    def refresh(self) -> None:
        with self._lock:
            identity = self._folder_identity()
            if self._scanned and identity == self._identity:
                return  # another thread scanned it while this one waited
            known, pages = self._pages, {}
            same: dict[frozenset[str], frozenset[str]] = {}
            for path, key in _html_files(self.site_dir):
                hashes = known.get(key)
                if hashes is None:
                    try:
                        with open(path, "rb") as file:
                            html = file.read()
                    except OSError:  # gone while we looked: a newer site is coming
                        continue
                    hashes = frozenset(script_hash(s) for s in set(inline_scripts(html)))
                pages[key] = same.setdefault(hashes, hashes)
            if identity is not None:  # no site (between a swap's renames): keep what we know
                self._pages = pages
            self._policy = content_security_policy(h for hashes in same for h in hashes)
            self._identity, self._scanned = identity, True  # after the policy: see policy()

    def _folder_identity(self) -> tuple[int, int, int] | None:
        try:
            info = os.stat(self.site_dir)
        except OSError:
            return None
        return info.st_dev, info.st_ino, info.st_mtime_ns


def _html_files(folder: Path | str) -> Iterator[tuple[str, FileKey]]:
    """Every page the server would send as HTML, with its file's identity."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # never served
        try:
            if entry.is_dir():
                yield from _html_files(entry.path)
            elif entry.name.endswith((".html", ".htm")):
                info = entry.stat()
                yield entry.path, (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        except OSError:
            continue


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
        self.scripts = ScriptHashes(folder)
        try:
            self.scripts.refresh()
        except BaseException:
            self.server_close()
            raise


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
        self.send_header("Content-Security-Policy", self.server.scripts.policy())
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return  # request lines name clients


def make_server(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> SiteServer:
    """Return an http server for the built site (not yet serving)."""
    return SiteServer(site_dir, host, port)


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
                if self.http is not None:
                    self.http.scripts.policy()  # scan the new site now, not on a request

    def serve(self, rebuild: Callable[[date], None]) -> None:
        """Serve until Ctrl+C; `rebuild` must report its own failures."""
        assert self.http is not None, "listen() first"
        watcher = threading.Thread(target=self.watch, args=(rebuild,), name="caseload-watch",
                                   daemon=True)
        watcher.start()
        stopped_by_term = _stop_on_sigterm()
        try:
            self.http.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop.set()
            self.http.server_close()
            watcher.join()  # lets a rebuild in progress finish its swap
            if stopped_by_term is not None:
                signal.signal(signal.SIGTERM, stopped_by_term)


def _stop_on_sigterm() -> Any:
    """Make SIGTERM (`kill`, a service manager) stop serving as Ctrl+C does, so that a
    rebuild in progress still finishes its swap; the previous handler, or None where
    none could be set (not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)

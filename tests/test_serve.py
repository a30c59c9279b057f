"""`caseload serve`: change detection (pure), the server (which requests it answers,
its headers, its script policy), and the command end to end.

Every server here listens on 127.0.0.1 on a port the system picks (port 0);
every wait is bounded.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.site.serve as serve_module
from generator.cli import cli
from generator.site.serve import (
    FORBIDDEN,
    ScriptHashes,
    SiteServer,
    allowed_hosts,
    changed_paths,
    content_security_policy,
    inline_scripts,
    make_server,
    script_hash,
    watch_state,
)
from tests.conftest import DEMO_AS_OF, ROOT

# Never let a proxy setting send a loopback request elsewhere.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> str:
    with OPENER.open(url, timeout=10) as reply:
        return reply.read().decode("utf-8")


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


# --- change detection ---------------------------------------------------------------


def test_changed_paths_is_empty_for_the_same_state() -> None:
    state = {"content/a.yaml": (1, 10), "mkdocs.yml": (2, 20)}
    assert changed_paths(state, dict(state)) == []
    assert changed_paths({}, {}) == []


def test_changed_paths_names_added_removed_and_changed_files() -> None:
    before = {"content/a.yaml": (1, 10), "content/b.yaml": (1, 10), "mkdocs.yml": (5, 50)}
    after = {"content/a.yaml": (2, 10), "content/c.yaml": (1, 10), "mkdocs.yml": (5, 51)}
    assert changed_paths(before, after) == [
        "content/a.yaml", "content/b.yaml", "content/c.yaml", "mkdocs.yml"]


def make_workspace(root: Path) -> Path:
    files = {
        "content/a.yaml": "id: C-1\nname: Ada Example\nintake_date: 2026-10-01\n",
        "content/sub/b.yml": "id: C-2\nname: Bo Example\nintake_date: 2026-10-01\n",
        "content/readme.txt": "not read by caseload",
        "site_config/practice.yaml": "name: Test Practice\n",
        "site_config/payers/p.yaml": "name: P\n",
        "templates/roster.md.j2": "x",
        "templates/.roster.md.j2.swp": "editor swap file",
        "templates/roster.md.j2~": "editor backup",
        "mkdocs.yml": (ROOT / "mkdocs.yml").read_text(encoding="utf-8"),
        "notes.md": "not part of the build",
        "content/site/index.html": "a site built inside content/",
        "content/.site.build-x/a.yaml": "a build leftover",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_watch_state_covers_what_a_build_reads(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    state = watch_state(workspace, skip=workspace / "content" / "site")
    assert sorted(state) == [
        "content/a.yaml", "content/sub/b.yml", "mkdocs.yml", "site_config/payers/p.yaml",
        "site_config/practice.yaml", "templates/roster.md.j2",
    ]


def test_watch_state_sees_edits_additions_and_deletions(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path)
    before = watch_state(workspace)
    os.utime(workspace / "content" / "a.yaml", ns=(1, 1_000_000_000))
    (workspace / "site_config" / "payers" / "p.yaml").unlink()
    (workspace / "content" / "new.yaml").write_text("id: C-3\n", encoding="utf-8")
    (workspace / "notes.md").write_text("changed, but not watched", encoding="utf-8")
    assert changed_paths(before, watch_state(workspace)) == [
        "content/a.yaml", "content/new.yaml", "site_config/payers/p.yaml"]


def test_watch_state_of_an_empty_folder_is_empty(tmp_path: Path) -> None:
    assert watch_state(tmp_path) == {}


# --- the server -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(demo_site: Path) -> Iterator[SiteServer]:
    """The demo site served on 127.0.0.1, on a port the system picked."""
    with make_server(demo_site, "127.0.0.1", 0) as running:
        thread = threading.Thread(target=running.serve_forever, daemon=True)
        thread.start()
        try:
            yield running
        finally:
            running.shutdown()
            thread.join(timeout=10)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def ask(server: SiteServer, path: str, host: str | list[str] | None = "127.0.0.1:{port}",
        method: str = "GET") -> Reply:
    """One request with exactly the Host header(s) given ({port}: the server's; None: none)."""
    port = server.server_port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        hosts = [] if host is None else [host] if isinstance(host, str) else host
        for value in hosts:
            connection.putheader("Host", value.format(port=port))
        connection.endheaders()
        reply = connection.getresponse()
        return Reply(reply.status, reply.headers, reply.read())
    finally:
        connection.close()


def test_server_serves_the_built_demo_site(demo_site: Path, server: SiteServer) -> None:
    assert server.server_address[0] == "127.0.0.1"
    url = f"http://127.0.0.1:{server.server_port}/"
    body, root = fetch(url + "index.html"), fetch(url)
    assert body == root == (demo_site / "index.html").read_text(encoding="utf-8")
    assert "Riverbend Counseling Collective" in body
    assert fetch(url + "roster.html") == (demo_site / "roster.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("host", [
    "127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "LOCALHOST:{port}", "[::1]:{port}",
])
def test_a_loopback_name_with_the_port_is_answered(demo_site: Path, server: SiteServer,
                                                   host: str) -> None:
    reply = ask(server, "/clients/C-1034.html", host)
    assert reply.status == 200
    assert reply.body == (demo_site / "clients" / "C-1034.html").read_bytes()
    head = ask(server, "/clients/C-1034.html", host, "HEAD")
    assert (head.status, head.body) == (200, b"")


OTHER_HOSTS = [
    "attacker.example:{port}",  # DNS rebinding: the page's own name, pointed at 127.0.0.1
    "attacker.example",
    "127.0.0.1.nip.io:{port}",
    "localhost.:{port}",
    "localhost.attacker.example:{port}",
    "127.0.0.1:1",  # the wrong port
    "127.0.0.1",  # no port: port 80
    "localhost",
    "127.0.0.1:0{port}",
    "[::1]",
    "::1:{port}",  # IPv6 without brackets
    "[0:0:0:0:0:0:0:1]:{port}",  # not the form a browser sends
    "[::ffff:127.0.0.1]:{port}",
    "127.1:{port}",
    "2130706433:{port}",
    "0.0.0.0:{port}",
    "",
    None,  # no Host header at all
    ["127.0.0.1:{port}", "attacker.example:{port}"],  # two of them
    ["127.0.0.1:{port}", "127.0.0.1:{port}"],
]


@pytest.mark.parametrize("host", OTHER_HOSTS)
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "OPTIONS", "DELETE"])
def test_any_other_host_is_refused_with_nothing_from_the_site(
        server: SiteServer, host: str | list[str] | None, method: str) -> None:
    for path in ("/clients/C-1034.html", "/", "/assets/clients.js", "/nothing-here"):
        reply = ask(server, path, host, method)
        assert reply.status == 403, (path, host, method)
        assert reply.body == (b"" if method == "HEAD" else FORBIDDEN)
        assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_the_port_that_counts_is_the_one_bound(server: SiteServer) -> None:
    assert server.server_port != 0
    assert server.allowed_hosts == {f"{name}:{server.server_port}"
                                    for name in ("127.0.0.1", "localhost", "[::1]")}
    assert allowed_hosts(80) == {"127.0.0.1:80", "localhost:80", "[::1]:80",
                                 "127.0.0.1", "localhost", "[::1]"}


@pytest.mark.parametrize("path", [
    "/clients/", "/clients", "/payers/", "/search/", "/assets/", "/assets/javascripts/",
    "/clients/?C=M;O=A", "/clients/.",
])
def test_no_folder_is_listed(server: SiteServer, path: str) -> None:
    reply = ask(server, path)
    assert reply.status == 404, path
    assert b"C-10" not in reply.body and b"Directory listing" not in reply.body


def test_the_root_folder_serves_its_index_page(demo_site: Path, server: SiteServer) -> None:
    # MkDocs writes index.html at the top only (use_directory_urls is off).
    assert sorted(p.relative_to(demo_site).as_posix() for p in demo_site.rglob("index.html")) \
        == ["index.html"]
    for path in ("/", "/?x=1"):
        assert ask(server, path).body == (demo_site / "index.html").read_bytes()


@pytest.mark.parametrize("path", ["/.caseload-site", "/%2Ecaseload-site", "/clients/.x",
                                  "/.git/config"])
def test_dot_files_are_not_served(demo_site: Path, server: SiteServer, path: str) -> None:
    assert (demo_site / ".caseload-site").is_file()  # the build marker: every client's id
    reply = ask(server, path)
    assert reply.status == 404
    assert b"C-10" not in reply.body


def test_a_request_for_another_server_is_refused(server: SiteServer) -> None:
    # Absolute-form (as to a proxy): whatever it names, this is not a proxy.
    port = server.server_port
    reply = ask(server, f"http://127.0.0.1:{port}/clients/C-1034.html")
    assert reply.status == 400 and b"C-1034" not in reply.body


SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CSP_FIXED = ("default-src 'self'; script-src 'self'", "; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@pytest.mark.parametrize(("method", "path", "host", "status"), [
    ("GET", "/", "localhost:{port}", 200),
    ("GET", "/clients/C-1034.html", "127.0.0.1:{port}", 200),
    ("HEAD", "/roster.html", "[::1]:{port}", 200),
    ("GET", "/assets/clients.js", "127.0.0.1:{port}", 200),
    ("GET", "/search/search_index.json", "127.0.0.1:{port}", 200),
    ("GET", "/nothing-here.html", "127.0.0.1:{port}", 404),
    ("HEAD", "/nothing-here.html", "127.0.0.1:{port}", 404),
    ("GET", "/clients/", "127.0.0.1:{port}", 404),
    ("GET", "/.caseload-site", "127.0.0.1:{port}", 404),
    ("GET", "/clients/C-1034.html", "attacker.example:{port}", 403),
    ("HEAD", "/clients/C-1034.html", None, 403),
    ("POST", "/roster.html", "127.0.0.1:{port}", 501),
    ("GET", "http://127.0.0.1:{port}/", "127.0.0.1:{port}", 400),
])
def test_every_reply_carries_the_security_headers(server: SiteServer, method: str, path: str,
                                                  host: str | None, status: int) -> None:
    reply = ask(server, path.format(port=server.server_port), host, method)
    assert reply.status == status
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers.get_all(name) == [value], name
    policies = reply.headers.get_all("Content-Security-Policy")
    assert policies == [server.scripts.policy()]
    head, tail = CSP_FIXED
    assert policies[0].startswith(head) and policies[0].endswith(tail)
    assert reply.headers["Server"] == "caseload"  # not the Python version


class _Scripts(HTMLParser):
    """Every <script> element of a page, as Python's own HTML parser reads it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: tuple[dict[str, str | None], list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = (dict(attrs), [])

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.scripts.append((self._open[0], "".join(self._open[1])))
            self._open = None


def page_inline_scripts(page: Path) -> list[str]:
    """The inline scripts of a page that a browser runs (not src=, not JSON data)."""
    parser = _Scripts()
    parser.feed(page.read_text(encoding="utf-8"))
    parser.close()
    return [text for attrs, text in parser.scripts
            if "src" not in attrs and attrs.get("type") in (None, "text/javascript")]


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def script_sources(policy: str) -> set[str]:
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src "))
    return set(script_src.split()[1:])


def test_the_policy_lists_the_hash_of_every_inline_script_of_the_site(
        demo_site: Path, server: SiteServer) -> None:
    policy = ask(server, "/").headers["Content-Security-Policy"]
    sources = script_sources(policy)
    assert "'self'" in sources and "'unsafe-inline'" not in sources

    # The pages a practice opens first: each inline script they run is allowed by hash.
    for name in ("index.html", "roster.html", "clients/C-1034.html", "payers/selfpay.html"):
        scripts = page_inline_scripts(demo_site / name)
        assert len(scripts) >= 2, name  # Material's: storage helpers, palette, tabs
        assert {sha256_source(text) for text in scripts} <= sources, name

    # ... and the policy lists nothing else: only the theme's scripts, on any page.
    everywhere = {sha256_source(text) for page in demo_site.rglob("*.html")
                  for text in page_inline_scripts(page)}
    assert sources == {"'self'"} | everywhere
    assert 3 <= len(everywhere) <= 8  # the same few on every page, one per folder depth


# --- which inline scripts are hashed --------------------------------------------------


def test_inline_scripts_are_those_a_browser_runs() -> None:
    page = (b'<html><head><script>a()</script><script src="x.js"></script>'
            b'<SCRIPT type="text/javascript">b()</SCRIPT >'
            b'<script id="__config" type="application/json">{"c": 1}</script>'
            b'<script type="module" data-x="a>b">d()</script>'
            b"<script type=' Text/JavaScript '>e()\r\nf()\rg()</script>"
            b'<script>var s = "<script>"; h()</script>'
            b"<script data-src='y'>i()</script/>"
            b'</head><body><article class="md-content__inner"><h1>x</h1>'
            b'<script>content()</script><p>&lt;script&gt;</p></article>'
            b'<script>j()</script><script>a()</script></body></html>')
    assert inline_scripts(page) == [b"a()", b"b()", b"d()", b"e()\nf()\ng()",
                                    b'var s = "<script>"; h()', b"i()", b"j()", b"a()"]


def test_a_script_in_the_page_content_is_never_hashed() -> None:
    # Whatever reached the page's content (say, a template that turned escaping off):
    # the server's policy does not allow it, even though it is in the built site.
    page = (b"<head><script>theme()</script></head><article><script>alert(1)</script>"
            b"</article><script>alert(2)</script></article>")
    assert inline_scripts(page) == [b"theme()"]
    assert inline_scripts(b"<script>x()</script><article>") == [b"x()"]  # no content end
    assert inline_scripts(b"<script>x()") == []  # never closed


def test_script_hash_is_the_csp_source_of_a_script() -> None:
    # The example from the CSP specification.
    assert script_hash(b"alert('Hello, world.');") == \
        "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
    assert content_security_policy([script_hash(b"a"), script_hash(b"a")]).count("sha256") == 1


def write_page(folder: Path, name: str, script: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><head><script>{script}</script></head>"
                    f"<body><article>text</article></body></html>", encoding="utf-8")
    return path


def test_the_policy_follows_a_site_swapped_in_and_reads_only_new_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    write_page(site, "index.html", "one()")
    for n in range(20):
        write_page(site, f"clients/C-{n}.html", "two()")
    write_page(site, ".hidden.html", "hidden()")  # never served, never counted
    (site / "style.css").write_text("<script>css()</script>", encoding="utf-8")
    scripts = ScriptHashes(site)
    assert script_sources(scripts.policy()) == {"'self'", script_hash(b"one()"),
                                                script_hash(b"two()")}

    read: list[bytes] = []
    real = serve_module.inline_scripts
    monkeypatch.setattr(serve_module, "inline_scripts",
                        lambda html: read.append(html) or real(html))
    assert script_sources(scripts.policy()) == {"'self'", script_hash(b"one()"),
                                                script_hash(b"two()")}
    assert read == []  # unchanged: not scanned again

    # A rebuild: a new folder, client pages taken over from the old one as hard links.
    staging = tmp_path / "staging"
    write_page(staging, "index.html", "three()")
    for n in range(20):
        (staging / "clients").mkdir(exist_ok=True)
        os.link(site / "clients" / f"C-{n}.html", staging / "clients" / f"C-{n}.html")
    write_page(staging, "clients/C-new.html", "four()")
    site.rename(tmp_path / "old")
    staging.rename(site)
    assert script_sources(scripts.policy()) == {"'self'", script_hash(b"three()"),
                                                script_hash(b"two()"), script_hash(b"four()")}
    assert len(read) == 2  # only index.html and the new page were read

    site.rename(tmp_path / "away")  # between a build's two renames: no site, no script
    assert script_sources(scripts.policy()) == {"'self'"}
    (tmp_path / "away").rename(site)
    assert script_sources(scripts.policy()) == {"'self'", script_hash(b"three()"),
                                                script_hash(b"two()"), script_hash(b"four()")}
    assert len(read) == 2  # still known

    shutil.rmtree(site)
    assert script_sources(scripts.policy()) == {"'self'"}


def test_the_server_logs_no_request(server: SiteServer, capfd: pytest.CaptureFixture[str]
                                    ) -> None:
    for path, host in (("/clients/C-1034.html", "127.0.0.1:{port}"),
                       ("/clients/C-1034.html", "attacker.example"),
                       ("/clients/C-9999.html", "127.0.0.1:{port}")):
        ask(server, path, host)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


# --- the command, end to end ----------------------------------------------------------


class Served:
    """`caseload serve` in a child process, its output collected by reader threads."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            # faulthandler: a serve that does not stop is made to print where each of
            # its threads is (see `stop`).
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"},
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, lines), daemon=True).start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line)

    def url(self) -> str:
        assert wait_for(lambda: any("Serving http://" in line for line in self.out)
                        or self.process.poll() is not None), "serve did not start"
        line = next((line for line in self.out if "Serving http://" in line), None)
        assert line is not None, "".join(self.err)
        return line.split("Serving ", 1)[1].split(" ", 1)[0]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # Where it hangs: faulthandler prints every thread's stack on SIGABRT.
            self.process.send_signal(signal.SIGABRT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            time.sleep(0.5)  # for the reader thread to collect the last lines
            raise AssertionError("serve did not stop on Ctrl+C within 30 s:\n"
                                 + "".join(self.err)) from None


@pytest.fixture
def served() -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(*args))
        return started[-1]

    yield start
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(timeout=10)


def new_workspace(root: Path) -> Path:
    workspace = root / "ws"
    result = CliRunner().invoke(cli, ["init", str(workspace)])
    assert result.exit_code == 0, result.stderr
    return workspace


def test_serve_stops_cleanly_on_sigterm_too(tmp_path: Path, served) -> None:
    """A service manager or `kill` sends SIGTERM: serve stops as on Ctrl+C (status 0,
    nothing staged left behind), not killed halfway."""
    workspace = new_workspace(tmp_path)
    server = served(str(workspace), "--port", "0", "--as-of", DEMO_AS_OF)
    server.url()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0, "".join(server.err)
    assert "Traceback" not in "".join(server.err)
    # Nothing staged left behind (the engine stages in ".site.<purpose>-*").
    assert [p.name for p in workspace.glob(".site.*")] in ([], [".site.lock"])


def test_serve_builds_serves_and_rebuilds(tmp_path: Path, served) -> None:
    workspace = new_workspace(tmp_path)
    server = served(str(workspace), "--port", "0", "--as-of", DEMO_AS_OF)
    url = server.url()
    assert url.startswith("http://127.0.0.1:")
    assert "Example Counseling Practice" in fetch(url + "index.html")
    port = int(url.rsplit(":", 1)[1].strip("/"))
    rebinding = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    rebinding.request("GET", "/clients/C-101.html",
                      headers={"Host": f"attacker.example:{port}"})
    refused = rebinding.getresponse()
    assert (refused.status, refused.read()) == (403, FORBIDDEN)
    assert "sha256-" in refused.headers["Content-Security-Policy"]
    rebinding.close()

    practice = workspace / "site_config" / "practice.yaml"
    practice.write_text(practice.read_text().replace("Example Counseling Practice",
                                                     "Renamed Practice"), encoding="utf-8")
    assert wait_for(lambda: "Renamed Practice" in fetch(url + "index.html")), \
        "".join(server.err)

    # A broken file: the rebuild fails, says why in one line, and the old site stays up.
    client = workspace / "content" / "C-101.yaml"
    client.write_text(client.read_text().replace("status: attended", "status: atended", 1),
                      encoding="utf-8")
    assert wait_for(lambda: any("Rebuild failed" in line for line in server.err)), \
        "".join(server.err)
    assert any("C-101.yaml" in line and "did you mean 'attended'" in line
               for line in server.err)
    assert "Renamed Practice" in fetch(url + "index.html")

    assert server.stop() == 0
    assert "Traceback" not in "".join(server.err)


def test_serve_a_port_in_use_exits_2(tmp_path: Path, served) -> None:
    workspace = new_workspace(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = served(str(workspace), "--port", str(port), "--as-of", DEMO_AS_OF)
        assert server.process.wait(timeout=60) == 2
    assert wait_for(lambda: any("try another --port" in line for line in server.err), 5)
    assert "Traceback" not in "".join(server.err)


def test_serve_an_invalid_workspace_exits_2_before_serving(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", str(tmp_path), "--port", "0"])
    assert result.exit_code == 2
    assert "no content/ folder" in result.stderr and "Traceback" not in result.stderr

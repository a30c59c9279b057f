"""`caseload serve`: change detection (pure), the server (which requests it answers,
its headers), and the command end to end.

Every server here listens on 127.0.0.1 on a port the system picks (port 0);
every wait is bounded.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.site.serve import (
    FORBIDDEN,
    SiteServer,
    allowed_hosts,
    changed_paths,
    make_server,
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
    assert reply.headers["Server"] == "caseload"  # not the Python version


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
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
            self.process.kill()
            self.process.wait(timeout=10)
            raise


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
    assert refused.headers["Cache-Control"] == "no-store"
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

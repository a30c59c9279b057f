"""`caseload serve`: change detection (pure), the server, and the command end to end.

Every server here listens on 127.0.0.1 on a port the system picks (port 0);
every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.site.serve import changed_paths, make_server, watch_state
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


def test_server_serves_the_built_demo_site(demo_site: Path) -> None:
    with make_server(demo_site, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            host, port = server.server_address[:2]
            assert host == "127.0.0.1"
            body = fetch(f"http://127.0.0.1:{port}/index.html")
            root = fetch(f"http://127.0.0.1:{port}/")
            with OPENER.open(f"http://127.0.0.1:{port}/roster.html", timeout=10) as reply:
                assert reply.headers["Cache-Control"] == "no-store"
        finally:
            server.shutdown()
            thread.join(timeout=10)
    assert body == root == (demo_site / "index.html").read_text(encoding="utf-8")
    assert "Riverbend Counseling Collective" in body


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

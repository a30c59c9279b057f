"""One build at a time: a second build (or serve's rebuild, or a snapshot) waits,
says so, and the site it leaves is one build's, never a mix of two."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from generator.cli import cli
from generator.site.lock import WAITING, lock_files
from tests.conftest import ROOT
from tests.test_build import made_unwritable, tree

AS_OF, LATER = "2026-11-28", "2026-12-15"


class Child:
    """A caseload command in a child process, its output read as it comes."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", *args], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)})
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, lines), daemon=True).start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            lines.append(line.rstrip("\n"))

    def said(self, text: str, seconds: float = 60) -> bool:
        return wait_for(lambda: any(text in line for line in self.err + self.out), seconds)

    def finish(self, seconds: float = 180) -> int:
        try:
            code = self.process.wait(timeout=seconds)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        time.sleep(0.1)  # let the readers take the last lines
        return code


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def children() -> Iterator[Callable[..., Child]]:
    started: list[Child] = []

    def start(*args: str) -> Child:
        started.append(Child(*args))
        return started[-1]

    yield start
    for child in started:
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(timeout=10)


def new_workspace(path: Path) -> Path:
    result = CliRunner().invoke(cli, ["init", str(path)])
    assert result.exit_code == 0, result.stderr
    return path


def build_in_process(workspace: Path, day: str, *args: str) -> None:
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", day, *args])
    assert result.exit_code == 0, result.stderr


def test_the_lock_files(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    assert lock_files(workspace, workspace / "site") == [
        workspace.resolve() / ".caseload.lock", workspace.resolve() / ".site.lock"]
    elsewhere = tmp_path / "out" / "packet"
    assert lock_files(workspace, elsewhere) == sorted([
        workspace.resolve() / ".caseload.lock", tmp_path.resolve() / "out" / ".packet.lock"])
    assert lock_files(workspace) == [workspace.resolve() / ".caseload.lock"]


def test_a_second_build_waits_for_the_first_and_says_so(tmp_path: Path, children) -> None:
    workspace = new_workspace(tmp_path / "ws")
    with FileLock(workspace / ".caseload.lock"):  # as a build in progress holds it
        child = children("build", str(workspace), "--as-of", AS_OF)
        assert child.said(WAITING), child.err
        time.sleep(1)
        assert child.process.poll() is None  # still waiting
        assert not (workspace / "site").exists()
    assert child.finish() == 0, child.err
    assert child.err[0] == WAITING
    assert (workspace / "site" / "index.html").is_file()


def test_builds_of_one_site_from_two_workspaces_wait_for_each_other(tmp_path: Path,
                                                                    children) -> None:
    first, second = new_workspace(tmp_path / "a"), new_workspace(tmp_path / "b")
    site = tmp_path / "shared" / "packet"
    site.parent.mkdir()
    with FileLock(site.parent / ".packet.lock"):  # a build of that site, from `first`
        child = children("build", str(second), "--as-of", AS_OF, "--site-dir", str(site))
        assert child.said(WAITING), child.err
        # Other sites, even in the same folder, do not wait. (`second` itself does: the
        # waiting build holds its workspace's lock.)
        build_in_process(first, AS_OF)
        build_in_process(first, AS_OF, "--site-dir", str(site.parent / "other"))
        assert child.process.poll() is None
    assert child.finish() == 0, child.err
    assert (site / "index.html").is_file()


def test_two_builds_at_once_leave_one_of_them_whole(tmp_path: Path, children) -> None:
    workspace = new_workspace(tmp_path / "ws")
    build_in_process(workspace, AS_OF)  # pages the next builds may take over
    expected = {}
    for day in (AS_OF, LATER):
        reference = new_workspace(tmp_path / f"reference-{day}")
        for name in ("content", "site_config"):  # the same caseload (init dates it by today)
            subprocess.run(["rm", "-rf", str(reference / name)], check=True)
            subprocess.run(["cp", "-r", str(workspace / name), str(reference / name)], check=True)
        build_in_process(reference, day)
        expected[day] = tree(reference / "site")
    with FileLock(workspace / ".caseload.lock"):  # both start, and wait
        builds = [children("build", str(workspace), "--as-of", day) for day in (LATER, AS_OF)]
        assert all(child.said(WAITING) for child in builds)
    finished = []
    while len(finished) < 2:
        for child, day in zip(builds, (LATER, AS_OF), strict=True):
            if day not in finished and child.process.poll() is not None:
                assert child.finish() == 0, child.err
                finished.append(day)
        time.sleep(0.05)
    site = tree(workspace / "site")
    assert site == expected[finished[-1]]  # the last build's site, whole


def test_serve_holds_the_lock_for_each_build_only(tmp_path: Path, children) -> None:
    workspace = new_workspace(tmp_path / "ws")
    server = children("serve", str(workspace), "--port", "0", "--as-of", AS_OF)
    assert server.said("Serving http://"), server.err
    lock = FileLock(workspace / ".caseload.lock")
    lock.acquire(timeout=10)  # free while serve only serves
    try:
        practice = workspace / "site_config" / "practice.yaml"
        practice.write_text(practice.read_text(encoding="utf-8").replace(
            "Example Counseling Practice", "Renamed Practice"), encoding="utf-8")
        assert server.said(WAITING), server.err  # its rebuild waits for us
        assert "Renamed Practice" not in (workspace / "site" / "index.html").read_text("utf-8")
    finally:
        lock.release()
    assert wait_for(lambda: "Renamed Practice" in
                    (workspace / "site" / "index.html").read_text("utf-8")), server.err
    server.process.terminate()
    server.finish(30)


def test_a_snapshot_waits_for_a_build(tmp_path: Path, children) -> None:
    workspace = new_workspace(tmp_path / "ws")
    with FileLock(workspace / ".caseload.lock"):
        child = children("snapshot", str(workspace), "--as-of", AS_OF, "--no-commit")
        assert child.said(WAITING), child.err
        assert not (workspace / "snapshots").exists()
    assert child.finish() == 0, child.err
    assert (workspace / "snapshots" / AS_OF / "manifest.json").is_file()
    assert not [p for p in (workspace / "snapshots" / AS_OF).rglob("*.lock")]


def test_lock_files_are_private_and_ignored_by_git(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path / "ws")
    build_in_process(workspace, AS_OF)
    for name in (".caseload.lock", ".site.lock"):
        assert oct((workspace / name).stat().st_mode & 0o777) == "0o600"
    rules = (workspace / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".caseload.lock" in rules and "/.site.*" in rules


def test_a_read_only_workspace_builds_elsewhere_without_its_lock(tmp_path: Path) -> None:
    """A read-only copy of a workspace (an auditor's, say) can still build a site
    elsewhere: its own lock is done without, the site's lock is not."""
    workspace = new_workspace(tmp_path / "ws")
    with made_unwritable(workspace):
        build_in_process(workspace, AS_OF, "--site-dir", str(tmp_path / "out" / "site"))
        result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", AS_OF])
        assert result.exit_code == 2
        assert result.stderr.startswith(f"cannot create {workspace.resolve() / '.site.lock'}: ")
    assert (tmp_path / "out" / "site" / "index.html").is_file()
    assert not (workspace / ".caseload.lock").exists()

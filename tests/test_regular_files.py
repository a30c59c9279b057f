"""Workspace files that are not regular files are refused at once, never read.

A FIFO opened for reading waits for a writer forever; a character device such
as /dev/zero says its size is 0 and then never ends. Each command runs in its
own process with a time limit, so that a regression fails the test instead of
hanging the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from generator import regularfile
from tests.conftest import DEMO_AS_OF, ROOT

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
FIFO = "is a FIFO (named pipe), not a regular file"


def caseload(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command in its own process, running this worktree's code."""
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def workspace_copy(target: Path) -> Path:
    for name in ("content", "site_config", "templates", "audits"):
        shutil.copytree(ROOT / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    return target


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return workspace_copy(tmp_path / "ws")


def fifo_in_place_of(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


def assert_refused(result: subprocess.CompletedProcess[str], line: str) -> None:
    assert result.returncode == 2, result.stderr
    assert line in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.stderr


# --- the reader itself ----------------------------------------------------------------


@needs_fifo
def test_opening_a_fifo_neither_blocks_nor_reads(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _catch(outcome, pipe), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "read_regular blocked on a FIFO"
    assert len(outcome) == 1 and isinstance(outcome[0], regularfile.NotRegularFile)
    assert str(outcome[0]) == FIFO


def _catch(outcome: list[BaseException], path: Path) -> None:
    try:
        regularfile.read_regular(path)
    except BaseException as exc:  # the test inspects whatever was raised
        outcome.append(exc)


def test_a_socket_and_a_folder_are_named(tmp_path: Path) -> None:
    with pytest.raises(regularfile.NotRegularFile, match=r"^is a folder, not a regular file$"):
        regularfile.read_regular(tmp_path)
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets on this system")
    path = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(regularfile.NotRegularFile,
                           match=r"^is a socket, not a regular file$"):
            regularfile.read_regular(path)


def test_a_link_is_followed_only_when_asked(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"data")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert regularfile.read_regular(tmp_path / "link") == b"data"
    with pytest.raises(regularfile.NotRegularFile, match="symbolic link"):
        regularfile.read_regular(tmp_path / "link", follow=False)


def test_the_size_limit_holds(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 101)
    assert regularfile.read_regular(path, limit=101) == b"x" * 101
    with pytest.raises(regularfile.FileTooLarge) as raised:
        regularfile.read_regular(path, limit=100)
    assert raised.value.size == 101


# --- every workspace file a command reads ---------------------------------------------


@needs_fifo
@pytest.mark.parametrize("command", ["check", "build"])
def test_a_fifo_under_content_is_refused(workspace: Path, command: str) -> None:
    fifo_in_place_of(workspace / "content" / "waiting.yaml")
    result = caseload(command, str(workspace), "--as-of", DEMO_AS_OF)
    assert_refused(result, f"content/waiting.yaml:1: file: {FIFO}")
    assert not (workspace / "site").exists()


@needs_fifo
def test_a_link_to_a_fifo_inside_the_workspace_is_refused(workspace: Path) -> None:
    os.mkfifo(workspace / "pipe")
    (workspace / "content" / "linked.yaml").symlink_to(workspace / "pipe")
    assert_refused(caseload("check", str(workspace), "--as-of", DEMO_AS_OF),
                   f"content/linked.yaml:1: file: {FIFO}")


@needs_fifo
@pytest.mark.parametrize("name", ["site_config/practice.yaml",
                                  "site_config/payers/summit-health.yaml"])
@pytest.mark.parametrize("command", ["check", "build"])
def test_a_fifo_as_a_policy_file_is_refused(workspace: Path, name: str, command: str) -> None:
    fifo_in_place_of(workspace / name)
    assert_refused(caseload(command, str(workspace), "--as-of", DEMO_AS_OF),
                   f"{name}:1: file: {FIFO}")


@needs_fifo
def test_a_fifo_as_mkdocs_yml_is_refused(workspace: Path) -> None:
    fifo_in_place_of(workspace / "mkdocs.yml")
    assert_refused(caseload("build", str(workspace), "--as-of", DEMO_AS_OF),
                   f"mkdocs.yml:1: file: {FIFO}")
    assert not (workspace / "site").exists()


@needs_fifo
def test_a_fifo_as_an_audit_request_is_refused(workspace: Path) -> None:
    request = workspace / "audits" / "summit-2026-11.yaml"
    fifo_in_place_of(request)
    assert_refused(caseload("audit", str(request), str(workspace), "--as-of", DEMO_AS_OF),
                   f"audits/summit-2026-11.yaml:1: file: {FIFO}")
    # The overview lists the open requests, so a build reads them too.
    assert_refused(caseload("build", str(workspace), "--as-of", DEMO_AS_OF),
                   f"audits/summit-2026-11.yaml:1: file: {FIFO}")


def test_a_link_to_dev_zero_under_content_is_refused(workspace: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    (workspace / "content" / "zero.yaml").symlink_to("/dev/zero")
    result = caseload("check", str(workspace), "--as-of", DEMO_AS_OF, timeout=60)
    # Refused as leading outside the workspace, before its size is even asked.
    assert_refused(result, "content/zero.yaml:1: file: is a link to a place outside the "
                           "workspace; not read")


def test_a_character_device_under_content_is_refused(workspace: Path) -> None:
    # A device inside the workspace passes the outside-link check, so this is the
    # case that reaches the reader. Making one needs root (CAP_MKNOD).
    if not hasattr(os, "mknod") or not Path("/dev/zero").exists():
        pytest.skip("no mknod or /dev/zero on this system")
    zero = os.stat("/dev/zero").st_rdev
    try:
        os.mknod(workspace / "content" / "zero.yaml", 0o600 | stat.S_IFCHR, zero)
    except PermissionError:
        pytest.skip("making a device file needs root (CAP_MKNOD); not running as root")
    result = caseload("check", str(workspace), "--as-of", DEMO_AS_OF, timeout=60)
    assert_refused(result, "content/zero.yaml:1: file: is a character device, not a "
                           "regular file")


def test_a_socket_under_content_is_refused(workspace: Path) -> None:
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets on this system")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(workspace / "content" / "s.yaml"))
        assert_refused(caseload("check", str(workspace), "--as-of", DEMO_AS_OF),
                       "content/s.yaml:1: file: is a socket, not a regular file")

"""A killed build or snapshot leaves copies of health data behind: the next run
(holding the lock, so never another live build's folders) deletes them, and
completes or undoes a swap that was cut between its two renames."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.archive import staging
from generator.cli import cli
from generator.site.engine import MARKER_NAME, recover_site
from tests.conftest import ROOT
from tests.test_build import temporary_leftovers, tree

AS_OF, LATER = "2026-11-28", "2026-12-15"


def leftovers(workspace: Path) -> list[str]:
    return [name for name in temporary_leftovers(workspace) if name != ".gitignore"]


def new_workspace(path: Path) -> Path:
    result = CliRunner().invoke(cli, ["init", str(path)])
    assert result.exit_code == 0, result.stderr
    return path


def build(workspace: Path, day: str = AS_OF, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", day, *args])
    return result.exit_code, result.stderr


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """The example's site as of each date, built cleanly, to compare with."""
    workspace = new_workspace(tmp_path_factory.mktemp("reference") / "ws")
    found = {}
    for day in (AS_OF, LATER):
        assert build(workspace, day)[0] == 0
        found[day] = tree(workspace / "site")
    return found


@pytest.fixture
def workspace(tmp_path: Path, sites: dict[str, dict[str, bytes]]) -> Path:
    """A workspace with the example (same caseload as `sites`) built as of AS_OF."""
    workspace = new_workspace(tmp_path / "ws")
    assert build(workspace)[0] == 0
    if tree(workspace / "site") != sites[AS_OF]:
        pytest.skip("the day changed between fixtures: init dates the example by today")
    return workspace


def copy_site(source: Path, target: Path, marker: bool = True) -> Path:
    shutil.copytree(source, target)
    if not marker:
        (target / MARKER_NAME).unlink()
    return target


def test_killed_builds_leave_folders_the_next_build_deletes(workspace: Path, sites) -> None:
    site = workspace / "site"
    partial = copy_site(site, workspace / ".site.build-a1b2c3d4", marker=False)  # in MkDocs
    shutil.rmtree(partial / "clients")
    copy_site(site, workspace / ".site.build-e5f6g7h8")  # complete, killed before the swap
    (workspace / ".site.old-i9j0k1l2").mkdir()  # killed before the old site was moved
    copy_site(site, workspace / ".site.old-m3n4o5p6" / "site")  # killed while deleting it
    shutil.copytree(workspace / "content", workspace / ".site.docs-q7r8s9t0" / "clients")
    assert build(workspace, LATER)[0] == 0
    assert leftovers(workspace) == []
    assert tree(site) == sites[LATER]


@pytest.mark.parametrize("left", ["new", "previous"])
def test_a_build_killed_between_its_two_renames_is_completed_or_undone(
        workspace: Path, sites, left: str) -> None:
    site = workspace / "site"
    # The swap renamed the site away into .site.old-*, then the process died.
    os.mkdir(workspace / ".site.old-u1v2w3x4")
    os.rename(site, workspace / ".site.old-u1v2w3x4" / "site")
    if left == "new":  # the new site, complete (marker written last), was not moved in
        copy_site(workspace / ".site.old-u1v2w3x4" / "site", workspace / ".site.build-y5z6a7b8")
    assert not site.exists()
    assert recover_site(site) == left
    assert tree(site) == sites[AS_OF]
    assert leftovers(workspace) == []


def test_an_incomplete_new_site_is_never_moved_in(workspace: Path, sites) -> None:
    site = workspace / "site"
    os.mkdir(workspace / ".site.old-u1v2w3x4")
    os.rename(site, workspace / ".site.old-u1v2w3x4" / "site")
    copy_site(workspace / ".site.old-u1v2w3x4" / "site", workspace / ".site.build-y5z6a7b8",
              marker=False)
    assert recover_site(site) == "previous"
    assert tree(site) == sites[AS_OF]


def test_after_a_cut_swap_a_failed_build_still_leaves_the_previous_site(workspace: Path,
                                                                        sites) -> None:
    site = workspace / "site"
    os.mkdir(workspace / ".site.old-u1v2w3x4")
    os.rename(site, workspace / ".site.old-u1v2w3x4" / "site")
    (workspace / "content" / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    code, err = build(workspace, LATER)
    assert code == 2 and err.startswith("content/broken.yaml:")
    # Invalid input is found before any lock or folder is touched...
    assert not site.exists()
    (workspace / "content" / "broken.yaml").unlink()
    # ... and the next build that runs puts the previous site back first.
    (workspace / "templates").mkdir()
    (workspace / "templates" / "overview.md.j2").write_text("{{ no_such_name }}\n",
                                                            encoding="utf-8")
    code, err = build(workspace, LATER)
    assert code == 2 and "no_such_name" in err
    assert tree(site) == sites[AS_OF]
    assert leftovers(workspace) == []


def test_a_site_elsewhere_is_tidied_too(tmp_path: Path, workspace: Path, sites) -> None:
    site = tmp_path / "out" / "packet"
    assert build(workspace, AS_OF, "--site-dir", str(site))[0] == 0
    os.mkdir(site.parent / ".packet.old-c9d0e1f2")
    os.rename(site, site.parent / ".packet.old-c9d0e1f2" / "packet")
    shutil.copytree(workspace / "content", site.parent / ".packet.docs-g3h4i5j6")
    other = copy_site(workspace / "site", site.parent / ".other.build-k7l8m9n0")  # not ours
    assert build(workspace, LATER, "--site-dir", str(site))[0] == 0
    assert tree(site) == sites[LATER]
    assert sorted(p.name for p in site.parent.iterdir()) == [
        ".other.build-k7l8m9n0", ".packet.lock", "packet"]
    assert other.is_dir()  # another site's: left to a build of that site


def test_old_style_markdown_folders_are_deleted_once_an_hour_old(workspace: Path) -> None:
    old, fresh = workspace / ".caseload-docs-abcd1234", workspace / ".caseload-docs-efgh5678"
    for folder in (old, fresh):
        shutil.copytree(workspace / "content", folder)
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    assert build(workspace)[0] == 0
    assert not old.exists() and fresh.is_dir()  # could still be a live build of caseload 0.x


def test_a_killed_snapshot_is_invisible_to_git_and_deleted_by_the_next_run(
        workspace: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    snapshots = workspace / "snapshots"
    snapshots.mkdir()
    killed = staging.make_staging(snapshots, AS_OF)
    shutil.copytree(workspace / "content", killed / "docs")
    status = subprocess.run(["git", "-C", str(workspace), "status", "--porcelain",
                             "--untracked-files=all"], capture_output=True, text=True,
                            check=True).stdout
    assert "snapshots" not in status and "content/" in status
    subprocess.run(["git", "-C", str(workspace), "add", "-A"], check=True)
    staged = subprocess.run(["git", "-C", str(workspace), "diff", "--cached", "--name-only"],
                            capture_output=True, text=True, check=True).stdout
    assert "snapshots/" not in staged
    assert build(workspace)[0] == 0
    assert list(snapshots.iterdir()) == []


def test_a_snapshot_deletes_a_killed_one_and_keeps_none_of_its_own_staging(
        workspace: Path) -> None:
    snapshots = workspace / "snapshots"
    snapshots.mkdir()
    killed = staging.make_staging(snapshots, LATER)
    (killed / "report.json").write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(cli, ["snapshot", str(workspace), "--as-of", AS_OF,
                                      "--no-commit"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in snapshots.iterdir()) == [AS_OF]
    assert not (snapshots / AS_OF / staging.IGNORE_ALL).exists()


def test_a_build_killed_for_real_leaves_nothing_after_the_next(tmp_path: Path, sites) -> None:
    workspace = new_workspace(tmp_path / "ws")
    assert build(workspace)[0] == 0
    child = subprocess.Popen([sys.executable, "-m", "generator", "build", str(workspace),
                              "--as-of", LATER], cwd=ROOT, stderr=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while not list(workspace.glob(".site.build-*")) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert build(workspace, LATER)[0] == 0
    assert leftovers(workspace) == []
    if tree(workspace / "site") != sites[LATER]:
        pytest.fail("the site after the killed build is not the clean build's")

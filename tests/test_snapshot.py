"""`caseload snapshot` and `caseload verify`, in throwaway git repositories.

The demo is snapshotted twice (2026-10-28, then 2026-11-28) in one module-wide
repository; the second snapshot carries the "Changes since" page. Tests that
need a failure on the way use a fresh copy and a stand-in for the site build,
so that only three real builds run in this module.

After an intentional change, rewrite the expected files with
    python -m pytest tests/test_snapshot.py tests/test_changes.py --update-golden
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import generator.archive.snapshot as snapshot_module
import generator.site.build
from generator import __version__
from generator.archive.snapshot import GitFailed
from generator.cli import cli
from tests.clirun import run
from tests.conftest import ROOT

GOLDEN = Path(__file__).parent / "golden"
BEFORE, AFTER = "2026-10-28", "2026-11-28"
WORKSPACE_PARTS = ("content", "site_config", "templates", "mkdocs.yml")
# Git as the tests see it: no user's or system's configuration (hooks, signing, identity).
GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
IDENTITY_VARIABLES = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                      "GIT_COMMITTER_EMAIL", "EMAIL")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          check=True).stdout


def copy_demo(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in WORKSPACE_PARTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def make_repo(target: Path, identity: bool = True) -> Path:
    copy_demo(target)
    # The demo's ignores, and snapshots/ too: the snapshot is added with `git add -f` anyway.
    ignores = (ROOT / ".gitignore").read_text(encoding="utf-8")
    (target / ".gitignore").write_text(ignores + "/snapshots/\n", encoding="utf-8")
    git(target, "init", "-q")
    if identity:
        git(target, "config", "user.name", "Test Clinician")
        git(target, "config", "user.email", "test@example.org")
        git(target, "add", "-A")
        git(target, "commit", "-q", "-m", "Workspace")
    return target


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def golden(name: str, actual: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"differs from tests/golden/{name}"


def fake_build(report: object, workspace: Path, site_dir: Path, *, settings: object,
               docs_keep: Path, extra_pages: object = None, progress: object = None,
               redact: bool = False, warn: object = None, audits: object = ()) -> None:
    """A stand-in for the site build: fast, and enough for the steps after it."""
    site_dir.mkdir(parents=True)
    (site_dir / "index.html").write_text("<p>site</p>\n", encoding="utf-8")
    docs_keep.mkdir(parents=True)
    (docs_keep / "index.md").write_text("# docs\n", encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def isolated_git() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in GIT_ENV.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, isolated_git: None) -> Path:
    """The demo in a git repository with a staged, uncommitted file, snapshotted twice."""
    root = make_repo(tmp_path_factory.mktemp("repo") / "practice")
    (root / "notes.txt").write_text("staged, not for the snapshot\n", encoding="utf-8")
    git(root, "add", "notes.txt")
    for day in (BEFORE, AFTER):
        code, _, err = run("snapshot", str(root), "--as-of", day)
        assert code == 0, err
    return root


@pytest.fixture
def fresh_repo(tmp_path: Path) -> Path:
    """A demo repository with a staged file, for tests that make a snapshot fail."""
    root = make_repo(tmp_path / "practice")
    (root / "notes.txt").write_text("staged\n", encoding="utf-8")
    git(root, "add", "notes.txt")
    return root


def repo_state(root: Path) -> dict[str, str]:
    return {
        "head": git(root, "rev-parse", "HEAD"),
        "tags": git(root, "tag", "-l"),
        "status": git(root, "status", "--porcelain", "--untracked-files=all"),
        "index": git(root, "ls-files", "-s"),
        "folders": "\n".join(sorted(p.name for p in (root / "snapshots").iterdir()))
        if (root / "snapshots").exists() else "",
    }


# --- snapshot: the folder, the commit, the tag ----------------------------------------


def test_snapshot_folder_holds_site_docs_report_and_manifest(repo: Path) -> None:
    folder = repo / "snapshots" / AFTER
    assert sorted(p.name for p in folder.iterdir()) == [".gitattributes", "docs",
                                                         "manifest.json", "report.json", "site"]
    assert (folder / ".gitattributes").read_bytes().splitlines()[-1] == \
        b"* -text -eol -filter -ident -working-tree-encoding"
    assert (folder / "site" / "index.html").is_file()
    assert (folder / "docs" / "index.md").is_file()
    assert not list((repo / "snapshots").glob(".staging-*"))


def test_snapshot_is_private_to_its_owner(repo: Path) -> None:
    folder = repo / "snapshots" / AFTER
    for path in [folder, *folder.rglob("*")]:
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


def test_report_json_is_the_check_json_document(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(repo), "--as-of", AFTER, "--format", "json"])
    kept = (repo / "snapshots" / AFTER / "report.json").read_text(encoding="utf-8")
    assert json.loads(kept) == json.loads(result.stdout)


def test_manifest_lists_version_date_policies_inputs_and_files(repo: Path) -> None:
    folder = repo / "snapshots" / AFTER
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool_version"] == __version__
    assert manifest["as_of"] == AFTER
    payers = sorted(p.stem for p in (repo / "site_config" / "payers").glob("*.yaml"))
    assert [p["payer"] for p in manifest["policies"]] == [None, *payers]
    northwind = next(p for p in manifest["policies"] if p["payer"] == "northwind-ppo")
    assert northwind["settings"]["treatment_plan.review_interval_days"] == \
        {"value": 180, "layer": "payer"}
    inputs = manifest["inputs"]
    expected_inputs = {"mkdocs.yml"} | {
        p.relative_to(repo).as_posix() for name in ("content", "site_config", "templates")
        for p in (repo / name).rglob("*") if p.is_file()}
    assert set(inputs) == expected_inputs
    for rel in ("mkdocs.yml", "site_config/practice.yaml", "templates/client.md.j2"):
        data = (repo / rel).read_bytes()
        assert inputs[rel] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    files = set(tree(folder)) - {"manifest.json"}
    assert set(manifest["files"]) == files
    for rel, entry in manifest["files"].items():
        assert entry["sha256"] == hashlib.sha256((folder / rel).read_bytes()).hexdigest()


def test_snapshot_is_committed_alone_and_tagged(repo: Path) -> None:
    for day in (BEFORE, AFTER):
        tag = f"snapshot-{day}"
        committed = git(repo, "diff-tree", "-r", "--name-only", "--no-commit-id",
                        f"{tag}^{{commit}}").split()
        assert committed and all(p.startswith(f"snapshots/{day}/") for p in committed)
        assert len(committed) == len(tree(repo / "snapshots" / day))
        assert git(repo, "cat-file", "-t", tag).strip() == "tag"  # annotated
        manifest = (repo / "snapshots" / day / "manifest.json").read_bytes()
        message = git(repo, "tag", "-l", "--format=%(contents)", tag)
        assert f"manifest.json sha256: {hashlib.sha256(manifest).hexdigest()}" in message
        assert day in git(repo, "log", "-1", "--format=%s", tag)
    # What else was staged is still staged, and in neither commit.
    assert git(repo, "diff", "--cached", "--name-only").split() == ["notes.txt"]
    assert git(repo, "status", "--porcelain").splitlines() == ["A  notes.txt"]


def test_second_snapshot_of_a_date_is_refused_and_changes_nothing(repo: Path) -> None:
    before = repo_state(repo)
    files = tree(repo / "snapshots" / AFTER)
    code, out, err = run("snapshot", str(repo), "--as-of", AFTER)
    assert code == 2
    assert "already exists" in err and "never overwritten" in err
    assert "Traceback" not in err and out == ""
    assert repo_state(repo) == before
    assert tree(repo / "snapshots" / AFTER) == files


def test_existing_tag_is_refused(repo: Path) -> None:
    git(repo, "tag", "snapshot-2026-12-01")
    try:
        before = repo_state(repo)
        code, _, err = run("snapshot", str(repo), "--as-of", "2026-12-01")
        assert code == 2
        assert "tag snapshot-2026-12-01 already exists" in err
        assert repo_state(repo) == before
    finally:
        git(repo, "tag", "-d", "snapshot-2026-12-01")


def test_outside_git_is_refused_with_a_hint(tmp_path: Path) -> None:
    workspace = copy_demo(tmp_path / "practice")
    code, _, err = run("snapshot", str(workspace), "--as-of", AFTER)
    assert code == 2
    assert "not inside a git repository" in err and "--no-commit" in err
    assert len(err.strip().splitlines()) == 1
    assert not (workspace / "snapshots").exists()


def test_missing_git_identity_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    workspace = make_repo(tmp_path / "practice", identity=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in IDENTITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    code, _, err = run("snapshot", str(workspace), "--as-of", AFTER)
    assert code == 2
    assert "no identity" in err and "git config user.name" in err
    assert "Traceback" not in err
    assert not (workspace / "snapshots").exists()


def test_invalid_input_writes_nothing(fresh_repo: Path) -> None:
    (fresh_repo / "content" / "broken.yaml").write_text("id: C-9\nname: X\n", encoding="utf-8")
    before = repo_state(fresh_repo)
    code, _, err = run("snapshot", str(fresh_repo), "--as-of", AFTER)
    assert code == 2
    assert "missing required key 'intake_date'" in err
    assert repo_state(fresh_repo) == before


def test_no_commit_outside_git_gives_the_same_bytes(repo: Path, tmp_path: Path) -> None:
    # Another copy, somewhere else, without git: same input and date, same bytes.
    workspace = copy_demo(tmp_path / "elsewhere" / "copy")
    code, _, err = run("snapshot", str(workspace), "--as-of", BEFORE, "--no-commit")
    assert code == 0, err
    assert "not committed" in err
    assert tree(workspace / "snapshots" / BEFORE) == tree(repo / "snapshots" / BEFORE)


# --- failures on the way leave nothing behind -----------------------------------------


def interrupted_build(*args: Any, **kwargs: Any) -> None:
    fake_build(*args, **kwargs)
    raise KeyboardInterrupt


def test_interrupted_build_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    workspace = copy_demo(tmp_path / "practice")
    monkeypatch.setattr(generator.site.build, "build", interrupted_build)
    result = CliRunner().invoke(cli, ["snapshot", str(workspace), "--as-of", AFTER,
                                      "--no-commit"])
    assert result.exit_code != 0
    assert not (workspace / "snapshots").exists()


def test_failure_after_the_build_keeps_earlier_snapshots_untouched(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = copy_demo(tmp_path / "practice")
    shutil.copytree(repo / "snapshots" / BEFORE, workspace / "snapshots" / BEFORE)
    earlier = tree(workspace / "snapshots")

    def broken_manifest(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(generator.site.build, "build", fake_build)
    monkeypatch.setattr(snapshot_module, "manifest_document", broken_manifest)
    code, _, err = run("snapshot", str(workspace), "--as-of", AFTER, "--no-commit")
    assert code == 2
    assert "internal error" in err and "Traceback" not in err
    assert [p.name for p in (workspace / "snapshots").iterdir()] == [BEFORE]
    assert tree(workspace / "snapshots") == earlier


def test_failed_commit_is_rolled_back(fresh_repo: Path, monkeypatch: pytest.MonkeyPatch
                                      ) -> None:
    hook = fresh_repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    monkeypatch.setattr(generator.site.build, "build", fake_build)
    before = repo_state(fresh_repo)
    code, _, err = run("snapshot", str(fresh_repo), "--as-of", AFTER)
    assert code == 2
    assert "git commit failed: hook says no" in err
    assert repo_state(fresh_repo) == before  # notes.txt still staged, nothing else
    assert not (fresh_repo / "snapshots").exists()


def test_failed_tag_takes_the_commit_back(fresh_repo: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    def no_tag(*args: object) -> None:
        raise GitFailed("git tag failed: refused for the test")

    monkeypatch.setattr(generator.site.build, "build", fake_build)
    monkeypatch.setattr(snapshot_module, "_tag", no_tag)
    before = repo_state(fresh_repo)
    code, _, err = run("snapshot", str(fresh_repo), "--as-of", AFTER)
    assert code == 2
    assert "git tag failed" in err
    assert repo_state(fresh_repo) == before
    assert not (fresh_repo / "snapshots").exists()


# --- verify -------------------------------------------------------------------------


def test_verify_in_git_names_commit_and_tag(repo: Path) -> None:
    code, out, _ = run("verify", str(repo / "snapshots" / AFTER))
    assert code == 0, out
    commit = git(repo, "rev-parse", f"snapshot-{AFTER}^{{commit}}").strip()
    assert f"tag snapshot-{AFTER}, commit {commit}" in out
    assert "manifest.json matches the SHA-256 in tag" in out
    assert f"git: tag snapshot-{AFTER} is unsigned" in out
    assert f"the files on disk match commit {commit}" in out


def test_verify_on_a_clone_that_converts_line_endings(repo: Path, tmp_path: Path) -> None:
    # Git for Windows clones with core.autocrlf=true; the snapshot's .gitattributes
    # keeps its files byte for byte.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-c", "core.autocrlf=true", str(repo), str(clone)],
                   check=True, capture_output=True)
    for day in (BEFORE, AFTER):
        folder = clone / "snapshots" / day
        assert tree(folder) == tree(repo / "snapshots" / day)
        code, out, _ = run("verify", str(folder))
        assert code == 0, out


def test_verify_names_altered_missing_and_extra_files(repo: Path, tmp_path: Path) -> None:
    copy = tmp_path / AFTER
    shutil.copytree(repo / "snapshots" / AFTER, copy)
    code, out, _ = run("verify", str(copy))
    assert code == 0
    assert "not in a git repository" in out
    with (copy / "site" / "index.html").open("ab") as handle:
        handle.write(b"<!-- edited -->")
    (copy / "docs" / "roster.md").unlink()
    (copy / "site" / "added.html").write_text("new\n", encoding="utf-8")
    (copy / "docs" / "linked").symlink_to(copy / "site", target_is_directory=True)
    code, out, _ = run("verify", str(copy))
    assert code == 1
    assert out.splitlines()[:4] == ["altered: site/index.html", "missing: docs/roster.md",
                                    "extra: docs/linked", "extra: site/added.html"]
    assert "NOT intact: 1 altered, 1 missing, 2 extra" in out


def test_verify_shows_odd_file_names_as_escapes(repo: Path, tmp_path: Path) -> None:
    copy = tmp_path / AFTER
    shutil.copytree(repo / "snapshots" / AFTER, copy)
    (copy / "site" / "x\x1b[2J.html").write_text("", encoding="utf-8")
    code, out, _ = run("verify", str(copy))
    assert code == 1
    assert "extra: site/x\\x1b[2J.html" in out.splitlines()
    assert "\x1b" not in out


def test_verify_catches_a_rewritten_manifest_through_git(repo: Path) -> None:
    folder = repo / "snapshots" / AFTER
    try:
        report = folder / "report.json"
        report.write_text(report.read_text(encoding="utf-8").replace(
            '"status": "at_risk"', '"status": "active"', 1), encoding="utf-8")
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        data = report.read_bytes()
        manifest["files"]["report.json"] = {"sha256": hashlib.sha256(data).hexdigest(),
                                            "size": len(data)}
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        code, out, _ = run("verify", str(folder))
        assert code == 1
        assert f"manifest.json does NOT match the SHA-256 in tag snapshot-{AFTER}" in out
        assert "git: altered: manifest.json" in out and "git: altered: report.json" in out
        assert out.splitlines()[-1] == (
            f"{folder}: NOT verified: manifest.json is not the one tag snapshot-{AFTER} names; "
            "it no longer matches what git recorded when the snapshot was taken")
    finally:
        git(repo, "checkout", "-q", "--", f"snapshots/{AFTER}")


def test_verify_of_an_uncommitted_snapshot_in_a_repository(
        fresh_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generator.site.build, "build", fake_build)
    code, _, err = run("snapshot", str(fresh_repo), "--as-of", AFTER, "--no-commit")
    assert code == 0, err
    assert git(fresh_repo, "tag", "-l") == ""
    code, out, _ = run("verify", str(fresh_repo / "snapshots" / AFTER))
    assert code == 0
    assert f"git: not committed (no tag snapshot-{AFTER}" in out


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "manifest.json: not valid JSON"),
    ('{"kind": "something else"}', "not a caseload snapshot manifest"),
    ('{"kind": "caseload snapshot", "manifest_version": 1, "as_of": "2026-11-28", '
     '"files": {"../outside": {"sha256": "' + "0" * 64 + '", "size": 1}}}', "bad path"),
])
def test_verify_without_a_valid_manifest_exits_1(tmp_path: Path, content: str,
                                                 message: str) -> None:
    (tmp_path / "report.json").write_text("{}", encoding="utf-8")
    (tmp_path / "manifest.json").write_text(content, encoding="utf-8")
    code, out, _ = run("verify", str(tmp_path))
    assert code == 1
    assert len(out.strip().splitlines()) == 1 and message in out


def test_verify_of_a_missing_folder_or_manifest_exits_2(tmp_path: Path) -> None:
    code, _, err = run("verify", str(tmp_path / "nowhere"))
    assert code == 2
    assert "no such folder" in err
    (tmp_path / "report.json").write_text("{}", encoding="utf-8")
    code, out, err = run("verify", str(tmp_path))
    assert code == 2 and out == ""
    assert err == f"{tmp_path / 'manifest.json'}:1: missing, so this is not a caseload " \
        "snapshot (or its manifest was deleted)\n"


# --- what changed -------------------------------------------------------------------


def test_second_snapshot_has_the_changes_page(repo: Path, update_golden: bool) -> None:
    assert not (repo / "snapshots" / BEFORE / "docs" / "changes.md").exists()
    page = (repo / "snapshots" / AFTER / "docs" / "changes.md").read_text(encoding="utf-8")
    golden(f"changes-{BEFORE}-to-{AFTER}.md", page, update_golden)
    html = (repo / "snapshots" / AFTER / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="changes.html"' in html  # in the navigation


def test_diff_between_two_snapshots_is_pinned(repo: Path, update_golden: bool) -> None:
    code, out, err = run("diff", BEFORE, AFTER, "--workspace", str(repo))
    assert code == 0, err
    golden(f"diff-{BEFORE}-to-{AFTER}.txt", out, update_golden)
    code, out, _ = run("diff", str(repo / "snapshots" / BEFORE),
                       str(repo / "snapshots" / AFTER), "--format", "json")
    assert code == 0
    golden(f"diff-{BEFORE}-to-{AFTER}.json", out, update_golden)
    assert json.loads(out)["before"] == BEFORE


def test_diff_refuses_an_altered_report(repo: Path, tmp_path: Path) -> None:
    copy = tmp_path / BEFORE
    shutil.copytree(repo / "snapshots" / BEFORE, copy)
    (copy / "report.json").write_text('{"as_of": "2026-10-28", "clients": []}\n',
                                      encoding="utf-8")
    code, out, err = run("diff", str(copy), AFTER, "--workspace", str(repo))
    assert code == 2 and out == ""
    assert "altered since the snapshot was taken" in err

"""`caseload init`: a new workspace whose example makes sense on any day."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from datetime import date
from pathlib import Path

import pytest

import generator.cli as cli_module
from generator.init import example_files
from tests.clirun import run
from tests.conftest import ROOT

EXAMPLE = ROOT / "generator" / "example"


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch):
    """Pin caseload's notion of today (init and check both ask generator.cli.today)."""
    def pin(day: date) -> None:
        monkeypatch.setattr(cli_module, "today", lambda: day)
    return pin


def test_init_writes_the_layout(tmp_path: Path) -> None:
    target = tmp_path / "practice"
    code, out, err = run("init", str(target))
    assert code == 0, err
    assert "Wrote a new workspace" in out
    assert listing(target) == [
        ".gitignore", "README.md", "content", "content/C-101.yaml", "content/C-102.yaml",
        "content/C-103.yaml", "mkdocs.yml", "site_config", "site_config/payers",
        "site_config/payers/brightpath.yaml", "site_config/practice.yaml",
    ]
    assert (target / "mkdocs.yml").read_bytes() == (ROOT / "mkdocs.yml").read_bytes()
    assert "{{" not in "".join(p.read_text() for p in (target / "content").iterdir())


@pytest.mark.parametrize("day", [date(2026, 11, 28), date(2028, 2, 29), date(2031, 1, 1),
                                 date.today()])
def test_example_always_shows_its_three_situations(tmp_path: Path, on_day, day: date) -> None:
    on_day(day)
    assert run("init", str(tmp_path / "ws"))[0] == 0
    code, out, err = run("check", str(tmp_path / "ws"), "--format", "json")
    assert code == 0, err  # warnings only, on the day of init
    document = json.loads(out)
    assert document["as_of"] == day.isoformat()
    found = {c["id"]: (c["status"], [f["code"] for f in c["findings"]])
             for c in document["clients"]}
    assert found == {
        "C-101": ("active", []),
        "C-102": ("active", ["PLAN-DUE-SOON"]),
        "C-103": ("discharged", ["DISCHARGE-SUMMARY-DUE"]),
    }


def test_init_then_check_and_build_today(tmp_path: Path) -> None:
    target = tmp_path / "ws"
    assert run("init", str(target))[0] == 0
    code, out, err = run("check", str(target))
    assert code in (0, 1), err  # 1 only if the day turned between init and check
    assert "Example Counseling Practice" in out
    code, _, err = run("build", str(target))
    assert code == 0, err
    index = (target / "site" / "index.html").read_text(encoding="utf-8")
    assert "Example Counseling Practice" in index
    code, _, err = run("calendar", str(target))
    assert code == 0, err


def test_example_renders_relative_dates() -> None:
    files = example_files(date(2026, 11, 28))
    c102 = files["content/C-102.yaml"].decode()
    assert "intake_date: 2026-08-20" in c102  # 100 days before
    assert "{date: 2026-12-05, status: scheduled}" in c102  # 7 days after
    assert ".gitignore" in files and "gitignore" not in files


def test_gitignore_keeps_builds_out_and_snapshots_in(tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "ws"))[0] == 0
    rules = (tmp_path / "ws" / ".gitignore").read_text().splitlines()
    assert "/site/" in rules and "/caseload.ics" in rules
    # Snapshots stay in; only a snapshot still being written (or left by a kill) is out.
    assert [r for r in rules if "snapshot" in r and not r.startswith("#")] == \
        ["/snapshots/.staging-*"]
    assert ".caseload.lock" in rules


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "ws"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    code, out, err = run("init", str(target))
    assert code == 2
    assert "not empty" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and out == ""
    assert listing(target) == ["notes.txt"]


def test_init_refuses_a_folder_with_only_a_dotfile(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    code, _, err = run("init", str(tmp_path))
    assert code == 2 and "not empty" in err
    assert listing(tmp_path) == [".git"]


def test_init_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    code, _, err = run("init", str(target))
    assert code == 2 and "is a file" in err
    assert target.read_text() == "x"


def test_init_writes_into_an_empty_or_new_nested_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert run("init", str(tmp_path / "empty"))[0] == 0
    assert run("init", str(tmp_path / "new" / "nested"))[0] == 0
    assert (tmp_path / "new" / "nested" / "content" / "C-101.yaml").is_file()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_init_git_makes_a_repository_that_ignores_the_site(tmp_path: Path) -> None:
    target = tmp_path / "ws"
    code, out, err = run("init", str(target), "--git")
    assert code == 0, err
    assert "git repository" in out
    assert (target / ".git").is_dir()
    assert run("build", str(target))[0] == 0
    assert run("calendar", str(target))[0] == 0
    status = subprocess.run(["git", "-C", str(target), "status", "--porcelain",
                             "--untracked-files=all", "--ignored"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    ignored = {line[3:] for line in status if line.startswith("!!")}
    assert "site/" in ignored or any(p.startswith("site/") for p in ignored)
    assert "caseload.ics" in ignored
    untracked = {line[3:] for line in status if line.startswith("??")}
    assert "content/C-101.yaml" in untracked and ".gitignore" in untracked


def test_git_missing_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("generator.init.shutil.which", lambda name: None)
    code, _, err = run("init", str(tmp_path / "ws"), "--git")
    assert code == 2 and "git is not installed" in err
    assert not (tmp_path / "ws").exists()


def test_example_mkdocs_is_the_shipped_one() -> None:
    assert (EXAMPLE / "mkdocs.yml").read_bytes() == (ROOT / "mkdocs.yml").read_bytes()


def test_package_data_ships_every_example_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["generator"]
    package = ROOT / "generator"
    shipped = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    present = {p for p in EXAMPLE.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert present and shipped == present
    assert not [p for p in present if p.name.startswith(".")]  # globs skip dotfiles


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o077])
def test_init_writes_owner_only_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    """A workspace holds health information from its first file on."""
    import os

    saved = os.umask(umask)
    try:
        assert run("init", str(tmp_path / "new" / "ws"))[0] == 0
        (tmp_path / "empty").mkdir()
        (tmp_path / "empty").chmod(0o755)
        assert run("init", str(tmp_path / "empty"))[0] == 0
    finally:
        os.umask(saved)
    for root in (tmp_path / "new", tmp_path / "empty"):
        for path in root.rglob("*"):
            assert oct(path.stat().st_mode & 0o777) == ("0o700" if path.is_dir() else "0o600"), \
                path
    assert oct((tmp_path / "new").stat().st_mode & 0o777) == "0o700"  # made by init too
    assert oct((tmp_path / "empty").stat().st_mode & 0o777) == "0o755"  # yours: left as it is


def test_init_keeps_nothing_when_a_write_fails(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.init

    written: list[Path] = []
    real = generator.init.write_private

    def fail_third(path: Path, data: bytes) -> None:
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        real(path, data)
        written.append(path)

    monkeypatch.setattr(generator.init, "write_private", fail_third)
    code, _, err = run("init", str(tmp_path / "new" / "ws"))
    assert code == 2 and "No space left on device" in err
    assert not (tmp_path / "new").exists()

"""A warm build is a cold build: every input that shapes a page is in its key.

A small generated workspace is built once. Then, for each input that shapes the
site, a copy with the built site (warm: unchanged pages are taken from it) and
a copy without (cold) are changed the same way and built. The two sites must be
the same bytes, every file of them: the marker too, whose keys and hashes are
the same for the same input.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.generate import generate_workspace
from generator.cli import cli
from generator.fingerprint import code_digest
from generator.model.site import SiteSettings
from generator.pages.render import PAGE_CODE, builtin_templates
from generator.site import engine, shell
from generator.site.engines import MKDOCS
from tests.conftest import DEMO_AS_OF
from tests.test_build import site_tree

CLIENTS = 12


def build(workspace: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["build", str(workspace), "--as-of", DEMO_AS_OF, *args])
    assert result.exit_code == 0, result.stderr
    assert "caseload:" not in result.stderr  # no fallback: the shell made the pages


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("keys") / "ws"
    generate_workspace(workspace, CLIENTS)
    build(workspace)
    return workspace


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def markdown_setting(workspace: Path) -> list[str]:
    replace_in(workspace / "mkdocs.yml", "permalink: true", 'permalink: "§"')
    return []


def palette(workspace: Path) -> list[str]:
    replace_in(workspace / "mkdocs.yml", "primary: custom", "primary: deep purple")
    return []


def template_override(workspace: Path) -> list[str]:
    (workspace / "templates").mkdir(exist_ok=True)
    text = (builtin_templates() / "client.md.j2").read_text(encoding="utf-8")
    (workspace / "templates" / "client.md.j2").write_text(
        text + "\nReviewed by [the practice](../rules.md#statuses).\n", encoding="utf-8")
    return []


def policy_number(workspace: Path) -> list[str]:
    replace_in(workspace / "site_config" / "practice.yaml", "inactive_after_days: 60",
               "inactive_after_days: 45")
    return []


def report_date(workspace: Path) -> list[str]:
    return ["--as-of", "2026-12-03"]


def practice_name(workspace: Path) -> list[str]:
    replace_in(workspace / "site_config" / "practice.yaml", "name: Riverbend Counseling Collective",
               "name: Riverbend Counselling Co-operative")
    return []


CHANGES: dict[str, Callable[[Path], list[str]]] = {
    "a Markdown setting": markdown_setting,
    "the palette": palette,
    "a template override": template_override,
    "a policy number": policy_number,
    "the report date": report_date,
    "the practice name": practice_name,
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_warm_build_equals_a_cold_build(built: Path, tmp_path: Path, change: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    warm = tmp_path / "warm"
    shutil.copytree(built, warm, symlinks=True)
    cold = tmp_path / "cold"
    shutil.copytree(built, cold, ignore=shutil.ignore_patterns("site"))
    args = CHANGES[change](warm)
    assert CHANGES[change](cold) == args
    made: list[str] = []
    real = shell.make_page
    monkeypatch.setattr(shell, "make_page",
                        lambda frame, conv, job, *rest: (made.append(job[0]),
                                                         real(frame, conv, job, *rest))[1])
    build(warm, *args)
    assert made  # the change reached the client pages: some were made again
    before = site_tree(built / "site")
    assert site_tree(warm / "site") != before
    build(cold, *args)
    assert site_tree(warm / "site") == site_tree(cold / "site")


def test_an_unchanged_workspace_makes_no_page_again(built: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    again = tmp_path / "again"
    shutil.copytree(built, again, symlinks=True)
    made: list[str] = []
    monkeypatch.setattr(shell, "make_page", lambda *args: made.append(args[2][0]))
    build(again)
    assert made == []
    assert site_tree(again / "site") == site_tree(built / "site")


def test_the_engine_fingerprint_covers_the_settings_and_the_engine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SiteSettings("mkdocs.yml", {"theme": {"name": "material"},
                                           "markdown_extensions": [{"toc": {"permalink": True}}]})
    same = SiteSettings("elsewhere/mkdocs.yml", {"markdown_extensions": [{"toc": {
        "permalink": True}}], "theme": {"name": "material"}})
    other = SiteSettings("mkdocs.yml", {"theme": {"name": "material"},
                                        "markdown_extensions": [{"toc": {"permalink": "§"}}]})
    assert engine.engine_fingerprint(settings, MKDOCS) == engine.engine_fingerprint(same, MKDOCS)
    assert engine.engine_fingerprint(settings, MKDOCS) != engine.engine_fingerprint(other, MKDOCS)
    before = engine.engine_fingerprint(settings, MKDOCS)
    real = engine._installed_version
    monkeypatch.setattr(engine, "_installed_version",
                        lambda name: "99.0" if name == "pymdown-extensions" else real(name))
    assert engine.engine_fingerprint(settings, MKDOCS) != before


def test_the_code_digest_covers_templates_and_the_site_stage() -> None:
    assert {"site", "templates", "pages", "rules", "report", "model", "wording.py"} \
        <= set(PAGE_CODE)
    # Data files count, not only Python: a template is read through the import system.
    assert code_digest("templates") != code_digest("templates", "wording.py")
    from importlib.resources import files

    from generator.fingerprint import _package_files
    names = {path for path, _ in _package_files(files("generator.templates"), "templates")}
    assert {"templates/client.md.j2", "templates/caseload.css"} <= names
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)

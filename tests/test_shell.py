"""Client pages made around a shell page are the very bytes the engine would make."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from generator.pages.render import CLIENT_FOLDER
from generator.reading.exact import load_workspace
from generator.reading.sitesettings import read_site_settings
from generator.report.report import build_report
from generator.site import engine as site
from generator.site import shell
from generator.site.build import nav_for, render_docs, source_date_epoch
from tests.conftest import DEMO_AS_OF, ROOT
from tests.test_build import tree


def alike_pages(docs: Path) -> site.AlikePages:
    """The client pages, keyed by their Markdown (the real build keys them by their inputs)."""
    folder = docs / CLIENT_FOLDER
    keys = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("C-*.md")}
    return site.AlikePages(CLIENT_FOLDER, keys,
                           lambda stem: (folder / f"{stem}.md").read_text(encoding="utf-8"))


def build(docs: Path, target: Path, pages: list[str], alike: str | None,
          warn: site.Warn | None = None) -> None:
    site.build_site(read_site_settings(ROOT), docs, target,
                    site_name="Riverbend Counseling Collective", nav=nav_for(pages),
                    source_date_epoch=source_date_epoch(date(2026, 11, 28)),
                    alike=alike_pages(docs) if alike else None, warn=warn)


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("shell") / "docs"
    report = build_report(load_workspace(ROOT), date.fromisoformat(DEMO_AS_OF))
    return folder, render_docs(report, ROOT, folder)


def without_marker(files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if name != site.MARKER_NAME}


def test_shell_pages_equal_engine_pages(docs: tuple[Path, list[str]], tmp_path: Path) -> None:
    folder, pages = docs
    build(folder, tmp_path / "engine", pages, alike=None)
    build(folder, tmp_path / "shell", pages, alike=CLIENT_FOLDER)
    engine, made = tree(tmp_path / "engine"), tree(tmp_path / "shell")
    assert sum(1 for name in made if name.startswith("clients/")) == 45
    assert without_marker(made) == without_marker(engine)
    assert not (folder / CLIENT_FOLDER / f"{shell.SHELL_STEM}.md").exists()


def test_unchanged_pages_are_taken_from_the_previous_site(docs: tuple[Path, list[str]],
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder, pages = docs
    target = tmp_path / "site"
    build(folder, target, pages, alike=CLIENT_FOLDER)
    before = tree(target)
    page = folder / CLIENT_FOLDER / "C-1001.md"
    original = page.read_text(encoding="utf-8")
    made: list[str] = []
    real = shell.make_page
    monkeypatch.setattr(shell, "make_page",
                        lambda frame, conv, job, expected, render: (made.append(job[0]),
                                                                    real(frame, conv, job,
                                                                         expected, render)))
    try:
        page.write_text(original.replace("Maya Castellanos", "Maya Renamed"), encoding="utf-8")
        build(folder, target, pages, alike=CLIENT_FOLDER)
    finally:
        page.write_text(original, encoding="utf-8")
    assert made == ["C-1001"]
    after = tree(target)
    assert b"Maya Renamed" in after["clients/C-1001.html"]
    changed = sorted(n for n in after if after[n] != before.get(n))
    assert changed == [site.MARKER_NAME, "clients/C-1001.html"]


def test_pages_with_other_front_matter_fall_back_to_the_engine(
        docs: tuple[Path, list[str]], tmp_path: Path) -> None:
    folder, pages = docs
    page = folder / CLIENT_FOLDER / "C-1002.md"
    original = page.read_text(encoding="utf-8")
    try:
        page.write_text(original.replace("hide:\n  - toc\n", ""), encoding="utf-8")
        build(folder, tmp_path / "engine", pages, alike=None)
        build(folder, tmp_path / "shell", pages, alike=CLIENT_FOLDER)
    finally:
        page.write_text(original, encoding="utf-8")
    assert without_marker(tree(tmp_path / "shell")) == without_marker(tree(tmp_path / "engine"))


def test_shell_parse_refuses_an_unexpected_page() -> None:
    with pytest.raises(shell.ShellMismatch):
        shell.Shell.parse("<html><body>no sentinels here</body></html>",
                          shell.Settings(("toc",), {}), "# x\n")


def test_many_pages_are_made_in_parallel_with_the_same_bytes(
        docs: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, pages = docs
    build(folder, tmp_path / "serial", pages, alike=CLIENT_FOLDER)
    monkeypatch.setattr(shell, "PARALLEL_FROM", 2)
    build(folder, tmp_path / "parallel", pages, alike=CLIENT_FOLDER)
    assert tree(tmp_path / "serial") == tree(tmp_path / "parallel")

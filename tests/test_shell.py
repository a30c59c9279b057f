"""Client pages made around a shell page are the very bytes the engine would make."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from generator.errors import SiteBuildError
from generator.pages.render import CLIENT_FOLDER, builtin_templates
from generator.reading.exact import load_workspace
from generator.reading.sitesettings import read_site_settings
from generator.report.report import build_report
from generator.site import engine as site
from generator.site import shell
from generator.site.build import nav_for, render_docs, source_date_epoch
from tests.conftest import DEMO_AS_OF, ROOT
from tests.test_build import copy_demo, site_tree, tree


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
    """A site's files but the marker, which only the shell's has."""
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
    before = site_tree(target)
    page = folder / CLIENT_FOLDER / "C-1001.md"
    original = page.read_text(encoding="utf-8")
    made: list[str] = []
    real = shell.make_page
    monkeypatch.setattr(shell, "make_page",
                        lambda frame, conv, job, *rest: (made.append(job[0]),
                                                         real(frame, conv, job, *rest))[1])
    try:
        page.write_text(original.replace("Maya Castellanos", "Maya Renamed"), encoding="utf-8")
        build(folder, target, pages, alike=CLIENT_FOLDER)
    finally:
        page.write_text(original, encoding="utf-8")
    assert made == ["C-1001"]
    after = site_tree(target)
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
    assert site_tree(tmp_path / "serial") == site_tree(tmp_path / "parallel")


# Links of every kind MkDocs rewrites (or leaves alone) in a page's Markdown, in a
# workspace's own client template: to pages, to anchors on them, with a query,
# to another client and to this page, reference links, images (with a title and
# attributes), static files, and what MkDocs leaves as it is: raw HTML. (E-mail and
# other sites are refused by the build's reference scan.) The payer link differs.
LINKS = """
## See also

[Back to the roster](../roster.md) · [to this client's row](../roster.md#C-1001) ·
[how statuses are read](../rules.md#statuses) · [clinician Lee](../clinicians/lee.md) ·
[another client's findings](C-1002.md#findings) · [this page's findings](#findings) ·
[sorted](../roster.md?sort=name#top) · [the overview][overview] · [a folder's index](../index.md) ·
{% if c.payer %}[the payer](../payers/{{ safe_id(c.payer) }}.md) · {% endif %}
![Status mix](../assets/charts/status.svg "Statuses") ·
![Plans](../assets/charts/plan-age.svg){ width="120" } ·
[the print styles](../assets/caseload.css) · <a href="../roster.md">raw HTML, left alone</a>

[overview]: ../index.md
"""


def docs_with_client_template(root: Path, extra: str) -> tuple[Path, list[str]]:
    """The demo's Markdown, with a workspace client template that adds `extra`."""
    workspace = copy_demo(root / "ws")
    template = (builtin_templates() / "client.md.j2").read_text(encoding="utf-8")
    (workspace / "templates" / "client.md.j2").write_text(template + extra, encoding="utf-8")
    report = build_report(load_workspace(workspace), date.fromisoformat(DEMO_AS_OF))
    folder = root / "docs"
    return folder, render_docs(report, workspace, folder)


def test_shell_pages_link_as_the_engine_does(tmp_path: Path) -> None:
    folder, pages = docs_with_client_template(tmp_path, LINKS)
    warnings: list[str] = []
    build(folder, tmp_path / "engine", pages, alike=None)
    build(folder, tmp_path / "shell", pages, alike=CLIENT_FOLDER, warn=warnings.append)
    assert warnings == []  # the shell made the client pages
    engine, made = tree(tmp_path / "engine"), tree(tmp_path / "shell")
    page = made["clients/C-1001.html"].decode()
    assert 'href="../roster.html"' in page and 'href="../roster.html#C-1001"' in page
    assert 'href="C-1002.html#findings"' in page and 'href="../clinicians/lee.html"' in page
    assert 'src="../assets/charts/status.svg"' in page and 'href="../index.html"' in page
    assert 'href="../roster.md"' in page  # raw HTML is not rewritten, by either
    assert without_marker(made) == without_marker(engine)


@pytest.mark.parametrize(("link", "why"), [
    ("[gone](../no-such-page.md)", "links to '../no-such-page.md', which is not a document"),
    ("[gone](C-9999.md)", "links to 'C-9999.md', which is not a document"),
    ("![gone](../assets/charts/no-such.svg)", "which is not a document"),
])
def test_a_link_to_nothing_fails_as_the_engine_fails(tmp_path: Path, link: str, why: str) -> None:
    folder, pages = docs_with_client_template(tmp_path, f"\n{link}\n")
    with pytest.raises(SiteBuildError) as by_engine:
        build(folder, tmp_path / "engine", pages, alike=None)
    warnings: list[str] = []
    with pytest.raises(SiteBuildError) as by_shell:
        build(folder, tmp_path / "shell", pages, alike=CLIENT_FOLDER, warn=warnings.append)
    assert str(by_shell.value) == str(by_engine.value)
    assert len(warnings) == 1 and why in warnings[0]
    assert warnings[0].startswith("client pages built by MkDocs one by one (slower): ")


@pytest.mark.parametrize("link", ["[home](/index.md)", "[a folder](../payers/)",
                                  "[no suffix](../roster)"])
def test_a_link_the_shell_cannot_vouch_for_is_left_to_the_engine(tmp_path: Path,
                                                                  link: str) -> None:
    folder, pages = docs_with_client_template(tmp_path, f"\n{link}\n")
    build(folder, tmp_path / "engine", pages, alike=None)
    warnings: list[str] = []
    build(folder, tmp_path / "shell", pages, alike=CLIENT_FOLDER, warn=warnings.append)
    assert len(warnings) == 1 and "(slower)" in warnings[0]
    assert tree(tmp_path / "shell") == tree(tmp_path / "engine")  # no marker: nothing to reuse


def test_a_reused_page_whose_link_target_is_gone_is_made_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, pages = docs_with_client_template(tmp_path, "\n[Notes](../notes.md)\n")
    (folder / "notes.md").write_text("# Notes\n", encoding="utf-8")  # linked to by nothing else
    build(folder, tmp_path / "site", pages, alike=CLIENT_FOLDER)
    (folder / "notes.md").unlink()
    with pytest.raises(SiteBuildError, match=r"notes\.md"):
        build(folder, tmp_path / "site", pages, alike=CLIENT_FOLDER)
    # Taken as they were, the pages would keep a link to nothing:
    monkeypatch.setattr(site._ShellLinks, "still_there", lambda self, targets: True)
    build(folder, tmp_path / "site", pages, alike=CLIENT_FOLDER)
    assert b'href="../notes.html"' in (tmp_path / "site" / "clients" / "C-1001.html").read_bytes()

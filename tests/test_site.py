"""Tests for generator.site.engine, the MkDocs build layer.

Every build scans what it wrote for references off the machine
(generator/site/references.py, tested on its own in tests/test_references.py),
and so do these tests, on the sites they build.

Material's minified bundle also holds URL strings that it *may* load at run
time. They are not syntactic imports, so the scanner does not flag them;
instead ``test_bundle_remote_loads_stay_dormant`` asserts that what would
trigger each one is absent from every page:

* ``unpkg.com/mermaid``: only for ``pre.mermaid`` blocks in a page;
* ``api.github.com`` / GitLab API: only with a repository widget (repo_url);
* ``unpkg.com/resize-observer-polyfill``: only in browsers lacking
  ResizeObserver (before 2020); accepted;
* ``clipboardjs.com``: a comment/licence string, never loaded.

Source maps (``*.map``) are only read by developer tools and JSON files are
data; neither is scanned.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import generator.site.engine as site_module
from generator.model.site import SiteSettings
from generator.reading.exact import WorkspaceInvalid
from generator.reading.sitesettings import read_settings_file
from generator.site.engine import MARKER_NAME, SiteBuildError, build_site
from generator.site.references import external_references

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "mkdocs.yml"
NAV = [{"Home": "index.md"}, {"Roster": "roster.md"}]
EPOCH = 1_700_000_000

PAGES = {
    "index.md": "# Home\n\nWelcome. See the [roster](roster.md).\n",
    "roster.md": (
        "# Roster\n\n| Client | Sessions |\n| --- | --- |\n| [C-1](clients/C-1.md) | 3 |\n"
    ),
    "clients/C-1.md": (
        "---\nsearch:\n  exclude: true\n---\n\n# C-1\n\n"
        "!!! note\n    Zebrafinch intake notes.\n\n[Back to roster](../roster.md)\n"
    ),
    "assets/caseload.css": "@media print { .md-header { display: none; } }\n",
}


# --- helpers ------------------------------------------------------------------


def write_docs(root: Path, pages: dict[str, str] = PAGES) -> Path:
    for name, text in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def build(docs: Path, site: Path, config: Path | SiteSettings = CONFIG) -> None:
    settings = config if isinstance(config, SiteSettings) else read_settings_file(config)
    build_site(settings, docs, site, site_name="Test practice", nav=NAV,
               source_date_epoch=EPOCH)


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def leftovers(parent: Path, site_name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{site_name}."))


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("built")
    docs = write_docs(root / "docs")
    build(docs, root / "site")
    return root / "site"


# --- tests --------------------------------------------------------------------


def test_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    """A second build, in another process with another hash seed and docs path, matches."""
    docs = write_docs(tmp_path / "elsewhere" / "docs")
    script = (
        "import sys; from pathlib import Path; from generator.site.engine import build_site; "
        "from generator.reading.sitesettings import read_settings_file; "
        "build_site(read_settings_file(Path(sys.argv[1])), Path(sys.argv[2]), Path(sys.argv[3]), "
        f"site_name='Test practice', nav={NAV!r}, source_date_epoch={EPOCH})"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    env.pop("SOURCE_DATE_EPOCH", None)
    args = [sys.executable, "-c", script, str(CONFIG), str(docs), str(tmp_path / "site")]
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    first, second = snapshot(built), snapshot(tmp_path / "site")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_source_date_epoch_is_restored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "42")
    build(write_docs(tmp_path / "docs"), tmp_path / "site")
    assert os.environ["SOURCE_DATE_EPOCH"] == "42"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    build(tmp_path / "docs", tmp_path / "site")
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_no_external_references(built: Path) -> None:
    assert external_references(built) == []


def test_bundle_remote_loads_stay_dormant(built: Path) -> None:
    for page in built.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert 'class="mermaid"' not in text, page
        assert 'data-md-component="source"' not in text, page
        assert "unpkg.com" not in text and "fonts.googleapis" not in text, page


def test_file_protocol_search_index(built: Path) -> None:
    data = (built / "search" / "search_index.json").read_text(encoding="utf-8")
    script = (built / "search" / "search_index.js").read_text(encoding="utf-8")
    assert script == f"var __index = {data};\n"


def test_client_page_built_linked_but_not_in_nav(built: Path) -> None:
    assert (built / "clients" / "C-1.html").is_file()
    assert 'href="clients/C-1.html"' in (built / "roster.html").read_text(encoding="utf-8")
    nav = primary_nav(built / "index.html")
    assert "roster.html" in nav
    assert "C-1" not in nav


def test_client_page_not_in_search_index(built: Path) -> None:
    index = json.loads((built / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = [doc["location"] for doc in index["docs"]]
    assert any(loc.startswith("roster.html") for loc in locations)
    assert not [loc for loc in locations if loc.startswith("clients/")]
    assert "Zebrafinch" not in json.dumps(index)


def test_site_is_owner_only(built: Path) -> None:
    for path in [built, *built.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_privacy_settings_are_forced(tmp_path: Path) -> None:
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        "site_name: x\nsite_url: https://example.org/\nrepo_url: https://github.com/a/b\n"
        "theme:\n  name: material\n  font:\n    text: Roboto\n"
        "extra:\n  analytics:\n    provider: google\n    property: G-XXXX\n"
        "  social:\n    - icon: fontawesome/brands/mastodon\n      link: https://example.org\n",
        encoding="utf-8",
    )
    build(write_docs(tmp_path / "docs"), tmp_path / "site", config)
    assert external_references(tmp_path / "site") == []
    text = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "googletagmanager" not in text and "github" not in text.lower()


@pytest.mark.parametrize(
    "config_text",
    [
        "site_name: x\ntheme:\n  name: material\nplugins:\n  - search\n  - offline\n",
        "site_name: x\ntheme:\n  name: material\nextra_css:\n  - https://cdn.example/x.css\n",
        "site_name: x\ntheme: [unclosed\n",
        "site_name: x\ntheme:\n  name: no-such-theme\n",
    ],
    ids=["offline-plugin", "remote-css", "bad-yaml", "bad-theme"],
)
def test_bad_config_is_refused_when_read(tmp_path: Path, config_text: str) -> None:
    config = tmp_path / "bad.yml"
    config.write_text(config_text, encoding="utf-8")
    with pytest.raises(WorkspaceInvalid) as info:
        read_settings_file(config, shown="bad.yml")
    assert all(re.match(r"bad\.yml:\d+: ", str(e)) for e in info.value.errors)


@pytest.mark.parametrize(
    "values",
    [
        {"theme": {"name": "material"}, "plugins": ["search", "offline"]},
        {"theme": {"name": "material"}, "extra_css": ["https://cdn.example/x.css"]},
        {"theme": {"name": "material"}, "extra_javascript": ["//cdn.example/x.js"]},
        {"theme": {"name": "no-such-theme"}},
        {"theme": {"name": "mkdocs"}},
        {"theme": {"name": "material"}, "markdown_extensions": ["no_such_extension"]},
    ],
    ids=["offline-plugin", "remote-css", "remote-js", "bad-theme", "other-theme", "bad-ext"],
)
def test_engine_still_refuses_bad_settings_and_keeps_previous_site(
    tmp_path: Path, values: dict[str, object]
) -> None:
    """Settings that did not come through the reader: the engine's own checks still hold."""
    docs = write_docs(tmp_path / "docs")
    build(docs, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    with pytest.raises(SiteBuildError) as info:
        build(docs, tmp_path / "site", SiteSettings(str(tmp_path / "mkdocs.yml"), values))
    assert "\n" not in str(info.value)
    assert snapshot(tmp_path / "site") == before
    assert leftovers(tmp_path, "site") == []


def test_the_engine_never_opens_the_settings_file(tmp_path: Path) -> None:
    """`path` only names the file: what is built comes from `values` alone."""
    config = tmp_path / "mkdocs.yml"
    config.write_text("theme: [this is not read\n", encoding="utf-8")
    values = read_settings_file(CONFIG).values
    build(write_docs(tmp_path / "docs"), tmp_path / "site", SiteSettings(str(config), values))
    assert (tmp_path / "site" / "index.html").is_file()


def test_broken_link_fails_quietly_and_keeps_previous_site(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    docs = write_docs(tmp_path / "docs")
    build(docs, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    (docs / "roster.md").write_text("# Roster\n\n[C-2](clients/C-2.md)\n", encoding="utf-8")
    with pytest.raises(SiteBuildError, match=re.escape("clients/C-2.md")):
        build(docs, tmp_path / "site")
    assert snapshot(tmp_path / "site") == before
    assert leftovers(tmp_path, "site") == []
    assert capfd.readouterr() == ("", "")


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceInvalid, match="cannot be read"):
        build(write_docs(tmp_path / "docs"), tmp_path / "site", tmp_path / "missing.yml")
    assert not (tmp_path / "site").exists()
    assert leftovers(tmp_path, "site") == []


def test_rebuild_replaces_site_quietly(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    docs = write_docs(tmp_path / "docs")
    build(docs, tmp_path / "site")
    (docs / "index.md").write_text("# Home\n\nChanged.\n", encoding="utf-8")
    build(docs, tmp_path / "site")
    assert "Changed." in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert leftovers(tmp_path, "site") == []
    assert capfd.readouterr() == ("", "")


def test_failed_swap_restores_previous_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = write_docs(tmp_path / "docs")
    build(docs, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    real_rename = site_module._rename

    def failing_rename(source: Path, target: Path) -> None:
        if source.name.startswith(".site.build-"):
            raise SiteBuildError("simulated failure moving the new site in")
        real_rename(source, target)

    monkeypatch.setattr(site_module, "_rename", failing_rename)
    (docs / "index.md").write_text("# Home\n\nChanged.\n", encoding="utf-8")
    with pytest.raises(SiteBuildError, match="simulated"):
        build(docs, tmp_path / "site")
    assert snapshot(tmp_path / "site") == before
    assert leftovers(tmp_path, "site") == []


def test_refuses_to_replace_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(SiteBuildError, match="refusing"):
        build(write_docs(tmp_path / "docs"), tmp_path / "site")
    assert snapshot(tmp_path / "site") == {"thesis.docx": b"precious"}
    assert MARKER_NAME not in os.listdir(tmp_path / "site")


def test_refuses_site_dir_containing_docs(tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    with pytest.raises(SiteBuildError, match="overlaps"):
        build(docs, tmp_path)


# --- nav extraction -------------------------------------------------------------


class _NavParser(HTMLParser):
    """Collects the markup of Material's primary navigation (<nav class="md-nav--primary">)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self.depth or (tag == "nav" and "md-nav--primary" in classes):
            self.depth += tag == "nav"
            self.parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= tag == "nav"

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def primary_nav(page: Path) -> str:
    parser = _NavParser()
    parser.feed(page.read_text(encoding="utf-8"))
    assert parser.parts, "primary nav not found"
    return "".join(parser.parts)


# --- nothing refers off the machine, whatever the engine is given --------------------


@pytest.mark.parametrize("markup, host", [
    ('<script src="https:evil.example/x.js"></script>', "evil.example"),
    ('<link rel="stylesheet" href="//evil.example/x.css">', "evil.example"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
])
def test_a_page_that_refers_off_the_machine_fails_and_keeps_the_site(
        tmp_path: Path, markup: str, host: str) -> None:
    docs = write_docs(tmp_path / "docs")
    build(docs, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    (docs / "index.md").write_text(f"# Home\n\n{markup}\n", encoding="utf-8")
    with pytest.raises(SiteBuildError) as info:
        build(docs, tmp_path / "site")
    message = str(info.value)
    assert message.startswith("site build failed: index.html refers outside the site, to "
                              f"{host};")
    assert "\n" not in message
    assert snapshot(tmp_path / "site") == before
    assert leftovers(tmp_path, "site") == []


def test_settings_that_slip_past_every_other_check_are_caught_by_the_scan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """mkdocs.yml cannot name another host (its reader, then the engine, refuse it);
    should both ever let one through, the scan of the built files still stops it."""
    docs = write_docs(tmp_path / "docs")
    build(docs, tmp_path / "site")
    before = snapshot(tmp_path / "site")
    values = {"theme": {"name": "material"}, "extra_javascript": ["https:evil.example/x.js"]}
    settings = SiteSettings(str(tmp_path / "mkdocs.yml"), values)
    with pytest.raises(SiteBuildError, match="remote assets are not allowed"):
        build(docs, tmp_path / "site", settings)
    monkeypatch.setattr(site_module, "_refuse_remote", lambda config: None)
    with pytest.raises(SiteBuildError, match=r"refers outside the site, to evil\.example"):
        build(docs, tmp_path / "site", settings)
    assert snapshot(tmp_path / "site") == before
    assert leftovers(tmp_path, "site") == []


def test_the_marker_names_the_scan_the_site_passed(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a site that passed this very scan lets the next build skip its unchanged files."""
    from generator.site import references

    docs = write_docs(tmp_path / "docs")
    site = tmp_path / "site"
    build(docs, site)
    marker = json.loads((site / MARKER_NAME).read_text(encoding="utf-8"))
    assert marker["references"] == references.scanner_id()
    seen: list[Path | None] = []
    real = references.external_references

    def spy(staging: Path, previous: Path | None = None) -> list[references.Reference]:
        seen.append(previous)
        return real(staging, previous)

    monkeypatch.setattr(references, "external_references", spy)
    build(docs, site)
    del marker["references"]
    (site / MARKER_NAME).write_text(json.dumps(marker), encoding="utf-8")
    build(docs, site)
    assert seen == [site.absolute(), None]


# --- dates past what a gzip header holds ----------------------------------------------


@pytest.mark.parametrize("day, header_time", [
    ("2106-02-07", 4_294_944_000),  # the last day whose midnight fits 32 bits
    ("2106-02-08", 0),  # "no time stamp", as RFC 1952 allows
    ("9999-12-31", 0),
])
def test_late_dates_build(tmp_path: Path, day: str, header_time: int) -> None:
    from datetime import date

    from generator.site.build import source_date_epoch

    docs = write_docs(tmp_path / "docs")
    build_site(read_settings_file(CONFIG), docs, tmp_path / "site", site_name="Test practice",
               nav=NAV, source_date_epoch=source_date_epoch(date.fromisoformat(day)))
    data = (tmp_path / "site" / "sitemap.xml.gz").read_bytes()
    assert int.from_bytes(data[4:8], "little") == header_time
    assert site_module.mkdocs.commands.build.gzip is __import__("gzip")  # put back

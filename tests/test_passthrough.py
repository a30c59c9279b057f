"""Tables kept out of Markdown and put back give the very HTML Markdown makes of them."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mkdocs.utils.meta import get_data

from generator.site import passthrough
from generator.site.shell import Settings, converter_for
from tests.test_build import tree
from tests.test_shell import build, docs  # noqa: F401 (the demo's rendered docs: a fixture)

# What MkDocs hands Markdown for the demo site: its defaults and the site's own.
MKDOCS_SETTINGS = Settings(("toc", "tables", "fenced_code", "attr_list", "admonition"),
                           {"toc": {"permalink": True}})
ROW = '<tr><td><a href="clients/C-1.html">C&#45;1</a></td><td style="x">Ann &amp; Bo</td></tr>'
TABLE = f"<table>\n<thead><tr><th>A</th></tr></thead>\n<tbody>\n{ROW}\n{ROW}\n</tbody>\n</table>"


def convert(text: str) -> str:
    return converter_for(MKDOCS_SETTINGS).convert(text)


def around(text: str) -> str:
    """The HTML of `text` made with its tables cut out and put back."""
    cut = passthrough.cut(text)
    return cut.restore(convert(cut.markdown))


@pytest.mark.parametrize("text", [
    f"# Title\n\nSome text.\n\n{TABLE}\n",
    f"# Title\n\nSome text.\n\n{TABLE}",
    f"# Title\n\n{TABLE}\n\nAfter.\n\n## Next\n\n{TABLE}\n\nEnd.\n",
    f"- a list\n- of two\n\n{TABLE}\n\n> quoted\n\n{TABLE}\n\n    code\n",
    f"!!! note\n    In a box.\n\n{TABLE}\n\n| a | b |\n| - | - |\n| 1 | 2 |\n",
    f"Text.\n\n{TABLE}\n\n\n\n{TABLE}\n",
])
def test_cut_tables_come_back_as_markdown_makes_them(text: str) -> None:
    cut = passthrough.cut(text)
    assert cut.tables and "<tr>" not in cut.markdown
    assert around(text) == convert(text)


@pytest.mark.parametrize("inside", [
    "<!-- a comment -->", "<script>x</script>", "<style>p {}</style>", "a & b", "a &amp b",
    "a\tb", "a\rb", '<td id="x">', "<td name='x'>", '<div markdown="1">', "x\n\ny", "x\n   \ny",
    "x\n```\ny", "x\n~~~\ny", "<table>", "</table> more", "a < b", "<?php ?>", "x\x02y",
    "<td x", "</br>", "</td >",
])
def test_tables_markdown_might_touch_are_left_to_it(inside: str) -> None:
    text = f"Text.\n\n<table>\n<tr><td>{inside}</td></tr>\n</table>\n\nAfter.\n"
    assert passthrough.cut(text).tables == ()
    assert around(text) == convert(text)


@pytest.mark.parametrize("text", [
    f"Text.\n{TABLE}\n\nAfter.\n",  # no blank line before
    f"Text.\n\n{TABLE} tail\n\nAfter.\n",  # more on the closing line
    f"Text.\n\n{TABLE}\nAfter.\n",  # text right under it
    f"Text.\n\n{TABLE.replace('<table>', '<table class=x>')}\n",  # not a bare <table>
    f"Text {passthrough._WORD}.\n\n{TABLE}\n",  # the page quotes our word
    f"<div>\n\n{TABLE}\n\n</div>\n",  # inside an open raw block
    f"Text <a\n\n{TABLE}\n\nAfter.\n",  # after a tag that does not end
    f"Text <!-- x\n\n{TABLE}\n\n-->\n",  # in a comment
    f"<script>\nx < y\n\n{TABLE}\n\n</script>\n",  # in a script
    f"Text </b>\n\n{TABLE}\n",  # after closing what is not open
])
def test_tables_in_other_places_are_left_to_markdown(text: str) -> None:
    assert passthrough.cut(text).tables == ()
    assert around(text) == convert(text)


def test_a_table_markdown_does_not_pass_through_is_reported() -> None:
    text = f"```\nText.\n\n{TABLE}\n\nMore.\n```\n"  # in a code block, where the cut cannot see it
    cut = passthrough.cut(text)
    assert cut.tables
    with pytest.raises(passthrough.Mismatch):
        cut.restore(convert(cut.markdown))


def test_only_markdown_that_passes_raw_html_through_qualifies() -> None:
    assert passthrough.applies_to(converter_for(MKDOCS_SETTINGS))
    for extension in ("md_in_html", "footnotes"):
        assert not passthrough.applies_to(markdown.Markdown(extensions=[extension]))


# Pieces of pages: plain ones, and ones that Markdown or its HTML parser read otherwise.
PLAIN = ["a", "b", " ", "*", "\n", "&#35;", "&amp;", "<b>", "</b>", '<a href="x">', "</a>", "<br>",
         "- ", "> ", "    ", "# "]
ODD = [*"<>&#;/!-=\"'`~\t", "\n\n", "```", "<div>", "</div>", "<!--", "-->", "<script>",
       "</script>", "<table>", "</table>", "!!! note\n", "<a", "<td id=x>"]
TEXT = st.one_of(st.lists(st.sampled_from(PLAIN), max_size=12),
                 st.lists(st.sampled_from(PLAIN + ODD), max_size=12)).map("".join)
TABLE_OF = st.lists(TEXT, max_size=4).map(
    lambda cells: "<table>\n" + "".join(f"<tr><td>{c}</td></tr>\n" for c in cells) + "</table>")


@settings(max_examples=int(os.environ.get("CASELOAD_FUZZ_EXAMPLES", "60")), deadline=None,
          derandomize=not os.environ.get("CASELOAD_FUZZ_RANDOM"))
@given(blocks=st.lists(st.one_of(TEXT, TABLE_OF), max_size=5))
def test_any_table_comes_back_as_markdown_makes_it_or_is_reported(blocks: list[str]) -> None:
    text = "# T\n\n" + "\n\n".join(blocks) + "\n"
    with suppress(passthrough.Mismatch):  # the site then converts the page the ordinary way
        assert around(text) == convert(text)


def test_every_page_of_the_demo_comes_back_as_markdown_makes_it(
        docs: tuple[Path, list[str]]) -> None:  # noqa: F811
    folder, pages = docs
    cut_pages = []
    for page in pages:
        if page.endswith(".md"):
            text = get_data((folder / page).read_text(encoding="utf-8"))[0]
            assert around(text) == convert(text), page
            cut_pages += [page] if passthrough.cut(text).tables else []
    assert {"roster.md", "actions.md", "discharged.md", "payers/selfpay.md",
            "clinicians/lee.md", "clients/C-1001.md"} <= set(cut_pages)


def test_the_site_is_the_same_with_tables_cut_or_not(docs: tuple[Path, list[str]],  # noqa: F811
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder, pages = docs
    restored: list[int] = []
    real = passthrough.Cut.restore
    monkeypatch.setattr(passthrough.Cut, "restore",
                        lambda self, html: (restored.append(len(self.tables)),
                                            real(self, html))[1])
    build(folder, tmp_path / "cut", pages, alike=None)
    assert sum(restored) >= 10  # the tables really went around the engine
    monkeypatch.setattr(passthrough, "applies_to", lambda converter: False)
    build(folder, tmp_path / "whole", pages, alike=None)
    assert tree(tmp_path / "cut") == tree(tmp_path / "whole")


def test_a_table_that_does_not_come_back_is_built_the_ordinary_way(
        docs: tuple[Path, list[str]], tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.site import engine

    folder, pages = docs
    page = folder / "rules.md"
    original = page.read_text(encoding="utf-8")
    builds: list[object] = []
    real_build = engine._run_build
    monkeypatch.setattr(engine, "_run_build", lambda config: (builds.append(config),
                                                              real_build(config))[1])
    warnings: list[str] = []
    try:
        page.write_text(f"{original}\n```\nQuoted.\n\n{TABLE}\n\nMore.\n```\n", encoding="utf-8")
        build(folder, tmp_path / "fallback", pages, alike=None, warn=warnings.append)
        assert len(builds) == 1  # only the page was converted again, not the whole site
        monkeypatch.setattr(passthrough, "applies_to", lambda converter: False)
        build(folder, tmp_path / "whole", pages, alike=None)
    finally:
        page.write_text(original, encoding="utf-8")
    made = tree(tmp_path / "fallback")
    assert made == tree(tmp_path / "whole")
    assert b"&lt;table&gt;" in made["rules.html"]
    assert warnings == ["rules.md converted with its long tables inside MkDocs' Markdown "
                        "(slower): an emptied table did not come back as it went in"]
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]

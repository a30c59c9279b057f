"""Rendering pieces: escaping, ids in paths, and page names for free-text clinicians."""

from __future__ import annotations

import markdown
import pytest
from markupsafe import Markup

from generator.escape import block, inline
from generator.render import client_url, page_slug, safe_id


@pytest.mark.parametrize("text", [
    "<b>x</b>", "**x**", "[a](javascript:b)", "| a | b |", "# h", "{{ 7*7 }}", "`c`",
    "![i](http://e/x.png)", "&amp;", "x\\*y", "<https://e.example>",
])
def test_inline_text_survives_markdown_as_text(text: str) -> None:
    html = markdown.markdown(f"Note: {inline(text)}", extensions=["tables", "attr_list"])
    assert html.count("<") == 2  # only <p> and </p>
    assert "href" not in html and "src" not in html and "javascript:" not in html


def test_none_and_markup() -> None:
    assert inline(None) == "—"
    assert inline(Markup("<b>ok</b>")) == "<b>ok</b>"


def test_block_keeps_lines_and_drops_control_characters() -> None:
    assert block("one\n\ntwo\x00") == "one<br>two"


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/b", "", "-x", "a b", "x" * 65, "C-1\n"])
def test_ids_never_make_paths_outside_the_site(bad: str) -> None:
    with pytest.raises(ValueError):
        safe_id(bad)
    with pytest.raises(ValueError):
        client_url(bad)


def test_free_text_clinician_gets_a_digest_page_name() -> None:
    assert page_slug("lee") == "lee"
    slug = page_slug("../Dr. Smith")
    assert slug.startswith("x-") and "/" not in slug and "." not in slug
    assert slug == page_slug("../Dr. Smith")

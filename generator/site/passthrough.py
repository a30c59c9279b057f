"""Long HTML tables kept out of the engine's Markdown and put back in its HTML.

The site's long lists (roster pages of 250 rows, the action list, payer,
clinician and discharged pages) are HTML tables in their Markdown, which
Markdown passes through as they are. Passing through is not free: MkDocs reads
every tag of a page's raw HTML looking for anchors, then Markdown reads it all
again to find where the block ends; at 10,000 clients that was most of a build
after a one-client change. So before the engine converts a page, the rows of
each such table are swapped for one word, and in the HTML the engine makes,
that emptied table is swapped back for the whole one. Markdown treats the
emptied table exactly as the whole one (the same tags at the same places), and
copies the rows of a raw HTML block as they are written: so the HTML is the
same, byte for byte.

Only tables that Markdown certainly passes through unchanged are emptied: a
``<table>`` line after a blank line, ending at the first ``</table>`` line
before a blank line or the end, with nothing inside that Markdown's HTML parser
would write back otherwise or look into (comments, scripts, styles, a stray
``<`` or ``&``, tabs, blank lines, code fences, ``id``/``name``/``markdown``
attributes, another table), on a page whose HTML outside such tables is plain
and closed (so that each table starts a raw block of its own). The word is
bold Markdown, so it comes back as it was only from a raw HTML block: if any
emptied table does not come back exactly once as it went in,
:meth:`Cut.restore` raises :class:`Mismatch` and the caller converts the page
the ordinary way. ``tests/test_passthrough.py`` pins that both ways give the
same HTML.

Nothing here is specific to one engine: it needs Markdown before conversion
and the HTML after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.postprocessors import AndSubstitutePostprocessor, RawHtmlPostprocessor
from markdown.preprocessors import HtmlBlockPreprocessor, NormalizeWhitespace

_WORD = "CASELOADTABLE9C4E"
_OPEN = "\n\n<table>\n"
_CLOSE = "\n</table>"
_VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr")
# What Markdown's HTML parser would not copy as it is written, or would look
# into: any of these inside a table (lower-cased) leaves it to Markdown. Each
# pattern starts with one rare character, which keeps the search fast.
_UNSAFE_TEXT = ("\t", "\r", "\x00", "\x02", "\x03",  # expanded, normalised, Markdown's own
                "\n```", "\n~~~")  # code fences (MkDocs always has them)
_UNSAFE = (
    re.compile(r"\n[ ]*\n"),  # a blank line
    re.compile(r"<(?:(?![a-z][^<>]*>|/[a-z][a-z0-9]*>)"  # comments, a '<' that opens no tag
               r"|/?(?:script|style|textarea|title|table)\b"  # raw-text elements, tables
               r"|/(?:" + "|".join(_VOID) + r")\b)"),  # closing what never opens
    # Anchors MkDocs records and Markdown inside HTML; spaced-out attributes.
    re.compile(r"=(?:(?<=\s=)|(?<=[\s\"']id=)|(?<=[\s\"']name=)|(?<=[\s\"']markdown=))"),
    re.compile(r"&(?!#[0-9]{1,7};|#x[0-9a-f]{1,6};|[a-z][a-z0-9]{0,31};)"),  # a stray '&'
)
# A tag, whole, as the HTML parser reads it: what the HTML outside the tables must be made of.
_TAG = re.compile(
    r"<(/?)([a-z][a-z0-9]*)"
    r"((?:\s+[a-z_:][-a-z0-9_:.]*(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'=<>`]+))?)*)"
    r"\s*(/?)>",
    re.IGNORECASE,
)
_RAW_TEXT = ("script", "style", "textarea", "title")

# Markdown's own, and fenced code, which cannot reach into a table (see _UNSAFE).
_PLAIN_PREPROCESSORS = frozenset({NormalizeWhitespace, FencedBlockPreprocessor,
                                  HtmlBlockPreprocessor})
_PLAIN_POSTPROCESSORS = frozenset({RawHtmlPostprocessor, AndSubstitutePostprocessor})


class Mismatch(Exception):
    """An emptied table did not come back as it went in: convert the page as it is."""


def applies_to(converter: markdown.Markdown) -> bool:
    """True when the site's Markdown handles raw HTML blocks as plain Markdown does.

    Extensions that read or rewrite raw HTML (Markdown inside HTML, footnotes,
    HTML stripping, ...) hook in as pre- or postprocessors; with any but these
    known ones, every table goes through Markdown.
    """
    return {type(p) for p in converter.preprocessors} <= _PLAIN_PREPROCESSORS \
        and {type(p) for p in converter.postprocessors} <= _PLAIN_POSTPROCESSORS


@dataclass(frozen=True)
class Cut:
    """A page's Markdown with its long tables emptied, and those tables."""

    markdown: str
    tables: tuple[str, ...]

    def restore(self, html: str) -> str:
        """The HTML Markdown makes of the whole page, from the HTML it made of the cut one."""
        if not self.tables:
            return html
        if html.count(_WORD) != len(self.tables):
            raise Mismatch("an emptied table came back other than once")
        for number, table in enumerate(self.tables):
            emptied = _emptied(number)
            if html.count(emptied) != 1:
                raise Mismatch("an emptied table came back changed")
            html = html.replace(emptied, table)
        return html


def cut(text: str) -> Cut:
    """Empty every table Markdown would pass through untouched, if the page allows it."""
    if _WORD in text:  # a page that quotes our word keeps its tables
        return Cut(text, ())
    outside: list[str] = []
    tables: list[str] = []
    done = 0
    start = text.find(_OPEN)
    while start != -1:
        begin = start + 2  # the table itself, after the blank line
        end = _table_end(text, begin)
        if end is None:
            start = text.find(_OPEN, start + 1)
            continue
        outside.append(text[done:begin])
        tables.append(text[begin:end])
        done = end
        start = text.find(_OPEN, done)
    outside.append(text[done:])
    if not tables or not _plain_and_closed(outside):
        return Cut(text, ())
    parts = [part for number, table in enumerate(tables)
             for part in (outside[number], _emptied(number))]
    return Cut("".join([*parts, outside[-1]]), tuple(tables))


def _table_end(text: str, begin: int) -> int | None:
    """Where the table opening at `begin` ends, if Markdown would pass it through as it is."""
    close = text.find(_CLOSE, begin)
    if close == -1:
        return None
    end = close + len(_CLOSE)
    follows = text[end:end + 2]
    at_the_end = follows in ("", "\n") and end + len(follows) == len(text)
    if follows != "\n\n" and not at_the_end:
        return None  # more on the closing line, or right under it
    inside = text[begin + len("<table>"):close + 1].lower()
    if any(piece in inside for piece in _UNSAFE_TEXT) \
            or any(pattern.search(inside) for pattern in _UNSAFE):
        return None
    return end


def _plain_and_closed(pieces: list[str]) -> bool:
    """True when the HTML in these pieces is whole tags only, every element closed
    before the next piece: then no raw block is open where a table starts, and
    Markdown's HTML parser reaches each table as it would reach it alone."""
    for piece in pieces:
        open_tags: list[str] = []
        at = piece.find("<")
        while at != -1:
            tag = _TAG.match(piece, at)
            if tag is None:
                return False
            closing, name, self_closing = tag[1], tag[2].lower(), tag[4]
            if closing:
                if tag[3] or not open_tags or open_tags.pop() != name:
                    return False
            elif name in _RAW_TEXT and piece.find(f"</{name}>", tag.end()) != tag.end():
                return False  # its content is not HTML: only an empty one is plain
            elif name not in _VOID and not self_closing:
                open_tags.append(name)
            at = piece.find("<", tag.end())
        if open_tags:
            return False
    return True


def _emptied(number: int) -> str:
    return f"<table>\n**{_WORD} {number}**\n</table>"

"""Long HTML tables kept out of the engine's Markdown and put back in its HTML.

The site's long lists (roster pages of 500 rows, the action list, payer,
clinician and discharged pages) are HTML tables in their Markdown, which
Markdown passes through as they are. Passing through is not free: MkDocs reads
every tag of a page's raw HTML looking for anchors, then Markdown reads it all
again to find where the block ends; at 10,000 clients that is most of a build
after a one-client change. So before the engine converts a page, each such
table is swapped for a one-word paragraph, and in the HTML the engine makes
that paragraph is swapped back for the table. That is what Markdown itself
does with the block: it puts a placeholder paragraph where the block was and,
at the end, the block as it was written where that paragraph came out.

Only tables that Markdown certainly passes through unchanged are cut: a
``<table>`` that opens a line after a blank line and ends at the first
``</table>`` line before a blank line or the end, with nothing inside that
Markdown's HTML parser would write back otherwise or look into (comments,
scripts, styles, a bare ``&``, tabs, blank lines, ``id``/``name``/``markdown``
attributes, another table). If the one-word paragraphs do not come back exactly
once each (an extension that treats the page otherwise), :meth:`Cut.restore`
raises :class:`Mismatch` and the caller converts the page the ordinary way.
``tests/test_passthrough.py`` pins that both ways give the same HTML.

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

_TOKEN = "CASELOADTABLE9C4E"
_OPEN = "\n\n<table>\n"
_CLOSE = "\n</table>"
# What Markdown's HTML parser would not give back as it was written, or would
# look into: any of these inside a table leaves it to Markdown.
_UNSAFE = re.compile(
    r"[\t\r\x00\x02\x03]"  # tabs are expanded, \r normalised, \x02/\x03 are Markdown's own
    r"|\n[ ]*\n"  # a blank line
    r"|\n(?:```|~~~)"  # a code fence (MkDocs always has them)
    r"|<[!?]|<(?![a-z/])|</(?![a-z])"  # comments, declarations, a bare '<'
    r"|</?(?:script|style|textarea|title|table)\b"  # raw-text elements, tables inside
    r"|[\s\"'](?:id|name|markdown)\s*="  # anchors MkDocs records; Markdown inside HTML
    r"|&(?!#[0-9]{1,7};|#x[0-9a-f]{1,6};|[a-z][a-z0-9]{0,31};)",  # '&' outside a reference
    re.IGNORECASE,
)

# Markdown's own, and fenced code, which cannot reach into a table (see _UNSAFE).
_PLAIN_PREPROCESSORS = frozenset({NormalizeWhitespace, FencedBlockPreprocessor,
                                  HtmlBlockPreprocessor})
_PLAIN_POSTPROCESSORS = frozenset({RawHtmlPostprocessor, AndSubstitutePostprocessor})


class Mismatch(Exception):
    """A cut table's paragraph did not come back as expected: convert the page as it is."""


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
    """A page's Markdown with its long tables swapped out, and those tables."""

    markdown: str
    tables: tuple[str, ...]

    def restore(self, html: str) -> str:
        """The HTML Markdown makes of the whole page, from the HTML it made of the cut one."""
        if not self.tables:
            return html
        if html.count(_TOKEN) != len(self.tables):
            raise Mismatch("a cut table's paragraph came back other than once")
        ends_with_table = html.endswith(_paragraph(len(self.tables) - 1))
        for number, table in enumerate(self.tables):
            paragraph = _paragraph(number)
            if html.count(paragraph) != 1:
                raise Mismatch("a cut table's paragraph came back changed")
            # Markdown ends a passed-through block with a newline, then strips the page.
            html = html.replace(paragraph, table + "\n")
        return html[:-1] if ends_with_table else html


def cut(text: str) -> Cut:
    """Swap every table Markdown would pass through untouched for a one-word paragraph."""
    if _TOKEN in text:  # a page that quotes our word keeps its tables
        return Cut(text, ())
    parts: list[str] = []
    tables: list[str] = []
    done = 0
    start = text.find(_OPEN)
    while start != -1:
        begin = start + 2  # the table itself, after the blank line
        end = _table_end(text, begin)
        if end is None:
            start = text.find(_OPEN, start + 1)
            continue
        parts += [text[done:begin], _word(len(tables))]
        tables.append(text[begin:end])
        done = end
        start = text.find(_OPEN, done)
    if not tables:
        return Cut(text, ())
    parts.append(text[done:])
    return Cut("".join(parts), tuple(tables))


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
    if _UNSAFE.search(text, begin + len("<table>"), close + 1):
        return None
    return end


def _word(number: int) -> str:
    return f"{_TOKEN}{number}X"


def _paragraph(number: int) -> str:
    return f"<p>{_word(number)}</p>"

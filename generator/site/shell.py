"""Many alike pages without the theme engine: one shell page, many bodies.

A caseload site has a page per client, thousands of them, all in one folder,
none in the navigation, all with the same front matter. The theme engine spends
most of its time drawing the same frame around each of them. So the site build
has the engine draw the frame once, around a *shell* page whose title and body
are sentinels, and then makes every client page by converting its Markdown
with the site's own Markdown settings and putting it where the shell's body
was. Pages whose inputs did not change since the last build are not made again
at all: the previous build's file is linked into the new site.

Nothing here is specific to one engine: it needs a built HTML page for the
shell, the Markdown settings the engine uses, and the engine's own rewriting of
a page's links and images (`Links`: relative to each page, as the engine would
write them). If the shell ever does not come out as expected (a theme that
moves things around), or a page has a link the engine's rewriting cannot vouch
for, the caller builds the pages the ordinary way instead;
`tests/test_shell.py` pins that both ways give the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import markdown
import yaml
from markupsafe import escape
from mkdocs.utils.meta import get_data

from generator.parallel import map_slices
from generator.site.reuse import Written, write_page

# Not a valid client id (ids start with a letter or digit): cannot clash with a page.
SHELL_STEM = "_caseload-shell"
_TITLE = "CASELOADSHELLTITLE9C4E"
_HEADING = "CASELOADSHELLHEADING9C4E"
_BODY = "CASELOADSHELLBODY9C4E"
_END = "CASELOADSHELLEND9C4E"
_HEADING_LINE = re.compile(r"^#{2,6} .*$", re.MULTILINE)
_HEADING_TAG = re.compile(r"<h1\b[^>]*>" + _HEADING)
PARALLEL_FROM = 400  # pages; below this, starting workers costs more than it saves


class ShellMismatch(Exception):
    """The engine's shell page is not shaped as expected: build pages the ordinary way."""


def shell_markdown(front_matter: dict[str, Any], first_page: str) -> str:
    """The shell page's Markdown: the pages' front matter and section headings around
    a sentinel title and body (the theme draws its table of contents from the headings)."""
    meta = {**front_matter, "title": _TITLE}
    headings = "\n\n".join(_HEADING_LINE.findall(get_data(first_page)[0]))
    return (f"---\n{yaml.safe_dump(meta, sort_keys=True)}---\n\n"
            f"# {_HEADING}\n\n{_BODY}\n\n{headings}\n\n{_END}\n")


def front_matter(page: Path) -> dict[str, Any]:
    return get_data(page.read_text(encoding="utf-8"))[1]


@dataclass(frozen=True)
class Shell:
    """A built page cut around its content: what goes before it and after it."""

    before: str
    after: str
    sections: tuple[Any, ...]  # the table of contents below the title, as Markdown made it
    anchor: str  # the title's anchor, as the theme links to it

    @classmethod
    def parse(cls, html: str, settings: Settings, markdown_text: str) -> Shell:
        headings = list(_HEADING_TAG.finditer(html))
        end_marker = f"<p>{_END}</p>"
        if len(headings) != 1 or html.count(end_marker) != 1 or _TITLE not in html:
            raise ShellMismatch("the shell page's content was not found exactly once")
        start, end = headings[0].start(), html.index(end_marker) + len(end_marker)
        if end < start:
            raise ShellMismatch("the shell page's body comes before its heading")
        converter = converter_for(settings)
        converter.convert(get_data(markdown_text)[0])
        title, sections = _outline(converter)
        return cls(html[:start], html[end:], sections, f'href="#{title}"')

    @property
    def digest(self) -> str:
        return hashlib.sha256((self.before + _BODY + self.after).encode("utf-8")).hexdigest()

    def page(self, title: str, anchor: str, content: str) -> bytes:
        title = str(escape(title))
        frame = [part.replace(_TITLE, title).replace(self.anchor, f'href="#{anchor}"')
                 for part in (self.before, self.after)]
        html = frame[0] + content + frame[1]
        # As the engine writes pages: characters outside UTF-8 become references.
        return html.encode("utf-8", errors="xmlcharrefreplace")


def _outline(converter: markdown.Markdown) -> tuple[str, tuple[Any, ...]]:
    """The title's anchor and the sections below it, from Markdown's table of contents."""
    tokens = getattr(converter, "toc_tokens", None)
    if not tokens or len(tokens) != 1 or tokens[0]["level"] != 1:
        raise ShellMismatch("a page does not open with one title heading")
    return tokens[0]["id"], _freeze(tokens[0]["children"])


def _freeze(tokens: list[dict[str, Any]]) -> tuple[Any, ...]:
    return tuple((t["level"], t["id"], t["name"], _freeze(t["children"])) for t in tokens)


@dataclass(frozen=True)
class Settings:
    """The site's Markdown settings, as the engine would use them."""

    extensions: tuple[Any, ...]
    configs: dict[str, Any]


Tick = Callable[[int], None]
Progress = Callable[[str, int], AbstractContextManager[Tick]]
Job = tuple[str, Path, Path]  # page stem, its Markdown (written if missing), its HTML


class PageLinks(Protocol):
    """The engine's rewriting of one page's links and images, as the engine itself
    would write them; it raises ShellMismatch for a link it cannot vouch for."""

    targets: set[str]  # the documents the page links to, once converted

    def register(self, converter: markdown.Markdown) -> None: ...


Links = Callable[[str], PageLinks]  # page stem -> the rewriting of its links


def make_page(shell: Shell, converter: markdown.Markdown, job: Job, expected: dict[str, Any],
              render: Callable[[str], str], links: Links) -> Written:
    stem, source, target = job
    if not source.exists():
        source.write_text(render(stem), encoding="utf-8")
    body, meta = get_data(source.read_text(encoding="utf-8"))
    title = meta.pop("title", "")
    if meta != expected:
        raise ShellMismatch(f"{source.name} has other front matter than its shell")
    converter.reset()
    page_links = links(stem)
    page_links.register(converter)
    content = converter.convert(body)
    anchor, sections = _outline(converter)
    if sections != shell.sections:
        raise ShellMismatch(f"{source.name} has other sections than its shell")
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_page(str(target), shell.page(str(title), anchor, content),
                      tuple(sorted(page_links.targets)))


def converter_for(settings: Settings) -> markdown.Markdown:
    return markdown.Markdown(extensions=list(settings.extensions),
                             extension_configs=settings.configs)


def make_pages(shell: Shell, settings: Settings, jobs: Sequence[Job], expected: dict[str, Any],
               render: Callable[[str], str], links: Links, progress: Progress | None = None
               ) -> dict[str, Written]:
    """Make every page, on every core when it pays, and say how each was written.

    `expected` is the front matter every page must have besides its title;
    `render` gives the Markdown of a page whose source is not written yet;
    `links` rewrites each page's links as the engine does.
    """
    def make_slice(part: Sequence[Job]) -> list[tuple[str, Written]]:
        converter = converter_for(settings)
        return [(job[0], make_page(shell, converter, job, expected, render, links))
                for job in part]

    made: dict[str, Written] = {}
    with (progress or no_progress)("Making client pages", len(jobs)) as tick:
        def done(part: list[tuple[str, Written]]) -> None:
            made.update(part)
            tick(len(part))

        map_slices(make_slice, jobs, minimum=PARALLEL_FROM, on_result=done)
    return made


@contextmanager
def no_progress(label: str, total: int) -> Iterator[Tick]:
    yield lambda done: None

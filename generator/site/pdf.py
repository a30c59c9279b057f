"""`caseload audit --pdf`: a packet's print page as one PDF, through WeasyPrint.

WeasyPrint (the optional `pdf` extra) lays the built print.html out on paper with
the site's own print styles, plus the few rules below that only a paged-media
engine reads: page numbers in every footer and, in every header, the stamp of
the member whose record the page shows (the `cl-page-stamp` element that opens
each member page; the checklist's own on its pages).

The same packet gives the same bytes: the document's dates are the as-of date,
its identifier a digest of print.html, and nothing is fetched but the site's own
files (anything else is refused).
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from generator.errors import SiteBuildError
from generator.rules.audit import Audit

PAGED_CSS = """
@page {
  size: A4;
  margin: 20mm 14mm 18mm 14mm;
  @top-center { content: string(cl-stamp); font-size: 7.5pt; color: #000; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; }
  @bottom-left { content: string(cl-title); font-size: 7.5pt; }
}
.cl-page-stamp { string-set: cl-stamp content(text); }
/* The theme lays a page out as a screen-high flexible box: on paper, one long flow. */
html, body, .md-container, .md-main, .md-main__inner, .md-content, .md-content__inner,
article, .md-grid {
  display: block !important; overflow: visible !important; height: auto !important;
  min-height: 0 !important; max-width: none !important; margin: 0 !important;
}
.md-skip, .md-header, .md-tabs, .md-sidebar, .md-footer, .md-search, .md-dialog,
.md-top, .md-source, .md-content__button, .headerlink { display: none !important; }
h1 { string-set: cl-title content(text); }
"""


def write_pdf(site_dir: Path, target: Path, audit: Audit) -> None:
    """print.html of the packet in `site_dir` as one PDF at `target` (written whole or
    not at all)."""
    from weasyprint import CSS, HTML

    source = site_dir / "print.html"
    # The document is laid out at a neutral address, so that no path of this computer
    # ends up in it (links to the site's other pages keep their relative form).
    fetch = _own_files_only(site_dir.resolve().as_uri() + "/")

    data = source.read_bytes()
    with _quiet(), _fonts_dated(audit.as_of):
        document = HTML(string=data.decode("utf-8"), base_url=VIRTUAL_ROOT,
                        url_fetcher=fetch).render(stylesheets=[CSS(string=PAGED_CSS)])
    stamp = f"{audit.as_of.isoformat()}T00:00:00Z"
    document.metadata.created = stamp
    document.metadata.modified = stamp
    document.metadata.generator = "caseload"
    identifier = hashlib.sha256(data).hexdigest()[:32].encode("ascii")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out, _fonts_dated(audit.as_of):
            document.write_pdf(out, pdf_identifier=identifier)
        os.replace(temporary, target)
    except OSError as exc:
        raise SiteBuildError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


VIRTUAL_ROOT = "file:///caseload-packet/"


@contextmanager
def _fonts_dated(day: date) -> Iterator[None]:
    """Date the embedded font subsets `day`, not now.

    fontTools, which WeasyPrint subsets fonts with, stamps each subset's `head`
    table with the current time unless SOURCE_DATE_EPOCH (the reproducible-builds
    convention) says otherwise: two PDFs of one packet made seconds apart differed.
    """
    saved = os.environ.get(EPOCH_VARIABLE)
    os.environ[EPOCH_VARIABLE] = str(calendar.timegm(day.timetuple()))
    try:
        yield
    finally:
        if saved is None:
            del os.environ[EPOCH_VARIABLE]
        else:
            os.environ[EPOCH_VARIABLE] = saved


EPOCH_VARIABLE = "SOURCE_DATE_EPOCH"


@contextmanager
def _quiet() -> Iterator[None]:
    """WeasyPrint warns about every screen-only rule of the theme: keep the terminal clear."""
    logger = logging.getLogger("weasyprint")
    saved = logger.level, logger.propagate
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    try:
        yield
    finally:
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _own_files_only(root: str) -> Any:
    """A URL fetcher that hands WeasyPrint the packet's own files (at VIRTUAL_ROOT) and
    nothing else."""
    def refuse(url: str) -> str:
        if not url.startswith(VIRTUAL_ROOT) or "/../" in url:
            raise ValueError("the packet loads nothing from outside its own folder")
        return root + url[len(VIRTUAL_ROOT):]

    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint 68 and later
    except ImportError:
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            return default_url_fetcher(refuse(url), *args, **kwargs)
        return fetch

    class OwnFiles(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            return super().fetch(refuse(url), headers)

    return OwnFiles(allowed_protocols=("file",))

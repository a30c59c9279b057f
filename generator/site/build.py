"""`caseload build`: report → Markdown pages → site, all or nothing.

The Markdown is rendered into a private temporary folder, the site is built
beside the old one and swapped in only when complete (see `engine.py`), so a
build that fails leaves the previous site exactly as it was. Commands build
while holding :func:`site_lock`, which also clears away what a killed build
left beside the site.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from markupsafe import escape

from generator.errors import SiteBuildError
from generator.model.site import SiteSettings
from generator.pages.render import (
    CHECKLIST_PAGE,
    CLIENT_FOLDER,
    PRINT_PAGE,
    ClientPages,
    render_pages,
    write_page,
)
from generator.report.audit import audit_report, payer_words
from generator.report.report import Report
from generator.rules.audit import Audit
from generator.site.engine import (
    AlikePages,
    Warn,
    build_site,
    engine_fingerprint,
    make_site_parent,
    recover_site,
)
from generator.site.engine_process import build_site_in_child
from generator.site.engines import chosen_engine
from generator.site.lock import exclusive, lock_files, site_lock_file, workspace_lock_file
from generator.site.shell import Progress, no_progress

NAV = (
    ("Overview", "index.md"),
    ("Action list", "actions.md"),
    ("Roster", "roster.md"),
    ("Discharged clients", "discharged.md"),
    ("Payers", "payers.md"),
    ("Clinicians", "clinicians.md"),
    ("How to read this report", "rules.md"),
)
CHANGES_PAGE = ("Changes", "changes.md")
PACKET_NAV = (
    ("Overview", "index.md"),
    ("Checklist", CHECKLIST_PAGE),
    ("Roster", "roster.md"),
    ("Action list", "actions.md"),
    ("Print all", PRINT_PAGE),
    ("How to read this report", "rules.md"),
)

DOCS = "docs"  # the Markdown is rendered into .SITE.docs-XXXXXXXX beside the site
# What caseload 0.x named that folder; one left over an hour is no live build's.
_OLD_DOCS = re.compile(r"\.caseload-docs-[a-z0-9_]{8}")
_OLD_DOCS_AGE = 3600


@contextmanager
def site_lock(workspace: Path, site_dir: Path,
              waiting: Callable[[], None] | None = None) -> Iterator[bool]:
    """Hold the locks of a build of `site_dir` from `workspace` (see lock.py), waiting
    for another build that holds one (`waiting` is called first); yield whether it
    had to wait.

    With the locks held, what a killed build left beside the site is dealt with
    first: a swap cut half-way is completed or undone (`recover_site`), and its
    staging folders and Markdown are deleted. No live build can be using them:
    every build into that folder holds the same lock.
    """
    make_site_parent(site_dir)
    # A workspace that cannot be written in (building elsewhere) cannot hold its own
    # lock, nor needs it; the site's lock is never done without.
    optional = frozenset({workspace_lock_file(workspace)} - {site_lock_file(site_dir)})
    with exclusive(lock_files(workspace, site_dir), waiting, optional) as waited:
        try:
            recover_site(site_dir, also=(DOCS,))
            for entry in os.scandir(Path(site_dir).absolute().parent):
                if _OLD_DOCS.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False) \
                        and time.time() - entry.stat().st_mtime > _OLD_DOCS_AGE:
                    shutil.rmtree(entry.path, ignore_errors=True)
        except OSError as exc:
            raise SiteBuildError(f"cannot tidy the folder of {site_dir}: "
                                 f"{exc.strerror or exc}") from None
        yield waited


def workspace_lock(workspace: Path, waiting: Callable[[], None] | None = None
                   ) -> AbstractContextManager[bool]:
    """Hold the workspace's lock alone (a snapshot builds into its own private folder)."""
    return exclusive(lock_files(workspace), waiting)


def source_date_epoch(as_of: date) -> int:
    """The build's notion of 'now': midnight UTC of the as-of date, never the clock."""
    return int(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC).timestamp()) \
        if as_of.year > 1970 else 0


def site_title(report: Report) -> str:
    scope = report.scope.title
    return f"{report.caseload.practice_name} ({scope})" if scope else \
        report.caseload.practice_name


def render_docs(report: Report, workspace: Path, docs_dir: Path, *, redact: bool = False,
                extra_pages: dict[str, str] | None = None, clients: bool = True,
                progress: Progress | None = None, audits: tuple[Audit, ...] = (),
                packet: Audit | None = None) -> list[str]:
    """Write the Markdown pages, charts and assets of the site into `docs_dir`
    (the client pages too, unless `clients` is false)."""
    pages = list(render_pages(report, workspace, redact=redact, extra_pages=extra_pages,
                              clients=clients, audits=audits, packet=packet))
    with (progress or no_progress)("Rendering pages", len(pages)) as tick:
        for page in pages:
            write_page(page, docs_dir)
            tick(1)
    return [page.path for page in pages]


def nav_for(pages: list[str]) -> list[dict[str, str]]:
    if CHECKLIST_PAGE in pages:
        return [{title: path} for title, path in PACKET_NAV]
    entries = [*NAV, CHANGES_PAGE] if CHANGES_PAGE[1] in pages else list(NAV)
    return [{title: path} for title, path in entries]


def build(report: Report, workspace: Path, site_dir: Path, *, settings: SiteSettings,
          redact: bool = False, extra_pages: dict[str, str] | None = None,
          progress: Progress | None = None, docs_keep: Path | None = None,
          warn: Warn | None = None, audits: tuple[Audit, ...] = (),
          packet: Audit | None = None, title: str | None = None) -> None:
    """Render and build the site into `site_dir` with `settings` (the workspace's
    mkdocs.yml, read by `sitesettings`); on failure nothing changes.

    With `docs_keep`, the rendered Markdown is also kept there (for snapshots).
    `warn` is told, one line each, when the build had to take a slower way.
    `audits` are the workspace's audit requests (the open ones are on the
    overview); with `packet`, the site is that request's packet (see `build_packet`).
    """
    engine = chosen_engine()
    make_site_parent(site_dir)
    try:
        docs_dir = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}.{DOCS}-",
                                         dir=site_dir.parent))
    except OSError as exc:
        raise SiteBuildError(f"cannot create a folder next to {site_dir}: "
                             f"{exc.strerror or exc}") from None
    try:
        # Client pages are rendered only when the site build needs them (an
        # unchanged one is not), except when the Markdown is kept for a snapshot.
        pages = render_docs(report, workspace, docs_dir, redact=redact,
                            extra_pages=extra_pages, clients=docs_keep is not None,
                            progress=progress, audits=audits, packet=packet)
        clients = ClientPages.of(report, workspace, redact=redact,
                                 engine=engine_fingerprint(settings, engine), audits=audits,
                                 packet=packet)
        run = build_site if engine.in_process else partial(build_site_in_child, engine)
        run(
            settings, docs_dir, site_dir,
            # MkDocs themes print site_name without escaping it.
            site_name=str(escape(title or site_title(report))),
            nav=nav_for(pages),
            source_date_epoch=source_date_epoch(report.as_of),
            alike=AlikePages(CLIENT_FOLDER, {s: clients.key(s) for s in clients.stems()},
                             clients.render, progress),
            warn=warn,
        )
        if docs_keep is not None:
            shutil.copytree(docs_dir, docs_keep)
    finally:
        shutil.rmtree(docs_dir, ignore_errors=True)


def build_packet(report: Report, audit: Audit, workspace: Path, site_dir: Path, *,
                 settings: SiteSettings, redact: bool = False,
                 progress: Progress | None = None) -> None:
    """The packet of an audit request: the site of `report` restricted to the members
    the request names (minimum necessary: no other client anywhere in it, search
    index and client finder included), with a checklist page and a print page."""
    packet_report = audit_report(audit, report)
    title = (f"{report.caseload.practice_name}: records for {payer_words(audit, report.caseload)}"
             f"'s request of {audit.request.requested_on}")
    build(packet_report, workspace, site_dir, settings=settings, redact=redact,
          progress=progress, packet=audit, title=title)

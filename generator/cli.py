"""The `caseload` command line: thin Click commands that import their work."""

from __future__ import annotations

import atexit
import gc
import io
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from generator import __version__
from generator.errors import SiteBuildError, TemplateProblem
from generator.model.records import DATE_PATTERN, Caseload
from generator.model.site import SiteSettings
from generator.reading import InputError, WorkspaceInvalid, read_site_settings, read_workspace
from generator.report.report import Report, Scope, UnknownScope, build_report, report_json
from generator.report.text import render_text
from generator.wording import for_terminal, plural, printable

if TYPE_CHECKING:  # the audit modules are imported by the commands that use them
    from generator.model.audit import AuditRequest
    from generator.rules.audit import Audit

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_INVALID = 0, 1, 2


def echo(message: str, err: bool = False, styled: bool = False) -> None:
    """Print one or more lines: every line caseload prints goes through here, so no
    text from a file (a name, a path, a message quoting a value) reaches the
    terminal with a control character or bidi override in it (`for_terminal`);
    `styled` keeps the colours of caseload's own text reports."""
    click.echo(for_terminal(message, styled), err=err)


class CaseloadError(click.ClickException):
    """An error the user can fix: printed as plain lines, never a traceback; exit 2."""

    exit_code = EXIT_INVALID

    def show(self, file: Any = None) -> None:
        echo(self.format_message(), err=True)


class InvalidWorkspace(CaseloadError):
    def __init__(self, errors: WorkspaceInvalid) -> None:
        count = len(errors.errors)
        lines = [str(e) for e in errors.errors]
        lines.append(f"caseload: {count} input error{'s' if count != 1 else ''}; "
                     "nothing was written.")
        super().__init__("\n".join(lines))


class IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> date:
        if isinstance(value, date):
            return value
        text = str(value)
        if DATE_PATTERN.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        self.fail(f"'{text}' is not a date; write it like 2026-11-28", param, ctx)


def workspace_argument(function: F) -> F:
    return click.argument(
        "workspace", required=False, default=".",
        type=click.Path(file_okay=False, path_type=Path),
    )(function)


def as_of_option(function: F) -> F:
    return click.option(
        "--as-of", "as_of", type=IsoDate(), default=None,
        help="Evaluate the caseload as of this date (default: today).",
    )(function)


def scope_options(function: F) -> F:
    function = click.option("--clinician", metavar="ID",
                            help="Only this clinician's clients.")(function)
    return click.option("--payer", metavar="ID", help="Only this payer's clients.")(function)


def handle_invalid_input(function: F) -> F:
    """Turn every expected failure into a one-line message and exit 2."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except WorkspaceInvalid as errors:
            raise InvalidWorkspace(errors) from None
        except (UnknownScope, TemplateProblem, SiteBuildError) as exc:
            raise CaseloadError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def load(workspace: Path) -> Caseload:
    if not workspace.is_dir():
        raise CaseloadError(f"{workspace}: no such folder")
    return read_workspace(workspace)


def today() -> date:
    return date.today()


def make_report(workspace: Path, as_of: date | None, payer: str | None,
                clinician: str | None) -> Report:
    with paused_gc():
        caseload = load(workspace)
        return build_report(caseload, as_of or today(), Scope(payer, clinician))


def check_site_engine() -> None:
    """CASELOAD_ENGINE names an engine that is installed: checked before any work is done."""
    from generator.site.engines import chosen_engine

    chosen_engine()


def make_site_inputs(workspace: Path, as_of: date | None, payer: str | None,
                     clinician: str | None) -> tuple[Report, SiteSettings, tuple[Audit, ...]]:
    """The report, the site settings (mkdocs.yml) and the audit requests (audits/*.yaml),
    read before any site work starts; the input errors of all of them are reported
    together."""
    check_site_engine()
    try:
        report = make_report(workspace, as_of, payer, clinician)
    except WorkspaceInvalid as invalid:
        from generator.reading import payer_ids, read_audit_requests

        raise WorkspaceInvalid(invalid.errors + errors_of(
            lambda: read_site_settings(workspace),
            lambda: read_audit_requests(workspace, payer_ids(workspace)))) from None
    errors: list[InputError] = []
    settings = None
    try:
        settings = read_site_settings(workspace)
    except WorkspaceInvalid as invalid:
        errors += invalid.errors
    try:
        audits = workspace_audits(workspace, report)
    except WorkspaceInvalid as invalid:
        errors += invalid.errors
    if errors or settings is None:
        raise WorkspaceInvalid(errors)
    return report, settings, audits


def errors_of(*reads: Callable[[], object]) -> list[InputError]:
    """The input errors of each read (run for its errors alone), in order: once the
    workspace has errors, the other inputs are still read so that one run reports all."""
    errors: list[InputError] = []
    for read in reads:
        try:
            read()
        except WorkspaceInvalid as invalid:
            errors += invalid.errors
    return errors


def workspace_audits(workspace: Path, report: Report) -> tuple[Audit, ...]:
    """The workspace's audit requests as of the report's date; for a payer's site, only
    that payer's."""
    from generator.reading import read_audit_requests
    from generator.rules.audit import evaluate_audit

    caseload = report.caseload
    requests = read_audit_requests(workspace, caseload.payers)
    errors = [error for request in requests for error in ambiguity_errors(request, caseload)]
    if errors:
        raise WorkspaceInvalid(errors)
    return tuple(evaluate_audit(request, caseload, report.as_of, report.policies)
                 for request in requests
                 if report.scope.payer is None or request.payer == report.scope.payer)


def ambiguity_errors(request: AuditRequest, caseload: Caseload) -> list[InputError]:
    """An error for each entry of `request` that names two different clients."""
    from generator.rules.audit import ambiguous

    return [
        InputError(request.path, member.line, f"members[{member.index}]",
                   f"'{member.text}' names {len(clients)} different clients ("
                   + ", ".join(c.id for c in clients) + "): by id and by member_id; "
                   "name the client by its id")
        for member, clients in ambiguous(request, caseload)
    ]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Loading builds many small objects and no cycles: the cycle collector would only
    walk them again and again (a third of a warm check at 10,000 clients).

    Afterwards they are frozen (moved out of the collector's sight) rather than
    handed back to it: re-enabled, it would walk the million objects of a large
    caseload at once and again at every full collection until the process ends,
    about a tenth of a warm check. A later load (`serve` rebuilds) unfreezes them
    first, so whatever of the previous one became garbage can still be collected.
    """
    enabled = gc.isenabled()
    gc.disable()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


class CaseloadGroup(click.Group):
    """Commands that never show a traceback, even on a bug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`caseload check | head`): stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(1) from None
        except Exception as exc:
            if os.environ.get("CASELOAD_DEBUG"):
                raise
            # The exception's text may quote caseload content: name only its type.
            raise CaseloadError(
                f"caseload: internal error ({type(exc).__name__}); nothing was written. "
                "Run again with CASELOAD_DEBUG=1 for details, and please report it."
            ) from None


@click.group(cls=CaseloadGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="caseload")
def cli() -> None:
    """Keep a therapy practice's caseload clean and audit-ready.

    Reads the caseload (content/) and the practice's policies (site_config/)
    of a workspace, finds what needs doing, and publishes an offline site.
    """


@cli.command()
@workspace_argument
@as_of_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Text for people, JSON for scripts.")
@scope_options
@handle_invalid_input
def check(workspace: Path, as_of: date | None, output_format: str, payer: str | None,
          clinician: str | None) -> None:
    """Validate the workspace and list every client's status and findings.

    Exit status: 0 when no finding is an error, 1 when one is, 2 for invalid input.
    """
    report = make_report(workspace, as_of, payer, clinician)
    if output_format == "json":
        # Indented for a person at a terminal; compact (and several times faster) for scripts.
        indent = 2 if sys.stdout.isatty() else None
        echo(json.dumps(report_json(report), indent=indent, ensure_ascii=False))
    else:
        for line in render_text(report):
            echo(line, styled=True)
    exit_without_teardown(EXIT_FINDINGS if report.has_errors else EXIT_OK)


def site_dir_option(function: F) -> F:
    return click.option(
        "--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Where to build the site (default: WORKSPACE/site).",
    )(function)


def redact_option(function: F) -> F:
    return click.option(
        "--redact", is_flag=True,
        help="Replace names by client ids and withhold free text (notes, goals, summaries).",
    )(function)


def say_waiting() -> None:
    from generator.site.lock import WAITING

    echo(WAITING, err=True)


@contextmanager
def building(workspace: Path, site_dir: Path) -> Iterator[bool]:
    """Hold the locks of one build of `site_dir` (see generator/site/lock.py), after
    waiting for another build that holds them, and clear away what killed builds and
    snapshots left; yield whether it had to wait."""
    from generator.archive.staging import remove_leftovers
    from generator.site import build as site_build

    with site_build.site_lock(workspace, site_dir, say_waiting) as waited:
        remove_leftovers(workspace / "snapshots")
        yield waited


@contextmanager
def terminal_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar while pages are made, only when a person is watching."""
    if not sys.stdout.isatty() or total == 0:
        yield lambda done: None
        return
    with click.progressbar(length=total, label=label, show_pos=True) as bar:
        yield bar.update


def terminal_warning(line: str) -> None:
    """A line about how the site was built (a slower way, and why), on stderr."""
    echo(f"caseload: {line}", err=True)


@cli.command()
@workspace_argument
@as_of_option
@site_dir_option
@scope_options
@redact_option
@handle_invalid_input
def build(workspace: Path, as_of: date | None, site_dir: Path | None, payer: str | None,
          clinician: str | None, redact: bool) -> None:
    """Render the Markdown pages and build the site (findings never fail a build).

    The new site replaces the old one only when it is complete: a failed build
    exits 2 and leaves the previous site exactly as it was.
    """
    report, settings, audits = make_site_inputs(workspace, as_of, payer, clinician)
    target = site_dir or workspace / "site"
    from generator.site import build as site_build  # the site engine loads only when needed

    with building(workspace, target) as waited:
        if waited:  # the other build may have been for newer input: read it again
            report, settings, audits = make_site_inputs(workspace, as_of, payer, clinician)
        site_build.build(report, workspace, target, settings=settings, redact=redact,
                         progress=terminal_progress, warn=terminal_warning,
                         audits=audits)
    echo(f"Built {target / 'index.html'} ({len(report.evaluations)} clients, "
               f"as of {report.as_of}).", err=True)


# --- calendar, init, serve ------------------------------------------------------------


@cli.command("calendar")
@workspace_argument
@as_of_option
@click.option("--out", metavar="FILE", default=None,
              help="Where to write the calendar (default: WORKSPACE/caseload.ics; "
                   "'-' for standard output).")
@scope_options
@redact_option
@handle_invalid_input
def calendar_command(workspace: Path, as_of: date | None, out: str | None, payer: str | None,
                     clinician: str | None, redact: bool) -> None:
    """Write the due dates as an iCalendar file for Google Calendar, Outlook or Apple Calendar.

    One all-day event per treatment plan due, discharge summary due, planned
    discharge and overdue item (overdue items on the as-of date), and a monthly
    "Caseload review". Importing a newer file moves the events instead of
    duplicating them. With --redact, titles name client ids only.
    """
    from generator.report.ical import calendar_bytes, calendar_items, write_calendar

    report = make_report(workspace, as_of, payer, clinician)
    items = calendar_items(report, redact=redact)
    data = calendar_bytes(report, items)
    if out == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(out) if out else workspace / "caseload.ics"
    if target.is_dir():
        raise CaseloadError(f"cannot write {target}: it is a folder; name a file, e.g. "
                            f"{target / 'caseload.ics'}")
    try:
        write_calendar(data, target)
    except OSError as exc:
        raise CaseloadError(f"cannot write {target}: {exc.strerror or exc}") from None
    echo(f"Wrote {target} ({len(items)} events, as of {report.as_of}); import it into "
               "your calendar app.", err=True)


@cli.command("init")
@click.argument("directory", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--git", is_flag=True, help="Also make the new folder a git repository.")
def init_command(directory: Path, git: bool) -> None:
    """Write a new workspace into DIR (new or empty) with a small example caseload.

    The example's dates are set around today, so `caseload check` and
    `caseload build` show an active client, a plan due soon and a fresh discharge.
    """
    from generator.init import InitError, init_workspace

    try:
        written = init_workspace(directory, today(), git=git)
    except InitError as exc:
        raise CaseloadError(str(exc)) from None
    repo = " and a git repository" if git else ""
    echo(f"Wrote a new workspace in {directory} ({len(written)} files{repo}).\n"
               f"Next: cd {directory} && caseload check && caseload build")


@cli.command("serve")
@workspace_argument
@as_of_option
@site_dir_option
@scope_options
@redact_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port on 127.0.0.1 (0: any free port).")
@handle_invalid_input
def serve_command(workspace: Path, as_of: date | None, site_dir: Path | None,
                  payer: str | None, clinician: str | None, redact: bool, port: int) -> None:
    """Build the site, then serve it on 127.0.0.1, rebuilding when the workspace changes.

    Every second, content/, site_config/, templates/, mkdocs.yml and audits/*.yaml are checked
    for changes (and, without --as-of, the date); a failed rebuild prints why
    and the previous site stays up. Ctrl+C (or SIGTERM) stops.
    """
    from generator.site.serve import Server

    target = site_dir or workspace / "site"

    def rebuild(day: date) -> None:
        report, settings, audits = make_site_inputs(workspace, day, payer, clinician)
        from generator.site import build as site_build

        with building(workspace, target) as waited:  # each build, not the whole serve
            if waited:
                report, settings, audits = make_site_inputs(workspace, day, payer, clinician)
            site_build.build(report, workspace, target, settings=settings, redact=redact,
                             warn=terminal_warning, audits=audits)
        echo(f"Built {target / 'index.html'} ({len(report.evaluations)} clients, "
                   f"as of {report.as_of}).", err=True)

    def rebuild_or_explain(day: date) -> None:
        try:
            handle_invalid_input(rebuild)(day)
        except click.ClickException as exc:
            echo(f"{exc.format_message()}\nRebuild failed; still serving the "
                       "previous site.", err=True)
        except Exception as exc:  # keep serving whatever went wrong
            # The exception's text may quote caseload content: name only its type.
            echo(f"Rebuild failed (internal error: {type(exc).__name__}); still "
                       "serving the previous site.", err=True)

    server = Server(workspace, target, as_of=as_of, today=today)
    server.build_first(rebuild)  # a first build that fails exits 2: there is nothing to serve
    try:
        url = server.listen(port)
    except OSError as exc:
        raise CaseloadError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}; "
                            "try another --port") from None
    echo(f"Serving {url} (Ctrl+C to stop); rebuilding when the workspace changes.")
    server.serve(rebuild_or_explain)


@cli.command("snapshot")
@workspace_argument
@as_of_option
@click.option("--no-commit", is_flag=True,
              help="Only write the snapshot folder: no git commit, no tag (git not needed).")
@click.option("--sign", is_flag=True,
              help="Sign the tag with your git signing key (gpg.format openpgp or ssh, "
                   "user.signingkey).")
@handle_invalid_input
def snapshot_command(workspace: Path, as_of: date | None, no_commit: bool, sign: bool) -> None:
    """Build the site into WORKSPACE/snapshots/DATE with a manifest; commit and tag it.

    The folder holds the site, its Markdown, the report (as `check --format json`)
    and manifest.json (SHA-256 of every input and every file). It is committed
    alone and tagged snapshot-DATE; with --sign, git signs the tag with your key.
    An existing snapshot is never replaced, and --sign without a usable signing
    key writes nothing: exit 2.
    """
    from generator.archive.snapshot import SNAPSHOTS_DIR, SnapshotError, take_snapshot
    from generator.archive.staging import remove_leftovers
    from generator.site import build as site_build

    report, settings, audits = make_site_inputs(workspace, as_of, None, None)
    try:
        with site_build.workspace_lock(workspace, say_waiting) as waited:
            remove_leftovers(workspace / SNAPSHOTS_DIR)
            if waited:
                report, settings, audits = make_site_inputs(workspace, as_of, None, None)
            taken = take_snapshot(report, workspace, settings=settings, commit=not no_commit,
                                  sign=sign, audits=audits,
                                  progress=terminal_progress, warn=terminal_warning)
    except SnapshotError as exc:
        raise CaseloadError(f"caseload snapshot: {exc}; nothing was written.") from None
    changes = f", with the changes since {taken.previous}" if taken.previous else ""
    signed = " (signed)" if taken.signed else ""
    git = f"; committed {taken.commit[:12]} and tagged {taken.tag}{signed}" if taken.commit \
        else " (not committed)"
    echo(f"Snapshot {taken.folder}: {taken.files} files and manifest.json{changes}; "
               f"manifest.json sha256 {taken.manifest_sha256}{git}.", err=True)


@cli.group("cache", invoke_without_command=True)
@click.pass_context
def cache_command(ctx: click.Context) -> None:
    """Show where the parse cache is, and how much it keeps for each workspace.

    `check`, `build` and the other commands keep what they read from content/ in
    the user's cache folder (health information, private to its owner). A
    workspace's part is deleted after 30 days without use, or by `caseload cache clear`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from generator.reading import KEEP_DAYS, cache_root, cached_workspaces

    found = cached_workspaces()
    echo(f"Parse cache: {cache_root()} (a workspace's part is deleted after "
               f"{KEEP_DAYS} days without use)")
    for entry in found:
        used = date.fromtimestamp(entry.last_used).isoformat()
        where = printable(entry.workspace) if entry.workspace else \
            f"(workspace not recorded: {entry.folder.name})"
        echo(f"  {_size(entry.size):>10}  {where}  (last used {used})")
    total = sum(entry.size for entry in found)
    echo(f"{_size(total)} for {len(found)} workspace{'s' if len(found) != 1 else ''}.")


@cache_command.command("clear")
@click.argument("workspace", required=False, type=click.Path(file_okay=False, path_type=Path))
def cache_clear_command(workspace: Path | None) -> None:
    """Delete the cache of WORKSPACE, or of every workspace when none is given.

    Nothing is lost: the next run reads the files again.
    """
    from generator.reading import clear_cache

    removed = clear_cache(workspace)
    size = _size(sum(entry.size for entry in removed))
    if workspace is not None:
        echo(f"Deleted the cache of {workspace} ({size})." if removed else
                   f"Nothing cached for {workspace}.")
    else:
        echo(f"Deleted the cache of {len(removed)} workspace"
                   f"{'s' if len(removed) != 1 else ''} ({size}).")


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


@cli.command("verify")
@click.argument("snapshot_dir", type=click.Path(file_okay=False, path_type=Path))
def verify_command(snapshot_dir: Path) -> None:
    """Check every file of a snapshot against its manifest, and against git.

    In git: the snapshot-DATE tag, its signature (named, when signed), the
    manifest hash in its message, that no later commit changed the folder, and
    that the files on disk are the tagged commit's.

    Exit status: 0 intact; 1 when a file is altered, missing or extra (each named),
    when manifest.json is invalid, when the snapshot is committed but untagged,
    changed in git after its tag, or no longer matches its commit and tag, or when
    the tag's signature is bad or cannot be checked; 2 when the snapshot cannot
    be read (no manifest.json, or a file that is not a regular file).
    """
    from generator.archive.snapshot import UnreadableSnapshot, verify_snapshot

    if not snapshot_dir.is_dir():
        raise CaseloadError(f"caseload verify: {snapshot_dir}: no such folder")
    try:
        result = verify_snapshot(snapshot_dir)
    except UnreadableSnapshot as exc:
        raise CaseloadError(printable(str(exc))) from None
    for line in result.lines():
        echo(line)
    sys.exit(EXIT_OK if result.intact else EXIT_FINDINGS)


@cli.command("diff")
@click.argument("before")
@click.argument("after")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Where to look up snapshots given as dates.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Text for people, JSON for scripts.")
def diff_command(before: str, after: str, workspace: Path, output_format: str) -> None:
    """What changed between two snapshots: clients, statuses, findings, counts.

    BEFORE and AFTER are snapshot folders, or dates meaning
    WORKSPACE/snapshots/DATE. Exit status: 0, or 2 for a missing, unreadable or
    invalid snapshot.
    """
    from generator.archive.changes import (
        InvalidReport,
        changes_json,
        compare,
        parse_report,
        text_lines,
    )
    from generator.archive.snapshot import (
        SnapshotError,
        UnreadableSnapshot,
        read_snapshot_report,
        resolve_snapshot,
    )

    documents = []
    for argument in (before, after):
        folder = resolve_snapshot(argument, workspace)
        try:
            document = read_snapshot_report(folder)
            parse_report(document)
        except UnreadableSnapshot as exc:
            raise CaseloadError(printable(str(exc))) from None
        except SnapshotError as exc:
            raise CaseloadError(f"caseload diff: {exc}") from None
        except InvalidReport as exc:
            raise CaseloadError(f"caseload diff: {folder / 'report.json'}: not a caseload "
                                f"report ({exc})") from None
        documents.append(document)
    changes = compare(*documents)
    if output_format == "json":
        echo(json.dumps(changes_json(changes), indent=2, ensure_ascii=False))
    else:
        for line in text_lines(changes):
            echo(line)


# --- audit ------------------------------------------------------------------------------


PDF_INSTALL = "pip install 'caseload[pdf]'"


def pdf_available() -> bool:
    """Whether WeasyPrint (the `pdf` extra) and the libraries it needs can be loaded."""
    try:
        import weasyprint  # noqa: F401
    except Exception:  # ImportError, or OSError when Pango is missing
        return False
    return True


def load_audit(request_path: Path, workspace: Path, as_of: date
               ) -> tuple[Report, Audit]:
    """The workspace's report and what the request finds in it; input errors of the
    workspace and of the request together, as WorkspaceInvalid."""
    from generator.reading import read_audit_request
    from generator.rules.audit import evaluate_audit

    # Anything there goes to the reader, which names what it is (a FIFO, a folder).
    if not request_path.exists() and not request_path.is_symlink():
        raise CaseloadError(f"caseload audit: {request_path}: no such file")
    try:
        report = make_report(workspace, as_of, None, None)
    except WorkspaceInvalid as invalid:
        from generator.reading import payer_ids

        raise WorkspaceInvalid(invalid.errors + errors_of(
            lambda: read_audit_request(request_path, workspace, payer_ids(workspace)))
        ) from None
    caseload = report.caseload
    request = read_audit_request(request_path, workspace, caseload.payers)
    errors = ambiguity_errors(request, caseload)
    if errors:
        raise WorkspaceInvalid(errors)
    return report, evaluate_audit(request, caseload, report.as_of, report.policies)


@cli.command("audit")
@click.argument("request", type=click.Path(dir_okay=False, path_type=Path))
@workspace_argument
@as_of_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A checklist for people, JSON for scripts.")
@site_dir_option
@redact_option
@click.option("--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Also write the packet's print page as one PDF "
              f"(needs the pdf extra: {PDF_INSTALL}).")
@handle_invalid_input
def audit_command(request: Path, workspace: Path, as_of: date | None, output_format: str,
                  site_dir: Path | None, redact: bool, pdf: Path | None) -> None:
    """Check a payer's record request (REQUEST, e.g. audits/NAME.yaml) and build its packet.

    For every member named, every attended session in the period: is the progress
    note signed, was a treatment plan in force, is the plan signed. The packet
    site (default WORKSPACE/audits/NAME/site) holds only the members named, a
    checklist page and a print page with every member's record.

    Exit status: 0 every member complete, 1 any gap, 2 invalid request or workspace.
    """
    if pdf is not None and not pdf_available():
        raise CaseloadError("caseload audit: --pdf needs WeasyPrint and the Pango libraries; "
                            f"install them with: {PDF_INSTALL} (and Pango, e.g. apt-get "
                            "install libpango-1.0-0 libpangoft2-1.0-0); nothing was written.")
    check_site_engine()
    report, audit = load_audit(request, workspace, as_of or today())
    settings = read_site_settings(workspace)
    target = site_dir or workspace / "audits" / audit.request.stem / "site"
    from generator.site import build as site_build

    site_build.build_packet(report, audit, workspace, target, settings=settings, redact=redact)
    if pdf is not None:
        from generator.site.pdf import write_pdf

        write_pdf(target, pdf, audit)
    from generator.report.audit import audit_json, render_audit_text

    if output_format == "json":
        indent = 2 if sys.stdout.isatty() else None
        echo(json.dumps(audit_json(audit), indent=indent, ensure_ascii=False))
    else:
        for line in render_audit_text(audit, report.caseload, redact=redact):
            echo(line)
    echo(f"Built the packet {target / 'index.html'} "
               f"({plural(len(audit.evaluations), 'member')}, as of {audit.as_of}).", err=True)
    sys.exit(EXIT_OK if audit.complete else EXIT_FINDINGS)


# --- import -----------------------------------------------------------------------------

# Below this, an export reads in about a second: no progress bar.
LARGE_EXPORT_BYTES = 2 * 1024 * 1024


@contextmanager
def stderr_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr while a large export is read, only when a person is watching
    (standard output stays the summary alone)."""
    if not sys.stderr.isatty() or total < LARGE_EXPORT_BYTES:
        yield lambda done: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


@cli.command("import")
@click.argument("source")
@click.argument("files", metavar="FILE...", nargs=-1, required=True,
                type=click.Path(path_type=Path))
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The workspace to import into.")
@click.option("--from", "date_from", type=IsoDate(), default=None,
              help="First day of the range replaced (default: the export's first day).")
@click.option("--to", "date_to", type=IsoDate(), default=None,
              help="Last day of the range replaced (default: the export's last day).")
@click.option("--dry-run", is_flag=True, help="Print what the import would change; write "
              "nothing.")
@click.option("--skip-hand-kept", is_flag=True,
              help="Leave out clients whose own file lists sessions (instead of stopping).")
@handle_invalid_input
def import_command(source: str, files: tuple[Path, ...], workspace: Path,
                   date_from: date | None, date_to: date | None, dry_run: bool,
                   skip_hand_kept: bool) -> None:
    """Import appointments from a practice-management export into session ledgers.

    SOURCE is simplepractice, jane, fhir, or the path of a profile file; each
    FILE an export (CSV or .xlsx; for fhir, a JSON bundle). For SOURCE, the
    sessions of the clients in the export between --from and --to (default:
    the export's first and last day) are replaced by the export's, in
    content/imported/SOURCE-YEAR.yaml; clients new to the caseload get a file in
    content/clients/. Running the same import again changes nothing.

    Exit status: 0 imported (or nothing to do); 2 invalid export, profile or
    workspace (nothing written).
    """
    from generator.importing import (
        IMPORT_FOLDERS,
        ImportInvalid,
        ProfileInvalid,
        WorkspaceBusy,
        WriteFailed,
        import_lock,
        load_profile,
        plan_import,
        write_files,
    )

    if date_from and date_to and date_from > date_to:
        raise CaseloadError(f"caseload import: --from {date_from} is after --to {date_to}")
    try:
        profile = load_profile(source)
    except ProfileInvalid as exc:
        count = exc.problems.count
        raise CaseloadError("\n".join([
            *exc.problems.lines(),
            f"caseload import: {count} error{'s' if count != 1 else ''} in the profile; "
            "nothing was written.",
        ])) from None
    # The whole import under the workspace's import lock (not a dry run: it writes nothing),
    # so that what it read is still what is there when it writes.
    lock = nullcontext() if dry_run else import_lock(workspace, IMPORT_FOLDERS)
    try:
        with lock:
            with paused_gc():
                caseload = load(workspace)
            try:
                plan = plan_import(profile, [(path, str(path)) for path in files], workspace,
                                   caseload, date_from=date_from, date_to=date_to,
                                   skip_hand_kept=skip_hand_kept, progress=stderr_progress)
            except ImportInvalid as exc:
                raise CaseloadError("\n".join(exc.lines)) from None
            if not dry_run:
                write_files(workspace, plan.writes)
    except WorkspaceBusy:
        raise CaseloadError("caseload import: another import is writing to this workspace; "
                            "run this one when it has finished. Nothing was written.") from None
    except WriteFailed as exc:
        done = (f" Written completely before it: {', '.join(exc.written)}."
                if exc.written else " Nothing was written.")
        raise CaseloadError(f"caseload import: cannot write {exc.relative}: {exc.reason}; "
                            f"it is unchanged.{done} Run the same import again to "
                            "finish.") from None
    for line in plan.summary(dry_run):
        echo(line)


# Set by a command that has written all it writes (`exit_without_teardown`); read
# only by `main`, the console command, so that a command run in-process (tests,
# CliRunner) always returns normally.
_TEARDOWN_NOT_NEEDED = False


def exit_without_teardown(status: int) -> NoReturn:
    """Exit with `status`, and let the console command skip the interpreter's
    teardown: it frees a large caseload object by object, about a tenth of a
    second at 10,000 clients, after everything was written (`check` writes no
    file but the parse cache, closed before the report is made)."""
    global _TEARDOWN_NOT_NEEDED
    _TEARDOWN_NOT_NEEDED = True
    sys.exit(status)


def _exit_now(status: object) -> None:
    """End the process at once with `status`, once stdout and stderr are flushed
    and the exit handlers (temporary folders' clean-up among them) have run. A
    flush that fails (the reader went away) returns, for the ordinary exit to
    deal with; so does a thread still running, which the ordinary exit waits for."""
    if threading.active_count() > 1:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    atexit._run_exitfuncs()
    os._exit(status if isinstance(status, int) else 0 if status is None else 1)


def main() -> None:
    """The console command. Click's own messages (a bad option value, quoted as the
    user typed it) are printed through `echo` too, like every other line."""
    global _TEARDOWN_NOT_NEEDED
    _TEARDOWN_NOT_NEEDED = False
    try:
        status = cli.main(prog_name="caseload", standalone_mode=False)
    except SystemExit as exc:
        if _TEARDOWN_NOT_NEEDED:
            _exit_now(exc.code)
        raise
    except click.ClickException as exc:
        shown = io.StringIO()
        exc.show(file=shown)
        if shown.getvalue():
            echo(shown.getvalue().removesuffix("\n"), err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        echo("Aborted!", err=True)
        sys.exit(1)
    if isinstance(status, int) and status:  # ctx.exit(n) returns n without standalone mode
        sys.exit(status)

"""The `caseload` command line: thin Click commands that import their work."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from generator import __version__
from generator import build as site_build
from generator.load import DATE_PATTERN, WorkspaceInvalid, load_workspace
from generator.model import Caseload
from generator.render import Page, TemplateProblem
from generator.report import Report, Scope, UnknownScope, build_report, report_json
from generator.site import SiteBuildError
from generator.text import render_text

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FINDINGS, EXIT_INVALID = 0, 1, 2


class CaseloadError(click.ClickException):
    """An error the user can fix: printed as plain lines, never a traceback; exit 2."""

    exit_code = EXIT_INVALID

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


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
    return load_workspace(workspace)


def today() -> date:
    return date.today()


def make_report(workspace: Path, as_of: date | None, payer: str | None,
                clinician: str | None) -> Report:
    caseload = load(workspace)
    return build_report(caseload, as_of or today(), Scope(payer, clinician))


class CaseloadGroup(click.Group):
    """Commands that never show a traceback, even on a bug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
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
        click.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        for line in render_text(report):
            click.echo(line)
    sys.exit(EXIT_FINDINGS if report.has_errors else EXIT_OK)


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


def terminal_progress(pages: Iterator[Page]) -> Iterator[Page]:
    """A progress bar while pages render, only when a person is watching."""
    if not sys.stdout.isatty():
        yield from pages
        return
    with click.progressbar(pages, label="Rendering pages", show_pos=True) as bar:
        yield from bar


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
    report = make_report(workspace, as_of, payer, clinician)
    target = site_dir or workspace / "site"
    site_build.build(report, workspace, target, redact=redact, progress=terminal_progress)
    click.echo(f"Built {target / 'index.html'} ({len(report.evaluations)} clients, "
               f"as of {report.as_of}).", err=True)


def main() -> None:
    cli(prog_name="caseload")

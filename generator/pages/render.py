"""Report data → Markdown pages, through Jinja templates.

Templates are looked up first in the workspace's own templates/ folder, then in
the built-in set. Every `{{ value }}` is escaped for Markdown and HTML by
default (see `escape.py`); only values that our own code marks as `Markup`
(links, charts) go out as they are. Undefined names fail the build
(`StrictUndefined`) instead of quietly printing nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib import metadata
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from generator.errors import TemplateProblem
from generator.fingerprint import code_digest
from generator.model.plain import client_text
from generator.model.policy import SETTINGS, EffectivePolicy
from generator.model.records import ID_PATTERN, Client
from generator.pages import charts
from generator.pages.escape import block, inline
from generator.regularfile import FileTooLarge, NotRegularFile, read_regular
from generator.report.audit import (
    NOTE_WORDS,
    PLAN_WORDS,
    SIGNED_WORDS,
    deadline_words,
    payer_words,
)
from generator.report.report import ActionItem, Report
from generator.rules.audit import Audit, MemberCheck
from generator.rules.engine import (
    ACTION_GROUPS,
    RULES,
    SEVERITIES,
    STATUSES,
    ClinicianLoad,
    Evaluation,
    Finding,
    NoteCheck,
    PlanEntry,
    SessionState,
)
from generator.wording import plural

STATUS_LABELS = {
    "active": "Active",
    "at_risk": "At risk",
    "inactive": "Inactive",
    "discharge_planned": "Discharge planned",
    "discharged": "Discharged",
}
# Long lists (roster, action groups, discharged clients, a payer's or a clinician's
# clients) are cut into pages of this many rows, so that every page opens in well
# under a second at any caseload size (benchmarks/browser.py measures it): at 500
# rows the first roster page took 0.8 to 0.95 s to load, about a third of it the
# theme's script laying the table out again (benchmarks/README.md).
ROSTER_PAGE_SIZE = 250
# The action list shows this many items of a group; the rest are one click away,
# on pages of ROSTER_PAGE_SIZE.
ACTION_PREVIEW = 100
# The roster's filter shows the matching clients this many at a time (at most a
# roster page's worth): laying out the rows is most of its answer's time, and it
# answers in under 100 ms at 10,000 clients (benchmarks/browser.py).
FILTER_PAGE_SIZE = 100
ASSETS = ("caseload.css", "caseload.js")


@dataclass(frozen=True, slots=True)
class Page:
    path: str  # relative to the docs folder, POSIX separators
    content: str | bytes


def builtin_templates() -> Path:
    return Path(str(files("generator.templates")))


def environment(workspace: Path | None) -> jinja2.Environment:
    """The Jinja environment for `workspace`'s pages: its own templates/ first, then ours.

    A workspace's templates are code from outside this package, so once it has
    any, every page is rendered in Jinja's immutable sandbox (no attribute that
    starts with `_`, no Python internals, no method that changes a list, dict or
    set): one sandboxed page may include another, and a plain template including
    a workspace one would run it unsandboxed. Our own templates alone stay in the
    plain environment, because the sandbox checks every attribute access and call
    as it runs: rendering every page of 2,000 generated clients took 1.4 to 1.6
    times as long in it, with the same output (`tests/test_template_sandbox.py`
    shows what it refuses).
    """
    own = workspace_templates(workspace)
    kind = ImmutableSandboxedEnvironment if own is not None else jinja2.Environment
    env = kind(
        loader=_TemplateLoader(own, builtin_templates()),
        undefined=jinja2.StrictUndefined,
        finalize=inline,
        autoescape=False,  # `finalize` escapes every value, for Markdown and HTML alike
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(status_badge=status_badge, severity_badge=severity_badge,
                       finding_counts=finding_counts, code=code, safe_id=safe_id,
                       spots=spots_words, finding_rank=finding_rank, finding_key=finding_key,
                       asset=asset)
    env.filters["block"] = block
    env.filters["sort_key"] = sort_key
    env.filters["status_rank"] = status_rank
    env.filters["label"] = lambda status: STATUS_LABELS[status]
    env.filters["plural"] = plural
    return env



def workspace_templates(workspace: Path | None) -> Path | None:
    """The workspace's templates/ folder, unless it has none or it is our own
    (this repository is a workspace whose templates/ is the package's)."""
    if workspace is None or not (workspace / "templates").is_dir():
        return None
    folder = workspace / "templates"
    with contextlib.suppress(OSError):
        if folder.resolve() == builtin_templates().resolve():
            return None
    return folder


class UnusableTemplate(jinja2.TemplateError):
    """A workspace template file that cannot be used: not a regular file (a FIFO
    would hang the build), too large, unreadable or not UTF-8."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name, self.reason = name, reason


class _TemplateLoader(jinja2.FileSystemLoader):
    """The workspace's templates (if any), then ours; a workspace file is read
    through `read_regular`, so that a FIFO or device among them is refused by
    name rather than waited on, or silently passed over for our own."""

    def __init__(self, own: Path | None, builtin: Path) -> None:
        super().__init__([*([str(own)] if own is not None else []), str(builtin)])
        self.own = own

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        path = self.own.joinpath(*split_template_path(template)) if self.own else None
        if path is None or not (path.exists() or path.is_symlink()):
            return super().get_source(environment, template)
        try:
            text = read_regular(path).decode("utf-8")
            mtime = path.stat().st_mtime
        except (NotRegularFile, FileTooLarge) as exc:
            raise UnusableTemplate(template, str(exc)) from None
        except UnicodeDecodeError:
            raise UnusableTemplate(template, "is not valid UTF-8") from None
        except OSError as exc:
            raise UnusableTemplate(template, f"cannot be read ({exc.strerror or exc})") from None

        def unchanged() -> bool:
            try:
                return path.stat().st_mtime == mtime
            except OSError:
                return False

        return text, str(path), unchanged


# --- small pieces of markup, built here so that templates need no `|safe` -----------


# These run for every row of every long list, so they are f-strings around
# `escape` rather than Markup.format (the same escaping, through string.Formatter).
def status_badge(status: str) -> Markup:
    return Markup(f'<span class="cl-status cl-{escape(status.replace("_", "-"))}">'
                  f'{escape(STATUS_LABELS[status])}</span>')


def severity_badge(severity: str) -> Markup:
    return Markup('<span class="cl-severity cl-{}">{}</span>').format(severity, severity)


def finding_counts(evaluation: Evaluation) -> Markup:
    counts = Counter(f.severity for f in evaluation.findings)
    return Markup(" ".join(
        f'<span class="cl-severity cl-{escape(s)}">{counts[s]} {escape(s)}</span>'
        for s in SEVERITIES if counts[s]
    ))


# --- sort keys: what caseload.js sorts a table's column by (`data-sort` on a cell) ---
# A cell without one sorts by its text. A blank key (or a cell that shows only "—")
# sorts last, whichever way the column is sorted.


def sort_key(value: date | int | None) -> Markup:
    """A date as ISO text, a whole number as digits, nothing as a blank key."""
    if value is None:
        return Markup("")
    if isinstance(value, date):
        return Markup(value.isoformat())
    if isinstance(value, int) and not isinstance(value, bool):
        return Markup(str(value))
    raise TypeError(f"no sort key for {value!r}")


def status_rank(status: str) -> Markup:
    """A status's place in the status order (discharged first, active last)."""
    return Markup(str(STATUSES.index(status)))


# Findings per client are at most one per rule, so three digits per severity keep
# errors before warnings before info.
_SEVERITY_WEIGHT = {"error": 1_000_000, "warning": 1_000, "info": 1}


def finding_rank(evaluation: Evaluation) -> Markup:
    """A client's open findings as one number: more errors first, then warnings, then info."""
    return Markup(str(sum(_SEVERITY_WEIGHT[f.severity] for f in evaluation.findings)))


def finding_key(finding: Finding) -> Markup:
    """A finding by severity (errors first), then code."""
    return Markup(f"{SEVERITIES.index(finding.severity)} {escape(finding.code)}")


def safe_id(value: str) -> Markup:
    """An id as it is, safe in a path, a URL and Markdown: checked again, not trusted."""
    if not ID_PATTERN.fullmatch(value):
        raise ValueError(f"not an id: {value!r}")
    return Markup(value)


def page_slug(value: str) -> str:
    """A file name for a page about `value`: the value itself when it is id-like.

    A clinician may be any text when the practice keeps no list of clinicians;
    such text never becomes a path, only a digest of it does.
    """
    if ID_PATTERN.fullmatch(value):
        return value
    return "x-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def asset(name: str, base: str = "") -> Markup:
    """The address of one of our assets (assets/NAME) from a page at `base`."""
    if name not in ASSETS or base not in ("", "../"):
        raise ValueError(f"not an asset of ours: {base!r} {name!r}")
    return Markup(f"{base}assets/{name}")


def code(text: Any) -> Markup:
    """Inline code: Markdown backticks would show our escapes literally, <code> does not."""
    return Markup("<code>{}</code>").format(inline(text))


# --- view models: what a template sees ----------------------------------------------


@dataclass(frozen=True)
class Redaction:
    """What the site may show. Redacted: names become ids, free text only 'recorded'."""

    on: bool = False

    def name(self, client: Client) -> str:
        return client.id if self.on else client.name

    def free_text(self, value: str | tuple[str, ...] | None) -> Any:
        if not value:
            return None
        if self.on:
            return Markup("<em>recorded (withheld)</em>")
        return "; ".join(value) if isinstance(value, tuple) else value


CLIENT_FOLDER = "clients"


def client_url(client_id: str, base: str = "") -> Markup:
    """The Markdown page of a client, relative to the docs folder (or to `base`)."""
    return Markup(f"{base}{CLIENT_FOLDER}/{safe_id(client_id)}.md")


def client_href(client_id: str, base: str = "") -> Markup:
    """A link to a client's built page.

    Client pages are many and alike, so the site build may make them outside
    the theme engine (see shell.py); links to and from them therefore name the
    built .html page rather than the .md source the engine would rewrite.
    """
    return Markup(f"{base}{CLIENT_FOLDER}/{safe_id(client_id)}.html")


def link(label: Any, url: str) -> Markup:
    """A Markdown link to another page's source: the site engine checks and rewrites it."""
    return Markup(f"[{inline(label)}]({url})")


def html_link(label: Any, href: str) -> Markup:
    """A link to a built page, as HTML: the engine passes it through unchecked."""
    return Markup(f'<a href="{escape(href)}">{inline(label)}</a>')


def _page_link(label: Any, path: str, suffix: str) -> Markup:
    return html_link(label, path + suffix) if suffix == ".html" else link(label, path + suffix)


def note_words(check: NoteCheck | None) -> str:
    """A session's progress note as the note rules see it, in words ("" when its note
    is not checked: notes not tracked for the client, or a session not attended)."""
    if check is None:
        return ""
    signed = f"signed {check.signed_on}" if check.signed_on else "signed (day not recorded)"
    return {
        "signed": signed,
        "late": f"{signed}: late, due by {check.due}",
        "missing": f"missing: due by {check.due}",
        "due": f"not signed yet: due by {check.due}",
        "not_tracked": "not tracked",
    }[check.state]


DOCUMENTATION_GROUP = "complete documentation"
assert DOCUMENTATION_GROUP in ACTION_GROUPS

# An outcome that counts as a no-show without saying so.
_OUTCOME_WORDS = {("late_cancel", True): "late cancel (counts as a no-show)"}
# The follow-up a session's state asks for, on the client page.
_SESSION_STATES: dict[SessionState | None, str] = {
    "upcoming": "upcoming",
    "unresolved": "never marked held or missed",
    "recorded": "",
    None: "",
}


@dataclass(frozen=True)
class PolicyRow:
    key: str
    meaning: str
    value: Any
    layer: str


def spots_words(spots: int | None, strong: bool = False) -> Markup:
    """Open spots in words: over capacity said in words (and bold), not by colour alone."""
    if spots is None:
        return Markup("—")
    if spots < 0:
        over = f'<span class="cl-over">over capacity by {-spots}</span>'
        return Markup(f"<strong>{over}</strong>" if strong else over)
    if spots == 0:
        return Markup("at capacity, no spot open")
    return Markup(f"{plural(spots, 'spot')} open")


def policy_rows(policy: EffectivePolicy) -> list[PolicyRow]:
    return [
        PolicyRow(s.key, s.meaning, _show(policy[s.key]), policy.layers[s.key])
        for s in SETTINGS
    ]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "not set"
    return str(value)


class Site:
    """Everything the templates read, built once from a report."""

    def __init__(self, report: Report, redact: bool = False, base_title: str | None = None,
                 *, audits: tuple[Audit, ...] = (), packet: Audit | None = None) -> None:
        self.report = report
        self.audits = audits  # the workspace's audit requests, on the overview while open
        self.packet = packet  # the request this site is the packet of
        self.caseload = report.caseload
        self.as_of = report.as_of
        self.redaction = Redaction(redact)
        self.scope_title = report.scope.title
        self.title = base_title or self.caseload.practice_name
        self.statuses = STATUSES
        self.severities = SEVERITIES
        self.status_counts = report.status_counts
        self.severity_counts = report.severity_counts
        self.rules = RULES
        self.groups = ACTION_GROUPS
        self.evaluations = report.evaluations
        self.payer_ids = sorted(
            {e.client.payer for e in report.evaluations if e.client.payer}
            | ({report.scope.payer} if report.scope.payer else set())
        )
        # Each clinician's load against capacity (none in a payer's report); a
        # clinician with a capacity but no clients yet has a page too.
        self.loads = report.clinician_loads()
        self.counts_capacity = report.counts_capacity
        self.clinician_ids = sorted({e.client.clinician for e in report.evaluations
                                     if e.client.clinician} | set(self.loads))

    # names ---------------------------------------------------------------------------
    def name(self, evaluation: Evaluation) -> str:
        return self.redaction.name(evaluation.client)

    def payer_name(self, payer_id: str | None) -> str:
        if payer_id is None:
            return "No payer (practice policy)"
        return self.caseload.payers[payer_id].name

    def clinician_name(self, clinician_id: str | None) -> str:
        if clinician_id is None:
            return "Unassigned"
        if self.caseload.clinicians and clinician_id in self.caseload.clinicians:
            return self.caseload.clinicians[clinician_id]
        return clinician_id

    def free_text(self, value: str | tuple[str, ...] | None) -> Any:
        return self.redaction.free_text(value)

    # links ---------------------------------------------------------------------------
    def client_link(self, evaluation: Evaluation, base: str = "") -> Markup:
        return html_link(evaluation.client.id, client_href(evaluation.client.id, base))

    def client_links(self, evaluations: tuple[Evaluation, ...], base: str = "") -> Markup:
        """Links to these clients' pages, separated by commas; "none" for none."""
        if not evaluations:
            return Markup("none")
        return Markup(", ").join(self.client_link(e, base) for e in evaluations)

    def payer_link(self, payer_id: str | None, base: str = "", suffix: str = ".md") -> Markup:
        """A link to a payer's page; from a client page, `suffix` is ".html"."""
        if payer_id is None:
            return Markup("—")
        return _page_link(self.payer_name(payer_id), f"{base}payers/{safe_id(payer_id)}", suffix)

    def clinician_link(self, clinician_id: str | None, base: str = "", suffix: str = ".md"
                       ) -> Markup:
        if clinician_id is None:
            return Markup("—")
        return _page_link(self.clinician_name(clinician_id),
                          f"{base}clinicians/{page_slug(clinician_id)}", suffix)

    # the work queue ------------------------------------------------------------------
    def actions(self) -> dict[str, list[ActionItem]]:
        return self.report.actions()

    def by_when(self, finding: Finding) -> str:
        if finding.due is None:
            return "now"
        if finding.overdue:
            return f"overdue since {finding.due}"
        return str(finding.due)

    # policies ------------------------------------------------------------------------
    def policy_rows(self, payer_id: str | None) -> list[PolicyRow]:
        return policy_rows(self.report.policies[payer_id])

    def policy_matrix(self) -> dict[str, Any]:
        """The policy in force, one column per payer (and one for clients with none)."""
        payer_ids: list[str | None] = list(self.payer_ids)
        if any(e.client.payer is None for e in self.evaluations) or not payer_ids:
            payer_ids.insert(0, None)
        tables = [self.policy_rows(p) for p in payer_ids]
        return {
            "columns": [self.payer_name(p) for p in payer_ids],
            "rows": [{"key": row.key, "cells": [table[i] for table in tables]}
                     for i, row in enumerate(tables[0])],
        }

    def clients_of_payer(self, payer_id: str) -> list[Evaluation]:
        return [e for e in self.evaluations if e.client.payer == payer_id]

    def clients_of_clinician(self, clinician_id: str) -> list[Evaluation]:
        return [e for e in self.evaluations if e.client.clinician == clinician_id]

    def without_errors(self, evaluations: list[Evaluation]) -> str:
        if not evaluations:
            return "—"
        clean = sum(1 for e in evaluations if not any(f.severity == "error" for f in e.findings))
        return f"{clean} of {len(evaluations)} ({round(100 * clean / len(evaluations))} %)"

    def discharged(self) -> list[Evaluation]:
        return [e for e in self.evaluations if e.discharged]

    # capacity ------------------------------------------------------------------------
    @property
    def shows_capacity(self) -> bool:
        """Whether the practice gives any clinician a capacity: only then do the
        clinician pages speak of it."""
        return bool(self.caseload.capacities)

    def load(self, clinician_id: str) -> ClinicianLoad | None:
        return self.loads.get(clinician_id)

    def over_capacity(self) -> list[str]:
        """The names of the clinicians over capacity, each with by how much."""
        return [f"{self.clinician_name(k)} (by {-(load.open_spots or 0)})"
                for k, load in self.loads.items() if load.over_capacity]

    def capacity_sentence(self, clinician_id: str) -> Markup:
        """What a clinician's load means, in one or two sentences."""
        load = self.loads[clinician_id]
        who = inline(self.clinician_name(clinician_id))
        carries = (f"carries {plural(len(load.carried), 'client')} "
                   "(on the caseload, not discharged)")
        if load.capacity is None:
            return Markup(f"{who} {carries}; practice.yaml sets no capacity for them.")
        now = (f"{who} {carries} against a capacity of {load.capacity}: "
               f"{spots_words(load.open_spots, strong=True)}.")
        steps = []
        if load.discharge_planned:
            steps.append(f"with the {plural(len(load.discharge_planned), 'planned discharge')} "
                         f"done: {spots_words(load.spots_after_planned)}")
        if load.inactive:
            too = " too" if steps else ""
            steps.append(f"with the {plural(len(load.inactive), 'inactive client')} "
                         f"discharged{too}: {spots_words(load.spots_after_inactive)}")
        if not steps:
            return Markup(f"{now} No discharge is planned and no client is inactive.")
        then = "; ".join(steps)
        return Markup(f"{now} {then[0].upper()}{then[1:]}.")

    # one client ----------------------------------------------------------------------
    def sessions(self, evaluation: Evaluation) -> list[dict[str, Any]]:
        """The session history, latest day first, in words."""
        rows = []
        for entry in evaluation.history(latest_first=True):
            session = entry.session
            outcome = _OUTCOME_WORDS.get((session.status, entry.no_show),
                                         session.status.replace("_", " "))
            rows.append({"date": session.date, "status": outcome,
                         "state": _SESSION_STATES[entry.state],
                         "progress_note": note_words(entry.note),
                         "note": self.free_text(session.note)})
        return rows

    def shows_signatures(self, evaluation: Evaluation) -> bool:
        """Plan signatures have a column where they are required or any is given."""
        return evaluation.requires_signatures or any(
            plan.provider_signed_on is not None or plan.client_signed_on is not None
            or plan.client_signature_waived is not None
            for plan in evaluation.client.treatment_plans)

    def signatures(self, entry: PlanEntry) -> Markup:
        """A plan's signatures in words, and what it lacks where they are required."""
        plan = entry.plan
        parts = []
        if plan.provider_signed_on is not None:
            parts.append(inline(f"provider signed {plan.provider_signed_on}"))
        if plan.client_signed_on is not None:
            parts.append(inline(f"client signed {plan.client_signed_on}"))
        if plan.client_signature_waived is not None:
            reason = self.free_text(plan.client_signature_waived)
            parts.append(Markup("client signature waived: ") + inline(reason)
                         if reason else Markup("client signature waived (no reason given)"))
        if entry.lacking:
            parts.append(inline(f"lacks {' and '.join(entry.lacking)}"))
        return Markup("; ").join(parts) if parts else Markup("none recorded")

    # documentation -------------------------------------------------------------------
    def documentation(self) -> dict[str, Any] | None:
        """The record-review summary for the overview: how many clients' notes are
        tracked and plans must be signed, and each documentation rule's count of
        clients; None where no client's policy checks either."""
        notes = sum(1 for e in self.evaluations if e.tracks_notes)
        signatures = sum(1 for e in self.evaluations if e.requires_signatures)
        if not notes and not signatures:
            return None
        rows = [{"rule": r, "clients": sum(1 for e in self.evaluations
                                           if any(f.rule is r for f in e.findings))}
                for r in self.rules if r.action == DOCUMENTATION_GROUP]
        return {"notes": notes, "signatures": signatures, "rows": rows}

    # audit requests ------------------------------------------------------------------
    def open_audits(self) -> list[Audit]:
        return [a for a in self.audits if a.open]

    def audit_deadline(self, audit: Audit) -> str:
        return deadline_words(audit)

    def audit_payer(self, audit: Audit) -> str:
        return payer_words(audit, self.caseload)

    def stamp(self, evaluation: Evaluation) -> dict[str, Any]:
        """What every page of a member in the packet is stamped with."""
        assert self.packet is not None
        client = evaluation.client
        request = self.packet.request
        return {
            "id": client.id,
            "member_id": client.member_id or "none recorded",
            "payer": self.audit_payer(self.packet),
            "period": request.period_text,
            "requested_on": request.requested_on,
        }

    def checklist(self) -> list[dict[str, Any]]:
        """One entry per member named by the request, in its order."""
        assert self.packet is not None
        rows = []
        first: dict[str, int] = {}
        for number, check in enumerate(self.packet.members, start=1):
            evaluation = check.evaluation
            if evaluation is None:
                rows.append({"number": number, "check": check, "e": None, "again": None,
                             "sessions": [], "discharge": None})
                continue
            again = first.setdefault(evaluation.client.id, number)
            rows.append({
                "number": number, "check": check, "e": evaluation,
                "again": again if again != number else None,
                "sessions": [{"date": d.date, "note": NOTE_WORDS[d.note],
                              "plan": PLAN_WORDS[d.plan], "plan_date": d.plan_date,
                              "signed": SIGNED_WORDS[d.plan_signed], "complete": d.complete}
                             for d in check.dates],
                "discharge": self._discharge_state(check),
            })
        return rows

    def _discharge_state(self, check: MemberCheck) -> str:
        evaluation = check.evaluation
        assert evaluation is not None
        if not evaluation.discharged:
            return "not discharged"
        if check.findings:
            return "incomplete: " + "; ".join(f.message for f in check.findings)
        return f"complete (discharged {evaluation.discharge_date})"

    def finding_policy(self, evaluation: Evaluation, finding: Finding) -> list[str]:
        policy = evaluation.policy
        return [f"{key} = {_show(policy[key])} ({policy.layers[key]}: {policy.says_who(key)})"
                for key in finding.rule.policy_keys]


# --- rendering ----------------------------------------------------------------------


def render_pages(report: Report, workspace: Path | None, *, redact: bool = False,
                 extra_pages: dict[str, str] | None = None, clients: bool = True,
                 audits: tuple[Audit, ...] = (), packet: Audit | None = None
                 ) -> Iterator[Page]:
    """Every page of the site as Markdown, plus its charts and assets.

    With `clients` false, the client pages are left to `ClientPages`, which
    renders them one by one when the site build asks for them. With `packet`, the
    site is that request's packet: `report` holds its members alone, and the
    checklist and print pages are added.
    """
    env = environment(workspace)
    site = Site(report, redact, audits=audits, packet=packet)
    with template_problems(env):
        env.globals["client_row"] = _ClientRows(env, site)
        yield Page("index.md", _render(env, "overview.md.j2", site=site))
        yield from _action_pages(env, site)
        yield from _paged(env, "roster.md.j2", "roster.md", "roster", list(site.evaluations),
                          site=site, filter_page_size=min(ROSTER_PAGE_SIZE, FILTER_PAGE_SIZE))
        yield from _paged(env, "discharged.md.j2", "discharged.md", "discharged",
                          site.discharged(), site=site)
        yield Page("payers.md", _render(env, "payers.md.j2", site=site))
        yield Page("clinicians.md", _render(env, "clinicians.md.j2", site=site))
        yield Page("rules.md", _render(env, "rules.md.j2", site=site))
        for payer_id in site.payer_ids:
            # A dot never occurs in an id, so "x.page-2" is no other payer's page.
            payer_slug = safe_id(payer_id)
            yield from _paged(env, "payer.md.j2", f"payers/{payer_slug}.md", f"{payer_slug}.page",
                              site.clients_of_payer(payer_id), site=site, payer_id=payer_id)
        for clinician_id in site.clinician_ids:
            slug = page_slug(clinician_id)
            yield from _paged(env, "clinician.md.j2", f"clinicians/{slug}.md", f"{slug}.page",
                              site.clients_of_clinician(clinician_id), site=site,
                              clinician_id=clinician_id)
        if packet is not None:
            yield Page(CHECKLIST_PAGE, _render(env, "audit-checklist.md.j2", site=site))
            yield Page(PRINT_PAGE, _print_page(env, site))
        if clients:
            pages = ClientPages(site, env)
            for stem in pages.stems():
                yield Page(str(client_url(stem)), pages.render(stem))
    for name, content in (extra_pages or {}).items():
        yield Page(name, content)
    yield from _chart_pages(site)
    yield from _assets(env, site)


CHECKLIST_PAGE = "checklist.md"
PRINT_PAGE = "print.md"
_PAGE_BREAK = '<div class="cl-page-break" aria-hidden="true"></div>'


def _print_page(env: jinja2.Environment, site: Site) -> str:
    """The checklist and every member's page on one page, each starting on a new sheet."""
    parts = [_body(_render(env, "audit-checklist.md.j2", site=site))]
    pages = ClientPages(site, env)
    for stem in pages.stems():
        # The member pages live one folder down: their links, from the top.
        parts.append(_body(pages.render(stem)).replace('href="../', 'href="'))
    front = "---\ntitle: Print all\nsearch:\n  exclude: true\nhide:\n  - toc\n---\n"
    return front + f"\n\n{_PAGE_BREAK}\n\n".join(parts)


def _body(markdown: str) -> str:
    """A page's Markdown without its front matter."""
    if markdown.startswith("---\n"):
        end = markdown.find("\n---\n", 4)
        if end != -1:
            return markdown[end + 5:].lstrip("\n")
    return markdown


class ClientPages:
    """The client pages, each rendered on demand, each with a key that changes
    whenever anything that shapes the built page could change (so an unchanged
    page need not be rendered, nor built, again).

    The keys are derived here and nowhere else (see `key` and `_site_key`); the
    site engine adds only what it sees of its own (`engine`: its name, version
    and settings), and checks the frame it draws around each page itself.
    """

    def __init__(self, site: Site, env: jinja2.Environment, engine: bytes = b"") -> None:
        self.site, self.env, self.engine = site, env, engine
        self.by_id = {e.client.id: e for e in site.evaluations}
        self.template = env.get_template("client.md.j2")

    @classmethod
    def of(cls, report: Report, workspace: Path | None, *, redact: bool = False,
           engine: bytes = b"", audits: tuple[Audit, ...] = (),
           packet: Audit | None = None) -> ClientPages:
        return cls(Site(report, redact, audits=audits, packet=packet), environment(workspace),
                   engine)

    def stems(self) -> list[str]:
        return list(self.by_id)

    @cached_property
    def _site_key(self) -> bytes:
        # Read templates and code only when a key is asked for, not to render.
        return _site_key(self.site, self.env, self.engine)

    def key(self, stem: str) -> str:
        evaluation = self.by_id[stem]
        policy = evaluation.policy
        digest = hashlib.sha256(self._site_key)
        # The client as one line of JSON: every field, like repr() but made in C.
        digest.update(client_text(evaluation.client).encode("utf-8"))
        digest.update(repr((sorted(policy.values.items()), sorted(policy.layers.items()),
                            policy.payer_name)).encode("utf-8"))
        return digest.hexdigest()

    def render(self, stem: str) -> str:
        with template_problems(self.env):
            return self.template.render(site=self.site, e=self.by_id[stem])


# The code that shapes a client page, from its data to its HTML: the model, the
# rules, the report, the pages and their templates, and the site stage (the
# shell, long-table passthrough and engine that turn Markdown into HTML).
PAGE_CODE = ("model", "rules", "report", "pages", "site", "wording.py", "templates")
# Packages besides the engine's that shape a page's Markdown.
_RENDER_PACKAGES = ("Jinja2", "MarkupSafe")


def _site_key(site: Site, env: jinja2.Environment, engine: bytes) -> bytes:
    """What every client page depends on besides its own client: the code and
    templates that draw it (the workspace's own templates too), the packages
    that render its Markdown, the engine's own fingerprint (its name, version
    and settings), the date, the options and the practice's names."""
    digest = hashlib.sha256(code_digest(*PAGE_CODE))
    digest.update(repr([(name, _version(name)) for name in _RENDER_PACKAGES]).encode())
    digest.update(hashlib.sha256(engine).digest())
    loader = env.loader
    assert isinstance(loader, jinja2.FileSystemLoader)
    builtin = str(builtin_templates())
    for layer, folder in enumerate(loader.searchpath):  # the workspace's (ours are in PAGE_CODE)
        if folder == builtin:
            continue
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                name = f"{layer}/{path.relative_to(folder).as_posix()}"
                digest.update(name.encode() + b"\0" + path.read_bytes())
    caseload = site.caseload
    digest.update(repr((site.as_of, site.redaction, site.report.scope, caseload.practice_name,
                        sorted((caseload.clinicians or {}).items()),
                        sorted((p.id, p.name) for p in caseload.payers.values()))).encode())
    # The audit requests (a packet's stamp is on every member page).
    digest.update(repr([_audit_key(a) for a in site.audits]).encode())
    digest.update(repr(_audit_key(site.packet) if site.packet else None).encode())
    return digest.digest()


@cache  # the code this process runs is the code it imported: ask once
def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _audit_key(audit: Audit) -> tuple[Any, ...]:
    request = audit.request
    return (request.path, sorted(request.as_written.items(), key=str), str(request.due),
            audit.as_of, audit.summary, [(m.member.text, m.status) for m in audit.members])


def _render(env: jinja2.Environment, name: str, **context: Any) -> str:
    return env.get_template(name).render(**context)


def describe_template_error(exc: jinja2.TemplateError, env: jinja2.Environment) -> str:
    """One line for a template that failed: `templates/NAME:LINE: ...` when it is
    the workspace's, so that its author knows where to look."""
    if isinstance(exc, UnusableTemplate):
        return f"templates/{exc.name}:1: file: {exc.reason}"
    where = ""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = f"{_shown(exc.filename, exc.name, env)}:{exc.lineno}: "
    else:  # a runtime error: the innermost template line in the (Jinja-rewritten) traceback
        found = _template_frame(exc, env)
        if found is not None:
            where = f"{_shown(found[0], None, env)}:{found[1]}: "
    return f"{where}template error: {exc.message or exc}"


@contextlib.contextmanager
def template_problems(env: jinja2.Environment) -> Iterator[None]:
    """Report a template that failed as one line, `TemplateProblem`: a Jinja error,
    and any other exception raised by a line of the workspace's own templates
    (`{{ 1 + 'a' }}` raises a TypeError), which is the workspace author's to fix,
    not an internal error. Of such an exception only its type is shown: its message
    may quote a value, and values are client text. An exception from one of our
    own templates stays what it is, a bug of ours."""
    try:
        yield
    except jinja2.TemplateError as exc:
        raise TemplateProblem(describe_template_error(exc, env)) from None
    except Exception as exc:
        where = _workspace_line(exc, env)
        if where is None:
            raise
        raise TemplateProblem(f"{where}: template error: the template raised "
                              f"{type(exc).__name__}") from None


def _workspace_line(exc: BaseException, env: jinja2.Environment) -> str | None:
    """`templates/NAME:LINE` of the innermost template frame, if a workspace's."""
    found = _template_frame(exc, env)
    own = isinstance(env.loader, _TemplateLoader) and env.loader.own
    if found is None or not own:
        return None
    try:
        name = Path(found[0]).relative_to(own).as_posix()
    except ValueError:
        return None
    return f"templates/{name}:{found[1]}"


def _template_folders(env: jinja2.Environment) -> list[str]:
    loader = env.loader
    return list(loader.searchpath) if isinstance(loader, jinja2.FileSystemLoader) else []


def _template_frame(exc: BaseException, env: jinja2.Environment) -> tuple[str, int] | None:
    folders = tuple(os.path.join(folder, "") for folder in _template_folders(env))
    found = None
    trace = exc.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if folders and filename.startswith(folders):
            found = (filename, trace.tb_lineno)
        trace = trace.tb_next
    return found


def _shown(filename: str | None, name: str | None, env: jinja2.Environment) -> str:
    """A template's file as the workspace knows it (`templates/NAME`), or its name."""
    own = isinstance(env.loader, _TemplateLoader) and env.loader.own
    if filename and own:
        with contextlib.suppress(ValueError):
            return "templates/" + Path(filename).relative_to(own).as_posix()
    if filename:
        with contextlib.suppress(ValueError):
            return Path(filename).relative_to(builtin_templates()).as_posix()
    return name or filename or "template"


def _pages_of(items: list[Any], first: str, prefix: str) -> list[tuple[str, list[Any]]]:
    """`items` cut into pages: (file name, items on it); the first page is `first`."""
    chunks = [items[i:i + ROSTER_PAGE_SIZE] for i in range(0, len(items), ROSTER_PAGE_SIZE)]
    # Names are ours (fixed words and numbers), marked safe so templates can link them.
    names = [Markup(first)] + [Markup(f"{prefix}-{n}.md") for n in range(2, len(chunks) + 1)]
    return list(zip(names, chunks or [[]], strict=False))


class _ClientRows:
    """`_client_row.j2` for a client, rendered once per link base and then reused:
    at 10,000 clients the roster, payer and clinician pages hold 30,000 rows."""

    def __init__(self, env: jinja2.Environment, site: Site) -> None:
        self.template = env.get_template("_client_row.j2")
        self.site = site
        self.rows: dict[tuple[str, str], Markup] = {}

    def __call__(self, evaluation: Evaluation, base: str) -> Markup:
        key = (evaluation.client.id, base)
        row = self.rows.get(key)
        if row is None:
            text = self.template.render(site=self.site, e=evaluation, base=base)
            # Our template's output, every value in it escaped by `finalize`.
            row = self.rows[key] = Markup(text.removesuffix("\n"))
        return row


def _paged(env: jinja2.Environment, template: str, path: str, prefix: str, rows: list[Any],
           rows_as: str = "rows", **context: Any) -> Iterator[Page]:
    """`template` once per page of `rows` (given to it as `rows_as`): at `path`, then
    `prefix`-2.md, … beside it."""
    folder, _, first = path.rpartition("/")
    pages = _pages_of(rows, first, prefix)
    names = [name for name, _ in pages]
    for number, (name, chunk) in enumerate(pages, start=1):
        yield Page(f"{folder}/{name}" if folder else str(name),
                   _render(env, template, page=number, pages=names, **{rows_as: chunk},
                           **context))


def action_slug(group: str) -> str:
    return "actions-" + group.replace(" ", "-")


def _action_pages(env: jinja2.Environment, site: Site) -> Iterator[Page]:
    groups = site.actions()
    more = {group: Markup(action_slug(group) + ".md") for group, items in groups.items()
            if len(items) > ACTION_PREVIEW}
    yield Page("actions.md", _render(env, "actions.md.j2", site=site, groups=groups,
                                     preview=ACTION_PREVIEW, more=more))
    for group in more:
        yield from _paged(env, "action-group.md.j2", more[group], action_slug(group),
                          groups[group], rows_as="items", site=site, group=group,
                          total=len(groups[group]))


def _chart_pages(site: Site) -> Iterator[Page]:
    yield Page("assets/charts/status.svg", charts.status_mix(site.status_counts))
    yield Page("assets/charts/plan-age.svg", charts.plan_age(site))
    yield Page("assets/charts/attendance.svg", charts.attendance(site.evaluations, site.as_of))


def _assets(env: jinja2.Environment, site: Site) -> Iterator[Page]:
    for name in ASSETS:
        with template_problems(env):  # the workspace's own, and no regular file
            source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        yield Page(f"assets/{name}", source)
    yield Page("assets/clients.js", client_index_script(site))
    yield Page("assets/roster.js", roster_index_script(site))


def client_index_script(site: Site) -> str:
    """The client finder's index, as a script: `fetch` is not allowed from file://.

    Its links point at the built pages (the site is always built with one
    .html file per page, so that it opens from disk).
    """
    entries = [
        {"id": e.client.id, "name": site.name(e), "status": STATUS_LABELS[e.status],
         "url": str(client_href(e.client.id))}
        for e in site.evaluations
    ]
    return f"window.CASELOAD_CLIENTS = {_script_data(entries)};\n"


def roster_index_script(site: Site) -> str:
    """What the roster's filter matches and shows, as a script the roster pages
    load (the overview, with the finder alone, does not): for each client of the
    finder's index, in its order, as the evaluation has it, a list (small at
    thousands of clients) of status, clinician key, payer id, last session, next
    appointment, plan age in days, plan due date, and the number of error,
    warning and info findings; null for none."""
    rows = [_index_row(e) for e in site.evaluations]
    return f"window.CASELOAD_ROSTER = {_script_data(rows)};\n"


def _script_data(value: Any) -> str:
    data = json.dumps(value, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    # JSON inside <script>: keep "</script>" and friends from ending it early.
    return data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _index_row(e: Evaluation) -> list[Any]:
    counts = Counter(f.severity for f in e.findings)
    return [e.status, e.client.clinician, e.client.payer, _iso(e.last_session),
            _iso(e.next_appointment), e.plan_age_days, _iso(e.plan_due),
            *(counts[severity] for severity in SEVERITIES)]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def write_page(page: Page, docs_dir: Path) -> None:
    target = docs_dir / page.path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(page.content, bytes):
        target.write_bytes(page.content)
    else:
        target.write_text(page.content, encoding="utf-8")

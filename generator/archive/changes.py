"""What changed between two reports: clients added and gone, statuses, findings, counts.

`compare` is pure: it takes two `check --format json` documents (a snapshot's
`report.json`, or `report_json` of a fresh report) and returns a `Changes`.
The same `Changes` becomes the site's "Changes since" page (`render_changes`,
through the project's Jinja environment), the terminal text of `caseload diff`
(`text_lines`) and its JSON (`changes_json`), so the three cannot disagree.

A finding is identified by its client and its code: the message of an open
finding changes every day ("41 days ago", "42 days ago"), the finding does not.
Findings are compared for clients on the caseload on both dates; the findings
of a client added or gone are listed with that client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator.model.records import DATE_PATTERN, ID_PATTERN
from generator.pages.render import (
    STATUS_LABELS,
    client_href,
    environment,
    html_link,
    template_problems,
)
from generator.rules.engine import RULES, SEVERITIES, STATUSES
from generator.wording import printable

TEMPLATE = "changes.md.j2"
PAGE = "changes.md"
_RULE_ORDER = {rule.code: index for index, rule in enumerate(RULES)}


class InvalidReport(ValueError):
    """A report document that is not a `check --format json` document."""


@dataclass(frozen=True, slots=True)
class FindingRef:
    code: str
    severity: str
    message: str


@dataclass(frozen=True, slots=True)
class ClientRef:
    """A client as one report saw it."""

    id: str
    name: str
    status: str
    findings: tuple[FindingRef, ...]


@dataclass(frozen=True, slots=True)
class StatusChange:
    id: str
    name: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class FindingChanges:
    """The findings of one client (on the caseload on both dates) that opened or resolved."""

    id: str
    name: str
    opened: tuple[FindingRef, ...]  # as they read now
    resolved: tuple[FindingRef, ...]  # as they read then


@dataclass(frozen=True, slots=True)
class CountRow:
    group: str  # "clients", "status" or "severity"
    key: str  # "clients", a status or a severity
    before: int
    after: int

    @property
    def label(self) -> str:
        if self.group == "status":
            return STATUS_LABELS[self.key]
        if self.group == "severity":
            return f"{self.key.capitalize()} findings"
        return "Clients"

    @property
    def change(self) -> str:
        delta = self.after - self.before
        return f"{delta:+d}" if delta else "0"


@dataclass(frozen=True, slots=True)
class Changes:
    before: date
    after: date
    added: tuple[ClientRef, ...]
    gone: tuple[ClientRef, ...]
    status_changes: tuple[StatusChange, ...]
    findings: tuple[FindingChanges, ...]  # clients with a finding opened or resolved
    counts: tuple[CountRow, ...]

    @property
    def opened(self) -> list[tuple[FindingChanges, FindingRef]]:
        return [(c, f) for c in self.findings for f in c.opened]

    @property
    def resolved(self) -> list[tuple[FindingChanges, FindingRef]]:
        return [(c, f) for c in self.findings for f in c.resolved]


# --- reading a report document ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedReport:
    as_of: date
    clients: dict[str, ClientRef]


def _fail(what: str, where: str) -> InvalidReport:
    return InvalidReport(f"{where}: {what}" if where else what)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise _fail("expected text", where)
    return value


def _choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if value not in choices:
        raise _fail(f"expected one of {', '.join(choices)}", where)
    return value


def parse_report(document: Any) -> ParsedReport:
    """Check the shape of a report document (only what `compare` reads) and read it."""
    if not isinstance(document, dict):
        raise _fail("expected a JSON object", "")
    as_of = document.get("as_of")
    if not isinstance(as_of, str) or not DATE_PATTERN.fullmatch(as_of):
        raise _fail("expected a date like 2026-11-28", "as_of")
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        raise _fail("expected a date like 2026-11-28", "as_of") from None
    clients = document.get("clients")
    if not isinstance(clients, list):
        raise _fail("expected a list", "clients")
    by_id: dict[str, ClientRef] = {}
    for index, item in enumerate(clients):
        where = f"clients[{index}]"
        if not isinstance(item, dict):
            raise _fail("expected an object", where)
        client_id = _text(item.get("id"), f"{where}.id")
        if not ID_PATTERN.fullmatch(client_id):
            raise _fail("not a client id", f"{where}.id")
        if client_id in by_id:
            raise _fail(f"duplicate id '{client_id}'", f"{where}.id")
        findings = item.get("findings")
        if not isinstance(findings, list):
            raise _fail("expected a list", f"{where}.findings")
        refs = []
        for number, finding in enumerate(findings):
            at = f"{where}.findings[{number}]"
            if not isinstance(finding, dict):
                raise _fail("expected an object", at)
            refs.append(FindingRef(
                code=_text(finding.get("code"), f"{at}.code"),
                severity=_choice(finding.get("severity"), SEVERITIES, f"{at}.severity"),
                message=_text(finding.get("message"), f"{at}.message"),
            ))
        by_id[client_id] = ClientRef(
            id=client_id,
            name=_text(item.get("name"), f"{where}.name"),
            status=_choice(item.get("status"), STATUSES, f"{where}.status"),
            findings=tuple(sorted(refs, key=_finding_order)),
        )
    return ParsedReport(day, by_id)


def _finding_order(finding: FindingRef) -> tuple[int, str]:
    return (_RULE_ORDER.get(finding.code, len(_RULE_ORDER)), finding.code)


# --- the comparison -----------------------------------------------------------------


def compare(before: Any, after: Any) -> Changes:
    """What changed from the report document `before` to the report document `after`."""
    try:
        old = parse_report(before)
    except InvalidReport as exc:
        raise InvalidReport(f"earlier report: {exc}") from None
    try:
        new = parse_report(after)
    except InvalidReport as exc:
        raise InvalidReport(f"later report: {exc}") from None
    both = sorted(old.clients.keys() & new.clients.keys())
    status_changes = []
    findings = []
    for client_id in both:
        then, now = old.clients[client_id], new.clients[client_id]
        if then.status != now.status:
            status_changes.append(StatusChange(client_id, now.name, then.status, now.status))
        codes_then = {f.code for f in then.findings}
        codes_now = {f.code for f in now.findings}
        opened = tuple(f for f in now.findings if f.code not in codes_then)
        resolved = tuple(f for f in then.findings if f.code not in codes_now)
        if opened or resolved:
            findings.append(FindingChanges(client_id, now.name, opened, resolved))
    return Changes(
        before=old.as_of,
        after=new.as_of,
        added=tuple(new.clients[i] for i in sorted(new.clients.keys() - old.clients.keys())),
        gone=tuple(old.clients[i] for i in sorted(old.clients.keys() - new.clients.keys())),
        status_changes=tuple(status_changes),
        findings=tuple(findings),
        counts=_counts(old, new),
    )


def _counts(old: ParsedReport, new: ParsedReport) -> tuple[CountRow, ...]:
    def statuses(report: ParsedReport, status: str) -> int:
        return sum(1 for c in report.clients.values() if c.status == status)

    def severities(report: ParsedReport, severity: str) -> int:
        return sum(1 for c in report.clients.values() for f in c.findings
                   if f.severity == severity)

    rows = [CountRow("clients", "clients", len(old.clients), len(new.clients))]
    rows += [CountRow("status", s, statuses(old, s), statuses(new, s)) for s in STATUSES]
    rows += [CountRow("severity", s, severities(old, s), severities(new, s))
             for s in SEVERITIES]
    return tuple(rows)


# --- outputs ------------------------------------------------------------------------


def client_link(client_id: str) -> Markup:
    """A link to the client's page in the site (ids are checked by `parse_report`)."""
    return html_link(client_id, client_href(client_id))


def render_changes(changes: Changes, workspace: Path | None) -> str:
    """The "Changes since" page, as Markdown, from the workspace's or built-in template."""
    env = environment(workspace)
    with template_problems(env):
        return env.get_template(TEMPLATE).render(changes=changes, client_link=client_link)


def _finding_json(finding: FindingRef) -> dict[str, str]:
    return {"code": finding.code, "severity": finding.severity, "message": finding.message}


def _client_json(client: ClientRef) -> dict[str, Any]:
    return {"id": client.id, "name": client.name, "status": client.status,
            "findings": [_finding_json(f) for f in client.findings]}


def changes_json(changes: Changes) -> dict[str, Any]:
    groups: dict[str, dict[str, Any]] = {"by_status": {}, "findings": {}}
    clients: dict[str, int] = {}
    for row in changes.counts:
        numbers = {"before": row.before, "after": row.after}
        if row.group == "clients":
            clients = numbers
        else:
            groups["by_status" if row.group == "status" else "findings"][row.key] = numbers
    return {
        "before": changes.before.isoformat(),
        "after": changes.after.isoformat(),
        "clients_added": [_client_json(c) for c in changes.added],
        "clients_gone": [_client_json(c) for c in changes.gone],
        "status_changes": [{"id": s.id, "name": s.name, "before": s.before, "after": s.after}
                           for s in changes.status_changes],
        "findings": [{"id": c.id, "name": c.name,
                      "opened": [_finding_json(f) for f in c.opened],
                      "resolved": [_finding_json(f) for f in c.resolved]}
                     for c in changes.findings],
        "counts": {"clients": clients, **groups},
    }


def _status(status: str) -> str:
    return STATUS_LABELS[status].lower()


def text_lines(changes: Changes) -> list[str]:
    """`caseload diff` for people: counts first, then what changed, client by client."""
    lines = [f"Changes from {changes.before} to {changes.after}", ""]
    width = max(len(row.label) for row in changes.counts)
    lines.append(f"{'Counts':<{width + 2}}  {changes.before!s:>10}  {changes.after!s:>10}  change")
    lines += [f"  {row.label:<{width}}  {row.before:>10}  {row.after:>10}  {row.change:>6}"
              for row in changes.counts]
    lines += ["", f"Clients added ({len(changes.added)})"]
    lines += [f"  + {c.id} {printable(c.name)}: {_status(c.status)}{_codes(c.findings)}"
              for c in changes.added] or ["  none"]
    lines += ["", f"Clients gone ({len(changes.gone)})"]
    lines += [f"  - {c.id} {printable(c.name)}: was {_status(c.status)}{_codes(c.findings)}"
              for c in changes.gone] or ["  none"]
    lines += ["", f"Status changes ({len(changes.status_changes)})"]
    lines += [f"  {s.id} {printable(s.name)}: {_status(s.before)} -> {_status(s.after)}"
              for s in changes.status_changes] or ["  none"]
    lines += ["", f"Findings opened ({len(changes.opened)}) and resolved "
              f"({len(changes.resolved)}), by client"]
    for client in changes.findings:
        lines.append(f"  {client.id} {printable(client.name)}")
        lines += [f"    + {f.code} ({f.severity}): {printable(f.message)}" for f in client.opened]
        lines += [f"    - {f.code} ({f.severity}), was: {printable(f.message)}"
                  for f in client.resolved]
    if not changes.findings:
        lines.append("  none")
    return lines


def _codes(findings: tuple[FindingRef, ...]) -> str:
    return f" [{', '.join(printable(f.code) for f in findings)}]" if findings else ""

"""The terminal report: what a clinician reads on a Monday morning."""

from __future__ import annotations

from collections.abc import Iterator

import click

from generator.report.report import Report
from generator.rules.engine import Evaluation

SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}
STATUS_STYLE = {
    "active": "green",
    "at_risk": "yellow",
    "inactive": "magenta",
    "discharge_planned": "blue",
    "discharged": "bright_black",
}
SEVERITY_MARK = {"error": "✗", "warning": "!", "info": "·"}


def render_text(report: Report) -> Iterator[str]:
    """Lines of text, styled with ANSI colours (click strips them off a terminal)."""
    scope = f" ({report.scope.title})" if report.scope.title else ""
    yield click.style(f"{report.caseload.practice_name}: caseload on {report.as_of}{scope}",
                      bold=True)
    yield ""
    yield from _actions(report)
    yield from _clients(report)
    yield _totals(report)


def _actions(report: Report) -> Iterator[str]:
    groups = {name: items for name, items in report.actions().items() if items}
    if not groups:
        yield "Nothing to do: no findings."
        yield ""
        return
    yield click.style("What to do", bold=True, underline=True)
    for name, items in groups.items():
        yield click.style(f"{name.capitalize()} ({len(items)})", bold=True)
        for item in items:
            finding, client = item.finding, item.evaluation.client
            mark = click.style(SEVERITY_MARK[finding.severity],
                               fg=SEVERITY_STYLE[finding.severity])
            code = click.style(finding.code, fg=SEVERITY_STYLE[finding.severity])
            yield f"  {mark} {client.id} {client.name}: {code}: {finding.message}"
        yield ""


def _clients(report: Report) -> Iterator[str]:
    if not report.evaluations:
        yield "No clients on the caseload on this date."
        yield ""
        return
    yield click.style("Clients", bold=True, underline=True)
    width_id = max(len(e.client.id) for e in report.evaluations)
    width_name = min(max(len(e.client.name) for e in report.evaluations), 28)
    for evaluation in report.evaluations:
        yield "  " + _client_line(evaluation, width_id, width_name)
    yield ""


def _client_line(evaluation: Evaluation, width_id: int, width_name: int) -> str:
    client = evaluation.client
    name = client.name if len(client.name) <= width_name else client.name[: width_name - 1] + "…"
    status = click.style(f"{evaluation.status:<17}", fg=STATUS_STYLE[evaluation.status])
    last = evaluation.last_session or "none"
    nxt = evaluation.next_appointment or "none"
    counts = ", ".join(
        _count(sum(1 for f in evaluation.findings if f.severity == s), s)
        for s in ("error", "warning", "info")
        if any(f.severity == s for f in evaluation.findings)
    )
    return (f"{client.id:<{width_id}}  {name:<{width_name}}  {status} last {last}  "
            f"next {nxt}  plan due {evaluation.plan_due}" + (f"  [{counts}]" if counts else ""))


def _totals(report: Report) -> str:
    statuses = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in report.status_counts.items())
    severities = ", ".join(_count(n, s) for s, n in report.severity_counts.items())
    total = len(report.evaluations)
    clients = f"{total} client{'s' if total != 1 else ''}"
    return f"{clients}" + (f" ({statuses})" if statuses else "") + f"; findings: {severities}"


def _count(number: int, severity: str) -> str:
    plural = "" if number == 1 or severity == "info" else "s"
    return f"{number} {severity}{plural}"

"""`caseload calendar`: the caseload's due dates as an iCalendar (RFC 5545) file.

One all-day event per thing to do, for Google Calendar, Outlook and Apple
Calendar to import. Which events a client has, their dates and whether they are
overdue come from the evaluation (`Evaluation.deadlines`); what each looks like
is declared with the rule whose findings it lists (`CalendarEvent` in
generator/rules/engine.py). Today that gives:

* ``plan-due``: the treatment plan due date of every client not discharged;
* ``discharge-summary-due``: the summary deadline of a discharged client whose
  summary is blank;
* ``planned-discharge``: the planned day of a planned discharge;
* ``overdue-<code>``: the findings that are late already: past sessions still
  scheduled, and the discharge record's errors, e.g. ``overdue-session-unresolved``;
* ``caseload-review``: a monthly review, recurring from the as-of date.

An item that is overdue is listed on the as-of date, not on its (past) due
date, so it shows up where the user looks today; a plan, summary or planned
discharge that is overdue stays the *same* event (same UID), moved to the
as-of date and titled as overdue.

Stable identity. A UID names the practice, the client and the kind of item,
never a date: the plan-due event of client C-1 is one event whose date moves
as plans are updated, so importing a newer file updates it instead of adding a
copy. DTSTAMP is midnight UTC of the as-of date and SEQUENCE counts days up to
it, so a newer file is a newer revision of each event, and the same input and
date give the same bytes (nothing here reads the clock).

Calendar apps never delete an event on import: an item that is resolved (a
plan updated long ahead, a summary written) simply stops being in the file,
and its last copy stays in the calendar until deleted there.

Privacy: descriptions hold only what caseload itself writes (dates, counts,
policy numbers, finding messages), never notes, goals or summaries; with
``redact`` the client is named by id only.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from icalendar import Calendar, Event

from generator.report.report import Report
from generator.rules.engine import (
    DISCHARGE_SUMMARY_DUE,
    PLAN_DUE,
    PLANNED_DISCHARGE,
    Evaluation,
    Finding,
)

PRODID = "-//caseload//Caseload report//EN"
_SEQUENCE_EPOCH = date(2000, 1, 1)

# Events of one day: the dated items first, then everything late already (by kind).
_KIND_ORDER = (PLAN_DUE.kind, PLANNED_DISCHARGE.kind, DISCHARGE_SUMMARY_DUE.kind)


@dataclass(frozen=True, slots=True)
class Item:
    """One calendar event, before it becomes iCalendar text."""

    kind: str  # plan-due, planned-discharge, discharge-summary-due, overdue-<code>, ...
    client_id: str | None
    day: date
    title: str
    description: str
    uid: str


def calendar_items(report: Report, *, redact: bool = False) -> list[Item]:
    """Every event of the calendar, in a stable order (by day, kind, client)."""
    practice = _slug(report.caseload.practice_name)
    items: list[Item] = []
    for evaluation in report.evaluations:
        items.extend(_client_items(report, evaluation, practice, redact))
    items.sort(key=lambda i: (i.day, _kind_rank(i.kind), i.kind, (i.client_id or "").lower()))
    items.append(_review_item(report, practice))
    return items


def calendar_bytes(report: Report, items: list[Item]) -> bytes:
    """The iCalendar file (CRLF line ends, folded lines), byte-identical for the same input."""
    stamp = datetime(report.as_of.year, report.as_of.month, report.as_of.day, tzinfo=UTC)
    sequence = max(0, (report.as_of - _SEQUENCE_EPOCH).days)
    name = _calendar_name(report)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    for item in items:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("dtstart", item.day)
        if item.day < date.max:  # absent DTEND: one day (RFC 5545), at the calendar's end
            event.add("dtend", item.day + timedelta(days=1))
        event.add("summary", item.title)
        event.add("description", item.description)
        event.add("transp", "TRANSPARENT")  # a reminder, not busy time
        event.add("class", "PRIVATE")
        if item.kind == "caseload-review":
            event.add("rrule", monthly_rule(item.day))
        cal.add_component(event)
    return cal.to_ical()


def monthly_rule(start: date) -> dict[str, object]:
    """Every month on `start`'s day, or on the month's last day when it is shorter.

    A plain FREQ=MONTHLY from the 31st would skip every shorter month (RFC 5545
    drops dates that do not exist), so days 29-31 take the latest of 28..day.
    """
    if start.day <= 28:
        return {"freq": "monthly"}
    return {"freq": "monthly", "bymonthday": list(range(28, start.day + 1)), "bysetpos": -1}


def write_calendar(data: bytes, target: Path) -> None:
    """Write `data` to `target` atomically: a private temp file beside it, then rename."""
    target = Path(target)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp made it owner-only (0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise


# --- the items ------------------------------------------------------------------------


def _client_items(report: Report, e: Evaluation, practice: str, redact: bool) -> list[Item]:
    client = e.client
    who = client.id if redact else f"{client.id} {client.name}"
    header = _header(report, e, redact)
    items = []
    for deadline in e.deadlines:
        event = deadline.event
        title = event.overdue_title if deadline.overdue and event.overdue_title else event.title
        lines = [event.detail.format(due=deadline.due, e=e)] if event.detail else []
        body = [*header, *lines, *(_finding_line(f) for f in deadline.findings), _footer(report)]
        items.append(Item(
            kind=event.kind, client_id=client.id, day=deadline.day,
            title=f"{who}: {title.format(due=deadline.due, e=e)}", description="\n".join(body),
            uid=_uid(event.kind, client.id, practice),
        ))
    return items


def _review_item(report: Report, practice: str) -> Item:
    scope = report.scope.title
    counts = report.severity_counts
    lines = [
        f"Monthly caseload review for {report.caseload.practice_name}"
        + (f" ({scope})" if scope else "") + ".",
        "Run `caseload check`, rebuild the site with `caseload build` and work through "
        "the action list; then write a new calendar with `caseload calendar` and import "
        "it again to move the due dates.",
        f"On {report.as_of}: {len(report.evaluations)} clients; {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} notes.",
    ]
    scope_key = ""
    if report.scope.payer:
        scope_key += f"-payer-{report.scope.payer.lower()}"
    if report.scope.clinician:
        scope_key += f"-clinician-{report.scope.clinician.lower()}"
    return Item(
        kind="caseload-review", client_id=None, day=report.as_of,
        title="Caseload review" + (f" ({scope})" if scope else ""),
        description="\n".join(lines),
        uid=f"caseload-review{scope_key}@{practice}.caseload",
    )


def _header(report: Report, e: Evaluation, redact: bool) -> list[str]:
    client = e.client
    caseload = report.caseload
    lines = [f"Client: {client.id}" if redact else f"Client: {client.id} {client.name}"]
    if client.clinician:
        name = (caseload.clinicians or {}).get(client.clinician, client.clinician)
        lines.append(f"Clinician: {name}")
    if client.payer:
        payer = caseload.payers.get(client.payer)
        lines.append(f"Payer: {payer.name if payer else client.payer}")
    lines.append(f"Status on {report.as_of}: {e.status.replace('_', ' ')}")
    return lines


def _finding_line(finding: Finding) -> str:
    return f"{finding.code} ({finding.severity}): {finding.message}"


def _footer(report: Report) -> str:
    return f"From the caseload report of {report.caseload.practice_name} as of {report.as_of}."


def _calendar_name(report: Report) -> str:
    scope = report.scope.title
    name = f"{report.caseload.practice_name}: caseload"
    return f"{name} ({scope})" if scope else name


def _uid(kind: str, client_id: str, practice: str) -> str:
    # Ids are unique ignoring case and match [A-Za-z0-9_-]: safe as they are.
    return f"{kind}.{client_id.lower()}@{practice}.caseload"


def _slug(name: str) -> str:
    """The practice's name as a UID domain part: 'Édition Practice' -> 'edition-practice'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48].strip("-")
    return slug or "practice-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def _kind_rank(kind: str) -> int:
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)

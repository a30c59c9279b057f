"""An audit request: a payer's request for the records of some members over a period.

The request as read (`reading/audit.py`), and the business-day arithmetic its
deadline is counted in: plain data and pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

# The deadline when a request gives neither `due` nor `business_days`.
DEFAULT_BUSINESS_DAYS = 10
AUDITS_DIR = "audits"


@dataclass(frozen=True, slots=True)
class Member:
    """One entry of `members:`, as written (a client id or a payer's member number)."""

    text: str
    line: int  # where it is written, 1-based
    index: int  # its place in the list, from 0


@dataclass(frozen=True, slots=True)
class AuditRequest:
    path: str  # as shown in messages: relative to the workspace when inside it
    stem: str  # the file's name without .yaml: the packet's folder under audits/
    requested_on: date
    members: tuple[Member, ...]
    payer: str | None = None
    due_given: date | None = None  # `due` as written
    business_days: int | None = None  # as written; None: not given
    holidays: frozenset[date] = frozenset()
    period_from: date | None = None
    period_to: date | None = None
    # The keys present in the file with their schema-typed values (dates as ISO text,
    # members as text), in the file's order: what `audit --format json` shows as `request`.
    as_written: dict[str, Any] = field(default_factory=dict)

    @property
    def due(self) -> date:
        """`due` when given, else `business_days` (default 10) business days after
        `requested_on`."""
        if self.due_given is not None:
            return self.due_given
        count = DEFAULT_BUSINESS_DAYS if self.business_days is None else self.business_days
        return add_business_days(self.requested_on, count, self.holidays)

    def in_period(self, day: date) -> bool:
        """`from ≤ day ≤ to`, a missing bound being open."""
        return (self.period_from is None or self.period_from <= day) and \
            (self.period_to is None or day <= self.period_to)

    @property
    def period_text(self) -> str:
        if self.period_from is None and self.period_to is None:
            return "all dates of service"
        start = str(self.period_from) if self.period_from else "the first session"
        end = str(self.period_to) if self.period_to else "the report date"
        return f"{start} to {end}"


# --- business days: Monday to Friday, except holidays ----------------------------------


def is_business_day(day: date, holidays: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in frozenset(holidays)


def add_business_days(start: date, count: int, holidays: Iterable[date] = ()) -> date:
    """The `count`-th business day after `start` (`start` itself for 0)."""
    off = frozenset(holidays)
    day = start
    left = count
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day, off):
            left -= 1
    return day


def business_days_between(after: date, through: date, holidays: Iterable[date] = ()) -> int:
    """The number of business days d with `after < d ≤ through` (0 when none)."""
    if through <= after:
        return 0
    off = frozenset(holidays)
    span = (through - after).days
    weeks, rest = divmod(span, 7)
    count = weeks * 5
    day = after + timedelta(days=weeks * 7)
    for _ in range(rest):
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    count -= sum(1 for h in off if after < h <= through and h.weekday() < 5)
    return count


def business_days_left(as_of: date, due: date, holidays: Iterable[date] = ()) -> int:
    """Business days d with `as_of < d ≤ due`; once `as_of` is after `due`, minus the
    business days d with `due < d ≤ as_of`."""
    if as_of > due:
        return -business_days_between(due, as_of, holidays)
    return business_days_between(as_of, due, holidays)

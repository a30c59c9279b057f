"""The rule engine: what a client's record means on a given day.

Pure functions of (client, effective policy, as-of date): no clock, no I/O.
Every comparison below mirrors one line of the rules table in the README, and
`>` versus `>=` is deliberate: an auditor counts days.

The `Evaluation` is the one place where dates and statuses get their meaning:
the check text and JSON, the pages and the calendar read it and decide nothing
of their own, so they cannot disagree with the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple

from generator.model.policy import EffectivePolicy
from generator.model.records import (
    CANCELLED_STATUSES,
    SESSION_STATUSES,
    Client,
    Discharge,
    Session,
    TreatmentPlan,
)
from generator.wording import plural

Severity = Literal["error", "warning", "info"]
# What a session is to the rules on the as-of date; None: a cancelled appointment
# after it (neither recorded nor upcoming).
SessionState = Literal["recorded", "upcoming", "unresolved"]
# A tracked progress note on the as-of date: `due` is not signed yet, its deadline
# not past; `missing` is not signed and past it.
NoteState = Literal["signed", "late", "missing", "due", "not_tracked"]
Status = Literal["discharged", "discharge_planned", "inactive", "at_risk", "active"]
STATUSES: tuple[Status, ...] = ("discharged", "discharge_planned", "inactive", "at_risk", "active")
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


ACTION_GROUPS = (
    "reach out",
    "plan discharges",
    "update treatment plans",
    "complete discharge records",
    "record session outcomes",
    "complete documentation",
)


# --- the registry: every rule declared once, with `@rule` on its check function -------


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """How findings show in `caseload calendar`: one all-day event per client and kind.

    The kind names the event in its UID, never a date, so that a newer calendar file
    moves the event rather than adding another. The texts are `str.format` templates
    over `due` (the event's due date) and `e` (the client's Evaluation). A standing
    event (one with `day`) is in the calendar whenever `day` gives a date, with or
    without a finding; any other is there while a finding names it. Findings of rules
    whose events are of one kind are listed in the one event of that kind.
    """

    kind: str
    title: str
    overdue_title: str | None = None  # once its due date has passed; default: `title`
    detail: str | None = None  # the description's first line
    day: Callable[[Evaluation], date | None] | None = None


class Raised(NamedTuple):
    """What a check function returns when its rule applies to the client."""

    message: str
    due: date | None = None  # by when it must be (or had to be) done, when a date applies


Check = Callable[["_Facts"], Raised | None]


@dataclass(frozen=True, slots=True)
class Rule:
    """One check: what it is called, how it is shown, and the function that decides it."""

    code: str
    severity: Severity
    action: str  # the work-queue group in the action list, one of ACTION_GROUPS
    policy_keys: tuple[str, ...]  # the policy numbers it applies, named with each finding
    calendar: CalendarEvent | None  # the calendar event its findings are listed in
    when: str  # when it is raised, in the README's words
    example: str  # an example message, for the README
    check: Check


_DECLARED: list[Rule] = []


def rule(code: str, severity: Severity, action: str, *, policy: tuple[str, ...] = (),
         calendar: CalendarEvent | None = None, when: str, example: str
         ) -> Callable[[Check], Check]:
    """Declare the rule that the decorated function checks. Rules are listed, and
    findings ordered, in the order they are declared."""
    def declare(check: Check) -> Check:
        _DECLARED.append(Rule(code, severity, action, policy, calendar, when, example, check))
        return check
    return declare


@dataclass(frozen=True, slots=True)
class Finding:
    rule: Rule
    message: str
    due: date | None = None  # by when it must be (or had to be) done, when a date applies
    overdue: bool = False  # `due` is before the as-of date

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def severity(self) -> Severity:
        return self.rule.severity


@dataclass(frozen=True, slots=True)
class Deadline:
    """One of a client's calendar events: what is due, by when, and the findings on it."""

    event: CalendarEvent
    due: date | None  # None: an undated finding, late already
    day: date  # the day it is listed on: `due`, or the as-of date once overdue
    overdue: bool
    findings: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class SessionEntry:
    """One session of a client's history, with what it is to the rules."""

    session: Session
    state: SessionState | None
    no_show: bool  # its status counts as a no-show under the client's policy
    note: NoteCheck | None  # None: no note is checked (notes not tracked, or not attended)


@dataclass(frozen=True, slots=True)
class NoteCheck:
    """A recorded, attended session's progress note, as the note rules read it."""

    state: NoteState
    due: date | None  # the last day it counts as on time (None while not tracked)
    signed: date | bool  # the day signed, True (a day not known) or False: not yet

    @property
    def signed_on(self) -> date | None:
        """The day it was signed, when that day is known."""
        return None if isinstance(self.signed, bool) else self.signed


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """One treatment plan of a client's history, and whether the rules read it."""

    plan: TreatmentPlan
    counted: bool  # dated on or before the as-of date (later plans are ignored)
    # What it lacks on the as-of date, while the client's policy requires signatures:
    lacking: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A client's standing on the as-of date: everything an output shows about it.

    Session lists are in the order the sessions are listed (`history` sorts them).
    """

    client: Client
    policy: EffectivePolicy
    as_of: date
    status: Status
    findings: tuple[Finding, ...]
    last_session: date | None
    next_appointment: date | None
    plan_date: date | None
    plan_due: date
    discharged: bool
    discharge_planned_day: date | None
    no_shows_in_window: int
    window_start: date  # first day of the no-show window that ends on the as-of date
    recorded: tuple[Session, ...]  # on or before the as-of date, with an outcome
    upcoming: tuple[Session, ...]  # the appointments ahead (one on the as-of date included)
    unresolved: tuple[Session, ...]  # before the as-of date and still `scheduled`

    @property
    def discharge_date(self) -> date | None:
        return self.client.discharge.date if self.discharged and self.client.discharge else None

    @property
    def days_since_last_session(self) -> int | None:
        return days(self.last_session, self.as_of) if self.last_session else None

    @property
    def plan_age_days(self) -> int | None:
        return days(self.plan_date, self.as_of) if self.plan_date else None

    @property
    def plan_overdue(self) -> bool:
        """The plan (or, with none, the first plan) was due before the as-of date."""
        return self.plan_due < self.as_of

    @property
    def has_discharge_summary(self) -> bool:
        """A discharge summary is written: a blank one counts as none."""
        return _has_summary(self.client.discharge)

    def history(self, *, latest_first: bool = False) -> tuple[SessionEntry, ...]:
        """Every session in date order (or latest day first), sessions on one day in the
        order they are listed, each with its state. Made on demand: `check` needs none."""
        # The states are those of the lists the rules read, never worked out again.
        state: dict[int, SessionState] = {id(s): "recorded" for s in self.recorded}
        state.update((id(s), "upcoming") for s in self.upcoming)
        state.update((id(s), "unresolved") for s in self.unresolved)
        no_show = no_show_statuses(self.policy)
        recorded = {id(s) for s in self.recorded}
        return tuple(
            SessionEntry(session, state.get(id(session)), session.status in no_show,
                         note_check(session, self.policy, self.as_of)
                         if id(session) in recorded and session.status == "attended"
                         and self.tracks_notes else None)
            for session in sorted(self.client.sessions, key=_session_date, reverse=latest_first)
        )

    @property
    def tracks_notes(self) -> bool:
        """The client's policy checks progress notes (`note_within_days` is set)."""
        return self.policy["documentation.note_within_days"] is not None

    @property
    def requires_signatures(self) -> bool:
        return bool(self.policy["documentation.plan_signatures_required"])

    def plans(self, *, latest_first: bool = False) -> tuple[PlanEntry, ...]:
        """Every treatment plan in date order (or latest first), plans of one day in the
        order they are listed."""
        required = self.requires_signatures
        return tuple(
            PlanEntry(plan, plan.date <= self.as_of,
                      missing_signatures(plan, self.as_of) if required else ())
            for plan in sorted(self.client.treatment_plans, key=_plan_date,
                               reverse=latest_first))

    @property
    def window_counts(self) -> dict[str, int]:
        """Recorded sessions inside the no-show window, by outcome."""
        counts = dict.fromkeys(_OUTCOMES, 0)
        for session in self.recorded:
            if session.date >= self.window_start:
                counts[session.status] += 1
        return counts

    @property
    def deadlines(self) -> tuple[Deadline, ...]:
        """The client's calendar events: each standing event that applies, then one for
        each other event its findings are listed in (see CalendarEvent)."""
        listed: dict[str, list[Finding]] = {}
        for finding in self.findings:
            if finding.rule.calendar is not None:
                listed.setdefault(finding.rule.calendar.kind, []).append(finding)
        deadlines = []
        for event in STANDING_EVENTS:
            due = event.day(self) if event.day else None
            if due is not None:
                deadlines.append(self._deadline(event, due, listed.pop(event.kind, [])))
        for finding in self.findings:
            named = finding.rule.calendar
            if named is not None and named.kind in listed:
                deadlines.append(self._deadline(named, finding.due, listed.pop(named.kind)))
        return tuple(deadlines)

    def _deadline(self, event: CalendarEvent, due: date | None, findings: list[Finding]
                  ) -> Deadline:
        if due is None or due < self.as_of:  # late already: listed on the as-of date
            return Deadline(event, due, self.as_of, True, tuple(findings))
        return Deadline(event, due, due, False, tuple(findings))


def days(earlier: date, later: date) -> int:
    return (later - earlier).days


def add_days(day: date, count: int) -> date:
    """`day + count` days, held at the calendar's end rather than overflowing."""
    try:
        return day + timedelta(days=count)
    except OverflowError:
        return date.max


def on_caseload(client: Client, as_of: date) -> bool:
    return client.intake_date <= as_of


def no_show_statuses(policy: EffectivePolicy) -> frozenset[str]:
    """The statuses that count as a no-show under `policy`."""
    if policy["attendance.late_cancel_counts_as_no_show"]:
        return _NO_SHOW_OR_LATE_CANCEL
    return _NO_SHOW


_NO_SHOW = frozenset({"no_show"})
_NO_SHOW_OR_LATE_CANCEL = frozenset({"no_show", "late_cancel"})
_OUTCOMES = tuple(status for status in SESSION_STATUSES if status != "scheduled")


def evaluate(client: Client, policy: EffectivePolicy, as_of: date) -> Evaluation:
    """Status and findings of one client on `as_of` (the client is on the caseload)."""
    facts = _Facts.of(client, policy, as_of)
    found = []
    for declared in RULES:
        raised = declared.check(facts)
        if raised is not None:
            due = raised.due
            found.append(Finding(declared, raised.message, due, due is not None and due < as_of))
    findings = tuple(found)
    codes = {f.rule.code for f in findings}
    return Evaluation(
        client=client, policy=policy, as_of=as_of,
        status=_status(facts, codes), findings=findings,
        last_session=facts.last_session, next_appointment=facts.next_appointment,
        plan_date=facts.plan_date, plan_due=facts.plan_due,
        discharged=facts.discharged, discharge_planned_day=facts.planned_day,
        no_shows_in_window=facts.no_shows_in_window, window_start=facts.window_start,
        recorded=facts.recorded, upcoming=facts.upcoming, unresolved=facts.unresolved,
    )


def _status(facts: _Facts, codes: set[str]) -> Status:
    if facts.discharged:
        return "discharged"
    if facts.planned_day is not None:
        return "discharge_planned"
    if "INACTIVE" in codes:
        return "inactive"
    if "NO-SHOW-PATTERN" in codes:
        return "at_risk"
    return "active"


# --- a clinician's load against their capacity -----------------------------------------


@dataclass(frozen=True, slots=True)
class ClinicianLoad:
    """A clinician's clients on the as-of date against the number they can carry.

    `carried` are the clients on the caseload and not discharged (a planned
    discharge is not one yet); `discharge_planned` and `inactive` are those of
    them whose discharge would free a spot first, then next. Open spots are
    capacity minus carried: below zero, the clinician is over capacity.
    """

    capacity: int | None  # None: practice.yaml gives none
    carried: tuple[Evaluation, ...]
    discharge_planned: tuple[Evaluation, ...]
    inactive: tuple[Evaluation, ...]

    @property
    def open_spots(self) -> int | None:
        return None if self.capacity is None else self.capacity - len(self.carried)

    @property
    def spots_after_planned(self) -> int | None:
        """Open spots once every planned discharge is done."""
        spots = self.open_spots
        return None if spots is None else spots + len(self.discharge_planned)

    @property
    def spots_after_inactive(self) -> int | None:
        """Open spots once the inactive clients are discharged too."""
        spots = self.spots_after_planned
        return None if spots is None else spots + len(self.inactive)

    @property
    def over_capacity(self) -> bool:
        spots = self.open_spots
        return spots is not None and spots < 0


def clinician_load(evaluations: Iterable[Evaluation], capacity: int | None) -> ClinicianLoad:
    """The load of the clinician whose clients' evaluations these are (in their order)."""
    carried = tuple(e for e in evaluations if not e.discharged)
    return ClinicianLoad(
        capacity=capacity, carried=carried,
        discharge_planned=tuple(e for e in carried if e.status == "discharge_planned"),
        inactive=tuple(e for e in carried if e.status == "inactive"),
    )


@dataclass(frozen=True, slots=True)
class _Facts:
    """The derived quantities every rule reads, computed once per client."""

    client: Client
    policy: EffectivePolicy
    as_of: date
    recorded: tuple[Session, ...]
    upcoming: tuple[Session, ...]
    unresolved: tuple[Session, ...]
    last_session: date | None
    next_appointment: date | None
    plan_date: date | None
    plan_due: date
    discharged: bool
    planned_day: date | None
    window_start: date
    no_shows_in_window: int
    no_shows: tuple[Session, ...]  # recorded no-shows (as the policy counts them), in file order
    last_kept: date | None  # the last day of a recorded session neither cancelled nor a no-show
    note_checks: tuple[tuple[Session, NoteCheck], ...]  # what the note rules read

    @classmethod
    def of(cls, client: Client, policy: EffectivePolicy, as_of: date) -> _Facts:
        window_start = _window_start(as_of, policy["attendance.no_show_window_days"])
        sorted_sessions = _sort_sessions(client.sessions, as_of, no_show_statuses(policy),
                                         window_start)
        plan, plan_due = plan_due_on(client, policy, as_of)
        plan_date = plan.date if plan is not None else None
        discharge = client.discharge
        discharged = bool(discharge and discharge.date and discharge.date <= as_of)
        planned_day = None
        if discharge and not discharged:
            planned_day = discharge.planned_on or discharge.date
        upcoming = sorted_sessions.upcoming
        return cls(
            client=client, policy=policy, as_of=as_of,
            recorded=sorted_sessions.recorded, upcoming=upcoming,
            unresolved=sorted_sessions.unresolved,
            last_session=sorted_sessions.last_attended,
            next_appointment=min((s.date for s in upcoming), default=None),
            plan_date=plan_date, plan_due=plan_due,
            discharged=discharged, planned_day=planned_day, window_start=window_start,
            no_shows_in_window=sorted_sessions.no_shows_in_window,
            no_shows=sorted_sessions.no_shows, last_kept=sorted_sessions.last_kept,
            note_checks=_tracked_notes(sorted_sessions.recorded, policy, as_of),
        )

    @property
    def open_case(self) -> bool:
        """Neither discharged nor heading for discharge."""
        return not self.discharged and self.planned_day is None

    @property
    def is_inactive(self) -> bool:
        if not self.open_case or self.upcoming:
            return False
        since = self.last_session or self.client.intake_date
        return days(since, self.as_of) > self.policy["attendance.inactive_after_days"]


def plan_due_on(client: Client, policy: EffectivePolicy, day: date
                ) -> tuple[TreatmentPlan | None, date]:
    """The treatment plan in force on `day` (`plan_in_force`), and the day the next one
    is due: the plan's date + `review_interval_days`, or, with no plan, intake +
    `initial_within_days`."""
    plan = plan_in_force(client.treatment_plans, day)
    if plan is not None:
        return plan, add_days(plan.date, policy["treatment_plan.review_interval_days"])
    return None, add_days(client.intake_date, policy["treatment_plan.initial_within_days"])


def _window_start(as_of: date, window: int) -> date:
    """The first day of a `window` ending on `as_of` (day 0): recorded sessions are
    never after `as_of`, so "less than `window` days ago" is "on or after this day"."""
    try:
        return as_of - timedelta(days=window - 1)
    except OverflowError:
        return date.min  # a window longer than the calendar: every day is in it


class _SortedSessions(NamedTuple):
    recorded: tuple[Session, ...]
    upcoming: tuple[Session, ...]
    unresolved: tuple[Session, ...]
    no_shows: tuple[Session, ...]
    no_shows_in_window: int
    last_attended: date | None
    last_kept: date | None


def _sort_sessions(sessions: tuple[Session, ...], as_of: date, no_show: frozenset[str],
                   window_start: date) -> _SortedSessions:
    """Recorded, upcoming and unresolved sessions, each in file order, and what the
    rules count among the recorded ones, in one pass (a large caseload's sessions
    are most of its rules' time).

    Recorded: on or before the as-of date and not `scheduled`. Upcoming: after it
    and not cancelled (by either side), or on it and `scheduled`. Unresolved: before
    it and still `scheduled`. Of the recorded: the no-shows (statuses in `no_show`),
    how many of them fall on or after `window_start`, the last day of an attended
    session, and the last day of one neither cancelled nor a no-show ("kept").
    """
    recorded: list[Session] = []
    upcoming: list[Session] = []
    unresolved: list[Session] = []
    no_shows: list[Session] = []
    in_window = 0
    last_attended: date | None = None
    last_kept: date | None = None
    for session in sessions:
        day, status = session.date, session.status
        if day > as_of:
            if status not in CANCELLED_STATUSES:
                upcoming.append(session)
        elif status != "scheduled":
            recorded.append(session)
            if status in no_show:
                no_shows.append(session)
                if day >= window_start:
                    in_window += 1
            elif status not in CANCELLED_STATUSES:
                if last_kept is None or day > last_kept:
                    last_kept = day
                if status == "attended" and (last_attended is None or day > last_attended):
                    last_attended = day
        elif day == as_of:
            upcoming.append(session)
        else:
            unresolved.append(session)
    return _SortedSessions(tuple(recorded), tuple(upcoming), tuple(unresolved), tuple(no_shows),
                           in_window, last_attended, last_kept)


# --- the rules, in the order of the rules table -------------------------------------
# Adding a rule: declare it here with `@rule` above its check function (in the place
# its findings should be listed), test it, and regenerate the README's findings table
# (python scripts/readme_tables.py). Every output picks it up from RULES.

# The caseload's dated items in the calendar, which findings about them are listed in.
PLAN_DUE = CalendarEvent(
    "plan-due", "treatment plan due", "treatment plan overdue since {due}",
    "Treatment plan last updated {e.plan_date}; update due {due}.",
    day=lambda e: e.plan_due if not e.discharged and e.plan_date is not None else None,
)
FIRST_PLAN_DUE = CalendarEvent(
    "plan-due", "first treatment plan due", "first treatment plan overdue since {due}",
    "No treatment plan yet (intake {e.client.intake_date}); first plan due {due}.",
    day=lambda e: e.plan_due if not e.discharged and e.plan_date is None else None,
)
PLANNED_DISCHARGE = CalendarEvent(
    "planned-discharge", "planned discharge", "discharge planned for {due} not recorded",
    "Discharge planned for {due}.",
    day=lambda e: e.discharge_planned_day,
)
DISCHARGE_SUMMARY_DUE = CalendarEvent(
    "discharge-summary-due", "discharge summary due", "discharge summary overdue since {due}",
    "Discharged {e.discharge_date}; discharge summary due {due}.",
)


@rule("PLAN-MISSING", "error", "update treatment plans",
      policy=("treatment_plan.initial_within_days",), calendar=FIRST_PLAN_DUE,
      when="not discharged, no plan, and the report date is after intake + "
           "`initial_within_days`",
      example="no treatment plan since intake on 2026-09-23, 66 days ago; Summit Health Plan "
              "requires the first plan within 14 days; overdue since 2026-10-07")
def _plan_missing(f: _Facts) -> Raised | None:
    if f.discharged or f.plan_date is not None or not f.as_of > f.plan_due:
        return None
    key = "treatment_plan.initial_within_days"
    return Raised(
        f"no treatment plan since intake on {f.client.intake_date}, "
        f"{plural(days(f.client.intake_date, f.as_of), 'day')} ago; "
        f"{f.policy.says_who(key)} requires the first plan within "
        f"{plural(f.policy[key], 'day')}; overdue since {f.plan_due}",
        f.plan_due,
    )


@rule("PLAN-OVERDUE", "error", "update treatment plans",
      policy=("treatment_plan.review_interval_days",), calendar=PLAN_DUE,
      when="not discharged, and the report date is after the latest plan + "
           "`review_interval_days`",
      example="treatment plan last updated 2026-04-02, 240 days ago; Northwind Commercial PPO "
              "requires an update every 180 days; overdue since 2026-09-29")
def _plan_overdue(f: _Facts) -> Raised | None:
    if f.discharged or f.plan_date is None or not f.as_of > f.plan_due:
        return None
    key = "treatment_plan.review_interval_days"
    return Raised(
        f"treatment plan last updated {f.plan_date}, "
        f"{plural(days(f.plan_date, f.as_of), 'day')} ago; "
        f"{f.policy.says_who(key)} requires an update every {plural(f.policy[key], 'day')}; "
        f"overdue since {f.plan_due}",
        f.plan_due,
    )


# Listed in the client's plan-due event, whether that is the first plan's or an update's.
@rule("PLAN-DUE-SOON", "warning", "update treatment plans",
      policy=("treatment_plan.due_soon_days",), calendar=PLAN_DUE,
      when="not discharged, and the due date is between the report date and `due_soon_days` "
           "after it, both ends included",
      example="treatment plan update due 2026-12-10 (in 12 days); last updated 2026-09-11; …")
def _plan_due_soon(f: _Facts) -> Raised | None:
    if f.discharged:
        return None
    left = days(f.as_of, f.plan_due)
    if not 0 <= left <= f.policy["treatment_plan.due_soon_days"]:
        return None
    when = "today" if left == 0 else f"in {plural(left, 'day')}"
    if f.plan_date is None:
        key = "treatment_plan.initial_within_days"
        what = (f"first treatment plan due {f.plan_due} ({when}); {f.policy.says_who(key)} "
                f"requires it within {plural(f.policy[key], 'day')} of intake")
    else:
        what = (f"treatment plan update due {f.plan_due} ({when}); last updated {f.plan_date}; "
                f"{f.policy.says_who('treatment_plan.review_interval_days')} requires an update "
                f"every {plural(f.policy['treatment_plan.review_interval_days'], 'day')}")
    return Raised(what, f.plan_due)


@rule("INACTIVE", "warning", "reach out", policy=("attendance.inactive_after_days",),
      when="open, nothing upcoming, and more than `inactive_after_days` since the last session "
           "(or intake, with none)",
      example="last attended session 2026-08-26, 94 days ago, and nothing scheduled; … counts a "
              "client inactive after 60 days")
def _inactive(f: _Facts) -> Raised | None:
    if not f.is_inactive:
        return None
    limit = f.policy["attendance.inactive_after_days"]
    if f.last_session:
        since = (f"last attended session {f.last_session}, "
                 f"{plural(days(f.last_session, f.as_of), 'day')} ago")
    else:
        since = (f"no attended session since intake on {f.client.intake_date}, "
                 f"{plural(days(f.client.intake_date, f.as_of), 'day')} ago")
    return Raised(
        f"{since}, and nothing scheduled; {f.policy.says_who('attendance.inactive_after_days')} "
        f"counts a client inactive after {plural(limit, 'day')}: reach out or plan a discharge",
    )


@rule("NO-UPCOMING", "info", "reach out",
      when="open, nothing upcoming, and not inactive",
      example="no appointment scheduled (last attended session 2026-11-17): book the next "
              "session")
def _no_upcoming(f: _Facts) -> Raised | None:
    if not f.open_case or f.upcoming or f.is_inactive:
        return None
    last = (f"last attended session {f.last_session}" if f.last_session
            else "no attended session yet")
    return Raised(f"no appointment scheduled ({last}): book the next session")


@rule("NO-SHOW-PATTERN", "warning", "reach out",
      policy=("attendance.no_show_limit", "attendance.no_show_window_days",
              "attendance.consecutive_no_show_limit",
              "attendance.late_cancel_counts_as_no_show"),
      when="open, and either at least `no_show_limit` no-shows dated in the last "
           "`no_show_window_days` days (the report date is day 0), or the latest "
           "`consecutive_no_show_limit` recorded sessions, cancelled ones skipped, are all "
           "no-shows",
      example="3 no-shows in the last 90 days; … counts 3 as a pattern")
def _no_show_pattern(f: _Facts) -> Raised | None:
    if not f.open_case:
        return None
    reasons = []
    limit = f.policy["attendance.no_show_limit"]
    window = f.policy["attendance.no_show_window_days"]
    if f.no_shows_in_window >= limit:
        reasons.append(
            f"{plural(f.no_shows_in_window, 'no-show')} in the last {plural(window, 'day')}; "
            f"{f.policy.says_who('attendance.no_show_limit')} counts {limit} as a pattern"
        )
    streak = _latest_no_show_streak(f)
    if streak:
        reasons.append(
            f"the last {plural(len(streak), 'session')} in a row were no-shows "
            f"({', '.join(str(s.date) for s in streak)}); "
            f"{f.policy.says_who('attendance.consecutive_no_show_limit')} counts "
            f"{len(streak)} in a row as a pattern"
        )
    if not reasons:
        return None
    counted = " (late cancellations count)" if f.policy[
        "attendance.late_cancel_counts_as_no_show"] else ""
    return Raised(" and ".join(reasons) + counted)


def _latest_no_show_streak(f: _Facts) -> tuple[Session, ...]:
    """The latest `consecutive_no_show_limit` sessions when all are no-shows, else ()."""
    limit = f.policy["attendance.consecutive_no_show_limit"]
    if limit <= 0:
        return ()
    # Cancelled sessions are skipped, and on one day a session that is not a no-show
    # counts as the later one: so the no-shows in a row at the end are those after
    # the last day of any other session, and only those few need sorting.
    last_kept = f.last_kept
    tail = [s for s in f.no_shows if last_kept is None or s.date > last_kept]
    if len(tail) < limit:
        return ()
    return tuple(sorted(tail, key=_session_date)[-limit:])


def _session_date(session: Session) -> date:
    return session.date


def _plan_date(plan: TreatmentPlan) -> date:
    return plan.date


@rule("SESSION-UNRESOLVED", "warning", "record session outcomes",
      calendar=CalendarEvent("overdue-session-unresolved",
                             "past sessions still marked scheduled (since {due})"),
      when="any client with a past session still `scheduled` (one finding per client)",
      example="2 past sessions still marked scheduled (2026-11-10, 2026-11-17): record each "
              "as …")
def _session_unresolved(f: _Facts) -> Raised | None:
    if not f.unresolved:
        return None
    dates = sorted(s.date for s in f.unresolved)
    shown = ", ".join(map(str, dates[:5]))
    if len(dates) > 5:
        shown += f" and {len(dates) - 5} more"
    return Raised(
        f"{plural(len(dates), 'past session')} still marked scheduled ({shown}): "
        "record each as attended, no-show, late cancel or cancelled",
        dates[0],
    )


@rule("DISCHARGE-OVERDUE", "warning", "plan discharges", calendar=PLANNED_DISCHARGE,
      when="a planned discharge whose day is before the report date",
      example="discharge was planned for 2026-11-14, 14 days ago, and is not recorded")
def _discharge_overdue(f: _Facts) -> Raised | None:
    if f.planned_day is None or not f.planned_day < f.as_of:
        return None
    return Raised(
        f"discharge was planned for {f.planned_day}, "
        f"{plural(days(f.planned_day, f.as_of), 'day')} ago, and is not recorded: "
        "complete the discharge or move the planned date",
        f.planned_day,
    )


def _summary_deadline(f: _Facts) -> date | None:
    """The summary's due date when a discharged client's summary is blank, else None."""
    discharge = f.client.discharge
    if not f.discharged or discharge is None or discharge.date is None:
        return None
    if _has_summary(discharge):
        return None
    return add_days(discharge.date, f.policy["discharge.summary_within_days"])


def _has_summary(discharge: Discharge | None) -> bool:
    return bool(discharge and discharge.summary and discharge.summary.strip())


@rule("DISCHARGE-SUMMARY-DUE", "warning", "complete discharge records",
      policy=("discharge.summary_within_days",), calendar=DISCHARGE_SUMMARY_DUE,
      when="discharged, summary empty, and the report date is no later than discharge + "
           "`summary_within_days`",
      example="discharge summary due 2026-11-28 (today); …")
def _discharge_summary_due(f: _Facts) -> Raised | None:
    deadline = _summary_deadline(f)
    if deadline is None or not f.as_of <= deadline:
        return None
    left = days(f.as_of, deadline)
    when = "today" if left == 0 else f"in {plural(left, 'day')}"
    return Raised(
        f"discharge summary due {deadline} ({when}); "
        f"{f.policy.says_who('discharge.summary_within_days')} requires it within "
        f"{plural(f.policy['discharge.summary_within_days'], 'day')} of discharge",
        deadline,
    )


@rule("DISCHARGE-SUMMARY-MISSING", "error", "complete discharge records",
      policy=("discharge.summary_within_days",), calendar=DISCHARGE_SUMMARY_DUE,
      when="discharged, summary empty, and the report date is later than that",
      example="no discharge summary; it was due 2026-11-27, 1 day ago")
def _discharge_summary_missing(f: _Facts) -> Raised | None:
    deadline = _summary_deadline(f)
    if deadline is None or not f.as_of > deadline:
        return None
    return Raised(
        f"no discharge summary; it was due {deadline}, "
        f"{plural(days(deadline, f.as_of), 'day')} ago "
        f"({f.policy.says_who('discharge.summary_within_days')} requires it within "
        f"{plural(f.policy['discharge.summary_within_days'], 'day')} of discharge)",
        deadline,
    )


@rule("DISCHARGE-REASON-MISSING", "error", "complete discharge records",
      calendar=CalendarEvent("overdue-discharge-reason-missing", "discharge reason missing"),
      when="discharged without a `reason`",
      example="discharged 2026-11-02 without a recorded reason")
def _discharge_reason_missing(f: _Facts) -> Raised | None:
    discharge = f.client.discharge
    if not f.discharged or discharge is None or discharge.reason:
        return None
    return Raised(
        f"discharged {discharge.date} without a recorded reason",
    )


@rule("DISCHARGE-OUTREACH-UNDOCUMENTED", "error", "complete discharge records",
      policy=("discharge.min_outreach_attempts",),
      calendar=CalendarEvent("overdue-discharge-outreach-undocumented",
                             "discharge outreach not documented"),
      when="discharged, `client_participated` not true, and fewer than "
           "`min_outreach_attempts` contacts dated after the last attended session on or "
           "before the discharge day, up to and including the discharge day",
      example="the client did not take part in the discharge on 2026-10-28, and 2 outreach "
              "attempts are documented since the last attended session on 2026-09-09; "
              "Cascade State Medicaid requires 3")
def _discharge_outreach_undocumented(f: _Facts) -> Raised | None:
    discharge = f.client.discharge
    if not f.discharged or discharge is None or discharge.date is None:
        return None
    if discharge.client_participated:
        return None
    needed = f.policy["discharge.min_outreach_attempts"]
    last_seen = max(
        (s.date for s in f.client.sessions
         if s.status == "attended" and s.date <= discharge.date),
        default=None,
    )
    attempts = sum(
        1 for c in f.client.contacts
        if c.date <= discharge.date and (last_seen is None or c.date > last_seen)
    )
    if attempts >= needed:
        return None
    since = f"since the last attended session on {last_seen}" if last_seen else "before discharge"
    return Raised(
        f"the client did not take part in the discharge on {discharge.date}, and "
        f"{plural(attempts, 'outreach attempt')} {'is' if attempts == 1 else 'are'} documented "
        f"{since}; {f.policy.says_who('discharge.min_outreach_attempts')} requires {needed}",
    )


@rule("ACTIVITY-AFTER-DISCHARGE", "error", "complete discharge records",
      calendar=CalendarEvent("overdue-activity-after-discharge",
                             "attended session recorded after discharge"),
      when="discharged, with an attended session recorded after the discharge day",
      example="1 attended session after the discharge on 2026-10-30 (first 2026-11-06)")
def _activity_after_discharge(f: _Facts) -> Raised | None:
    discharge = f.client.discharge
    if not f.discharged or discharge is None or discharge.date is None:
        return None
    after = sorted(s.date for s in f.recorded
                   if s.status == "attended" and s.date > discharge.date)
    if not after:
        return None
    return Raised(
        f"{plural(len(after), 'attended session')} after the discharge on {discharge.date} "
        f"(first {after[0]}): correct the discharge or the session record",
    )


# --- (v2) documentation: progress notes and plan signatures -----------------------------


def note_signed_by(session: Session, as_of: date) -> date | bool:
    """The day the session's note was signed, when that is on or before `as_of`; True
    when signed on a day not known; False when not signed by `as_of`."""
    signed = session.note_signed
    if signed is True or signed is False:
        return signed
    return signed if signed <= as_of else False


def note_check(session: Session, policy: EffectivePolicy, as_of: date) -> NoteCheck:
    """The state of an attended session's progress note on `as_of` under `policy`:
    what NOTE-MISSING and NOTE-LATE read, one session at a time."""
    return _note_check(session, policy["documentation.note_within_days"],
                       policy["documentation.notes_checked_from"], as_of)


def _note_check(session: Session, within: int | None, checked_from: date | None,
                as_of: date) -> NoteCheck:
    signed = note_signed_by(session, as_of)
    if within is None or (checked_from is not None and session.date < checked_from):
        return NoteCheck("not_tracked", None, signed)
    due = add_days(session.date, within)
    state: NoteState
    if signed is False:
        state = "missing" if as_of > due else "due"
    elif signed is True:
        state = "signed"
    else:
        state = "late" if signed > due else "signed"
    return NoteCheck(state, due, signed)


def _tracked_notes(recorded: tuple[Session, ...], policy: EffectivePolicy, as_of: date
                   ) -> tuple[tuple[Session, NoteCheck], ...]:
    """Each tracked session with its note's check, made once per client for both note
    rules: the recorded, attended sessions on or after `notes_checked_from` (when
    set); () while `note_within_days` is not set."""
    within = policy["documentation.note_within_days"]
    if within is None:
        return ()
    start = policy["documentation.notes_checked_from"]
    return tuple((s, _note_check(s, within, start, as_of)) for s in recorded
                 if s.status == "attended" and (start is None or s.date >= start))


def _notes(f: _Facts, state: NoteState) -> list[tuple[Session, NoteCheck]]:
    """The client's tracked sessions whose note is in `state`, each with its check."""
    return [(session, check) for session, check in f.note_checks if check.state == state]


def _notes_rule_of(f: _Facts) -> str:
    key = "documentation.note_within_days"
    return (f"{f.policy.says_who(key)} requires notes signed within "
            f"{plural(f.policy[key], 'day')}")


@rule("NOTE-MISSING", "error", "complete documentation",
      policy=("documentation.note_within_days", "documentation.notes_checked_from"),
      calendar=CalendarEvent("overdue-note-missing", "progress notes not signed",
                             "progress notes not signed (due since {due})"),
      when="`note_within_days` is set, and an attended session (on or after "
           "`notes_checked_from`) has no note signed by the report date, more than "
           "`note_within_days` days after it (one finding per client)",
      example="2 attended sessions without a signed progress note (the earliest 2026-11-10, "
              "due 2026-11-13, 15 days ago); Summit Health Plan requires notes signed within "
              "3 days")
def _note_missing(f: _Facts) -> Raised | None:
    missing = [(check.due, session.date) for session, check in _notes(f, "missing")
               if check.due is not None]
    if not missing:
        return None
    due, first = min(missing)
    earliest = "the earliest " if len(missing) > 1 else ""
    return Raised(
        f"{plural(len(missing), 'attended session')} without a signed progress note "
        f"({earliest}{first}, due {due}, {plural(days(due, f.as_of), 'day')} ago); "
        f"{_notes_rule_of(f)}",
        due,
    )


@rule("NOTE-LATE", "warning", "complete documentation",
      policy=("documentation.note_within_days", "documentation.notes_checked_from"),
      when="`note_within_days` is set, and an attended session (on or after "
           "`notes_checked_from`) has its note signed on a day on or before the report date "
           "but more than `note_within_days` days after it (one finding per client)",
      example="1 progress note signed late (the session of 2026-11-02, signed 2026-11-09, "
              "7 days after it); Summit Health Plan requires notes signed within 3 days")
def _note_late(f: _Facts) -> Raised | None:
    late = [(session.date, check.signed_on) for session, check in _notes(f, "late")
            if check.signed_on is not None]
    if not late:
        return None
    session_day, signed = max(late)
    latest = "the latest: " if len(late) > 1 else ""
    return Raised(
        f"{plural(len(late), 'progress note')} signed late ({latest}the session of "
        f"{session_day}, signed {signed}, {plural(days(session_day, signed), 'day')} after "
        f"it); {_notes_rule_of(f)}",
    )


def plan_in_force(plans: tuple[TreatmentPlan, ...], as_of: date) -> TreatmentPlan | None:
    """The latest plan dated on or before `as_of`; of several on that day, the one
    listed last."""
    found = None
    for plan in plans:
        if plan.date <= as_of and (found is None or plan.date >= found.date):
            found = plan
    return found


def missing_signatures(plan: TreatmentPlan, as_of: date) -> tuple[str, ...]:
    """What the plan lacks on `as_of`: the provider's signature, and the client's
    signature or a waiver."""
    lacking = []
    if plan.provider_signed_on is None or plan.provider_signed_on > as_of:
        lacking.append("the provider's signature")
    client_signed = plan.client_signed_on is not None and plan.client_signed_on <= as_of
    waived = bool(plan.client_signature_waived and plan.client_signature_waived.strip())
    if not client_signed and not waived:
        lacking.append("the client's signature (or a recorded waiver)")
    return tuple(lacking)


@rule("PLAN-UNSIGNED", "error", "complete documentation",
      policy=("documentation.plan_signatures_required", "documentation.plan_sign_within_days"),
      calendar=CalendarEvent("overdue-plan-unsigned", "treatment plan signatures missing",
                             "treatment plan signatures missing (due since {due})"),
      when="not discharged, `plan_signatures_required`, and the latest plan (of several on "
           "one day, the one listed last) lacks the provider's signature, or both the "
           "client's signature and a waiver, more than `plan_sign_within_days` days after "
           "its date",
      example="the treatment plan of 2026-09-11 lacks the client's signature (or a recorded "
              "waiver), due 2026-09-25; Cascade State Medicaid requires plans signed within "
              "14 days")
def _plan_unsigned(f: _Facts) -> Raised | None:
    if f.discharged or not f.policy["documentation.plan_signatures_required"]:
        return None
    plan = plan_in_force(f.client.treatment_plans, f.as_of)
    if plan is None:
        return None
    key = "documentation.plan_sign_within_days"
    due = add_days(plan.date, f.policy[key])
    lacking = missing_signatures(plan, f.as_of)
    if not lacking or not f.as_of > due:
        return None
    return Raised(
        f"the treatment plan of {plan.date} lacks {' and '.join(lacking)}, due {due}; "
        f"{f.policy.says_who('documentation.plan_signatures_required')} requires plans "
        f"signed within {plural(f.policy[key], 'day')}",
        due,
    )


RULES: tuple[Rule, ...] = tuple(_DECLARED)
# The events shown whether or not a finding names them, in the order rules name them.
STANDING_EVENTS: tuple[CalendarEvent, ...] = tuple(dict.fromkeys(
    r.calendar for r in RULES if r.calendar is not None and r.calendar.day is not None))

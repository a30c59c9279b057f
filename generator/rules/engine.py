"""The rule engine: what a client's record means on a given day.

Pure functions of (client, effective policy, as-of date): no clock, no I/O.
Every comparison below mirrors one line of the rules table in the README, and
`>` versus `>=` is deliberate: an auditor counts days.

The `Evaluation` is the one place where dates and statuses get their meaning:
the check text and JSON, the pages and the calendar read it and decide nothing
of their own, so they cannot disagree with the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from generator.model.policy import EffectivePolicy
from generator.model.records import SESSION_STATUSES, Client, Session
from generator.wording import plural

Severity = Literal["error", "warning", "info"]
# What a session is to the rules on the as-of date; None: a cancelled appointment
# after it (neither recorded nor upcoming).
SessionState = Literal["recorded", "upcoming", "unresolved"]
Status = Literal["discharged", "discharge_planned", "inactive", "at_risk", "active"]
STATUSES: tuple[Status, ...] = ("discharged", "discharge_planned", "inactive", "at_risk", "active")
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    action: str  # the work-queue group in the action list
    policy_keys: tuple[str, ...]  # the policy numbers the rule applies


RULES: tuple[Rule, ...] = (
    Rule("PLAN-MISSING", "error", "update treatment plans",
         ("treatment_plan.initial_within_days",)),
    Rule("PLAN-OVERDUE", "error", "update treatment plans",
         ("treatment_plan.review_interval_days",)),
    Rule("PLAN-DUE-SOON", "warning", "update treatment plans",
         ("treatment_plan.due_soon_days",)),
    Rule("INACTIVE", "warning", "reach out", ("attendance.inactive_after_days",)),
    Rule("NO-UPCOMING", "info", "reach out", ()),
    Rule("NO-SHOW-PATTERN", "warning", "reach out",
         ("attendance.no_show_limit", "attendance.no_show_window_days",
          "attendance.consecutive_no_show_limit", "attendance.late_cancel_counts_as_no_show")),
    Rule("SESSION-UNRESOLVED", "warning", "record session outcomes", ()),
    Rule("DISCHARGE-OVERDUE", "warning", "plan discharges", ()),
    Rule("DISCHARGE-SUMMARY-DUE", "warning", "complete discharge records",
         ("discharge.summary_within_days",)),
    Rule("DISCHARGE-SUMMARY-MISSING", "error", "complete discharge records",
         ("discharge.summary_within_days",)),
    Rule("DISCHARGE-REASON-MISSING", "error", "complete discharge records", ()),
    Rule("DISCHARGE-OUTREACH-UNDOCUMENTED", "error", "complete discharge records",
         ("discharge.min_outreach_attempts",)),
    Rule("ACTIVITY-AFTER-DISCHARGE", "error", "complete discharge records", ()),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
ACTION_GROUPS = (
    "reach out",
    "plan discharges",
    "update treatment plans",
    "complete discharge records",
    "record session outcomes",
)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    due: date | None = None  # by when it must be (or had to be) done, when a date applies

    @property
    def rule(self) -> Rule:
        return RULES_BY_CODE[self.code]

    @property
    def severity(self) -> Severity:
        return self.rule.severity


@dataclass(frozen=True, slots=True)
class SessionEntry:
    """One session of a client's history, with what it is to the rules."""

    session: Session
    state: SessionState | None
    no_show: bool  # its status counts as a no-show under the client's policy


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

    def has(self, code: str) -> bool:
        return any(f.code == code for f in self.findings)

    def history(self, *, latest_first: bool = False) -> tuple[SessionEntry, ...]:
        """Every session in date order (or latest day first), sessions on one day in the
        order they are listed, each with its state. Made on demand: `check` needs none."""
        # The states are those of the lists the rules read, never worked out again.
        state: dict[int, SessionState] = {id(s): "recorded" for s in self.recorded}
        state.update((id(s), "upcoming") for s in self.upcoming)
        state.update((id(s), "unresolved") for s in self.unresolved)
        no_show = no_show_statuses(self.policy)
        return tuple(
            SessionEntry(session, state.get(id(session)), session.status in no_show)
            for session in sorted(self.client.sessions, key=_session_date, reverse=latest_first)
        )

    @property
    def window_counts(self) -> dict[str, int]:
        """Recorded sessions inside the no-show window, by outcome."""
        counts = dict.fromkeys(_OUTCOMES, 0)
        for session in self.recorded:
            if session.date >= self.window_start:
                counts[session.status] += 1
        return counts


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


def is_no_show(session: Session, policy: EffectivePolicy) -> bool:
    return session.status in no_show_statuses(policy)


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
    findings = tuple(
        finding
        for check in _CHECKS
        if (finding := check(facts)) is not None
    )
    codes = {f.code for f in findings}
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

    @classmethod
    def of(cls, client: Client, policy: EffectivePolicy, as_of: date) -> _Facts:
        recorded, upcoming, unresolved = _sort_sessions(client.sessions, as_of)
        plans = [p.date for p in client.treatment_plans if p.date <= as_of]
        plan_date = max(plans, default=None)
        if plan_date is not None:
            plan_due = add_days(plan_date, policy["treatment_plan.review_interval_days"])
        else:
            plan_due = add_days(client.intake_date, policy["treatment_plan.initial_within_days"])
        discharge = client.discharge
        discharged = bool(discharge and discharge.date and discharge.date <= as_of)
        planned_day = None
        if discharge and not discharged:
            planned_day = discharge.planned_on or discharge.date
        window_start = _window_start(as_of, policy["attendance.no_show_window_days"])
        no_show = no_show_statuses(policy)
        return cls(
            client=client, policy=policy, as_of=as_of,
            recorded=recorded, upcoming=upcoming, unresolved=unresolved,
            last_session=max((s.date for s in recorded if s.status == "attended"),
                             default=None),
            next_appointment=min((s.date for s in upcoming), default=None),
            plan_date=plan_date, plan_due=plan_due,
            discharged=discharged, planned_day=planned_day, window_start=window_start,
            no_shows_in_window=sum(1 for s in recorded
                                   if s.status in no_show and s.date >= window_start),
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


def _window_start(as_of: date, window: int) -> date:
    """The first day of a `window` ending on `as_of` (day 0): recorded sessions are
    never after `as_of`, so "less than `window` days ago" is "on or after this day"."""
    try:
        return as_of - timedelta(days=window - 1)
    except OverflowError:
        return date.min  # a window longer than the calendar: every day is in it


def _sort_sessions(sessions: tuple[Session, ...], as_of: date
                   ) -> tuple[tuple[Session, ...], tuple[Session, ...], tuple[Session, ...]]:
    """Recorded, upcoming and unresolved sessions, each in file order, in one pass.

    Recorded: on or before the as-of date and not `scheduled`. Upcoming: after it
    and not `cancelled`, or on it and `scheduled`. Unresolved: before it and still
    `scheduled`.
    """
    recorded: list[Session] = []
    upcoming: list[Session] = []
    unresolved: list[Session] = []
    for session in sessions:
        day, scheduled = session.date, session.status == "scheduled"
        if day > as_of:
            if session.status != "cancelled":
                upcoming.append(session)
        elif not scheduled:
            recorded.append(session)
        elif day == as_of:
            upcoming.append(session)
        else:
            unresolved.append(session)
    return tuple(recorded), tuple(upcoming), tuple(unresolved)



# --- the rules, in the order of the rules table -------------------------------------


def _plan_missing(f: _Facts) -> Finding | None:
    if f.discharged or f.plan_date is not None or not f.as_of > f.plan_due:
        return None
    key = "treatment_plan.initial_within_days"
    return Finding(
        "PLAN-MISSING",
        f"no treatment plan since intake on {f.client.intake_date}, "
        f"{plural(days(f.client.intake_date, f.as_of), 'day')} ago; "
        f"{f.policy.says_who(key)} requires the first plan within "
        f"{plural(f.policy[key], 'day')}; overdue since {f.plan_due}",
        f.plan_due,
    )


def _plan_overdue(f: _Facts) -> Finding | None:
    if f.discharged or f.plan_date is None or not f.as_of > f.plan_due:
        return None
    key = "treatment_plan.review_interval_days"
    return Finding(
        "PLAN-OVERDUE",
        f"treatment plan last updated {f.plan_date}, "
        f"{plural(days(f.plan_date, f.as_of), 'day')} ago; "
        f"{f.policy.says_who(key)} requires an update every {plural(f.policy[key], 'day')}; "
        f"overdue since {f.plan_due}",
        f.plan_due,
    )


def _plan_due_soon(f: _Facts) -> Finding | None:
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
    return Finding("PLAN-DUE-SOON", what, f.plan_due)


def _inactive(f: _Facts) -> Finding | None:
    if not f.is_inactive:
        return None
    limit = f.policy["attendance.inactive_after_days"]
    if f.last_session:
        since = (f"last attended session {f.last_session}, "
                 f"{plural(days(f.last_session, f.as_of), 'day')} ago")
    else:
        since = (f"no attended session since intake on {f.client.intake_date}, "
                 f"{plural(days(f.client.intake_date, f.as_of), 'day')} ago")
    return Finding(
        "INACTIVE",
        f"{since}, and nothing scheduled; {f.policy.says_who('attendance.inactive_after_days')} "
        f"counts a client inactive after {plural(limit, 'day')}: reach out or plan a discharge",
    )


def _no_upcoming(f: _Facts) -> Finding | None:
    if not f.open_case or f.upcoming or f.is_inactive:
        return None
    last = (f"last attended session {f.last_session}" if f.last_session
            else "no attended session yet")
    return Finding("NO-UPCOMING", f"no appointment scheduled ({last}): book the next session")


def _no_show_pattern(f: _Facts) -> Finding | None:
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
    return Finding("NO-SHOW-PATTERN", " and ".join(reasons) + counted)


def _latest_no_show_streak(f: _Facts) -> tuple[Session, ...]:
    """The latest `consecutive_no_show_limit` sessions when all are no-shows, else ()."""
    limit = f.policy["attendance.consecutive_no_show_limit"]
    if limit <= 0:
        return ()
    # Cancelled sessions are skipped, and on one day a session that is not a no-show
    # counts as the later one: so the no-shows in a row at the end are those after
    # the last day of any other session, and only those few need sorting.
    no_show = no_show_statuses(f.policy)
    last_other = max((s.date for s in f.recorded
                      if s.status != "cancelled" and s.status not in no_show), default=None)
    tail = [s for s in f.recorded
            if s.status in no_show and (last_other is None or s.date > last_other)]
    if len(tail) < limit:
        return ()
    return tuple(sorted(tail, key=_session_date)[-limit:])


def _session_date(session: Session) -> date:
    return session.date


def _session_unresolved(f: _Facts) -> Finding | None:
    if not f.unresolved:
        return None
    dates = sorted(s.date for s in f.unresolved)
    shown = ", ".join(map(str, dates[:5]))
    if len(dates) > 5:
        shown += f" and {len(dates) - 5} more"
    return Finding(
        "SESSION-UNRESOLVED",
        f"{plural(len(dates), 'past session')} still marked scheduled ({shown}): "
        "record each as attended, no-show, late cancel or cancelled",
        dates[0],
    )


def _discharge_overdue(f: _Facts) -> Finding | None:
    if f.planned_day is None or not f.planned_day < f.as_of:
        return None
    return Finding(
        "DISCHARGE-OVERDUE",
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
    if discharge.summary and discharge.summary.strip():
        return None
    return add_days(discharge.date, f.policy["discharge.summary_within_days"])


def _discharge_summary_due(f: _Facts) -> Finding | None:
    deadline = _summary_deadline(f)
    if deadline is None or not f.as_of <= deadline:
        return None
    left = days(f.as_of, deadline)
    when = "today" if left == 0 else f"in {plural(left, 'day')}"
    return Finding(
        "DISCHARGE-SUMMARY-DUE",
        f"discharge summary due {deadline} ({when}); "
        f"{f.policy.says_who('discharge.summary_within_days')} requires it within "
        f"{plural(f.policy['discharge.summary_within_days'], 'day')} of discharge",
        deadline,
    )


def _discharge_summary_missing(f: _Facts) -> Finding | None:
    deadline = _summary_deadline(f)
    if deadline is None or not f.as_of > deadline:
        return None
    return Finding(
        "DISCHARGE-SUMMARY-MISSING",
        f"no discharge summary; it was due {deadline}, "
        f"{plural(days(deadline, f.as_of), 'day')} ago "
        f"({f.policy.says_who('discharge.summary_within_days')} requires it within "
        f"{plural(f.policy['discharge.summary_within_days'], 'day')} of discharge)",
        deadline,
    )


def _discharge_reason_missing(f: _Facts) -> Finding | None:
    discharge = f.client.discharge
    if not f.discharged or discharge is None or discharge.reason:
        return None
    return Finding(
        "DISCHARGE-REASON-MISSING",
        f"discharged {discharge.date} without a recorded reason",
    )


def _discharge_outreach_undocumented(f: _Facts) -> Finding | None:
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
    return Finding(
        "DISCHARGE-OUTREACH-UNDOCUMENTED",
        f"the client did not take part in the discharge on {discharge.date}, and "
        f"{plural(attempts, 'outreach attempt')} {'is' if attempts == 1 else 'are'} documented "
        f"{since}; {f.policy.says_who('discharge.min_outreach_attempts')} requires {needed}",
    )


def _activity_after_discharge(f: _Facts) -> Finding | None:
    discharge = f.client.discharge
    if not f.discharged or discharge is None or discharge.date is None:
        return None
    after = sorted(s.date for s in f.recorded
                   if s.status == "attended" and s.date > discharge.date)
    if not after:
        return None
    return Finding(
        "ACTIVITY-AFTER-DISCHARGE",
        f"{plural(len(after), 'attended session')} after the discharge on {discharge.date} "
        f"(first {after[0]}): correct the discharge or the session record",
    )


_CHECKS = (
    _plan_missing,
    _plan_overdue,
    _plan_due_soon,
    _inactive,
    _no_upcoming,
    _no_show_pattern,
    _session_unresolved,
    _discharge_overdue,
    _discharge_summary_due,
    _discharge_summary_missing,
    _discharge_reason_missing,
    _discharge_outreach_undocumented,
    _activity_after_discharge,
)

"""The rule engine (generator.rules.engine) checked against the contract, sections 2-4.

Every expectation below is derived from the caseload contract, not from the
implementation: the definitions of recorded / upcoming / unresolved sessions,
the plan due date, discharged / discharge planned, the status precedence and
the findings table. Thresholds are probed the day before, the day of and the
day after. All arithmetic is in whole days from a fixed as-of date ``A``.

Every evaluation goes through ``run()``, which also checks the invariants that
hold for every client: one known status, findings in the order of the table,
each code at most once, the table's severity, and a non-empty message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.model.policy import SETTINGS_BY_KEY, EffectivePolicy, merge
from generator.model.records import (
    SESSION_STATUSES,
    Client,
    Contact,
    Discharge,
    Payer,
    Session,
    Source,
    TreatmentPlan,
)
from generator.rules.engine import (
    ACTION_GROUPS,
    DISCHARGE_SUMMARY_DUE,
    FIRST_PLAN_DUE,
    PLAN_DUE,
    PLANNED_DISCHARGE,
    RULES,
    Evaluation,
    evaluate,
)

A = date(2026, 11, 28)
PRACTICE = "Riverside Counseling"

# The findings table of section 4, in its order, with its severities.
TABLE: tuple[tuple[str, str], ...] = (
    ("PLAN-MISSING", "error"),
    ("PLAN-OVERDUE", "error"),
    ("PLAN-DUE-SOON", "warning"),
    ("INACTIVE", "warning"),
    ("NO-UPCOMING", "info"),
    ("NO-SHOW-PATTERN", "warning"),
    ("SESSION-UNRESOLVED", "warning"),
    ("DISCHARGE-OVERDUE", "warning"),
    ("DISCHARGE-SUMMARY-DUE", "warning"),
    ("DISCHARGE-SUMMARY-MISSING", "error"),
    ("DISCHARGE-REASON-MISSING", "error"),
    ("DISCHARGE-OUTREACH-UNDOCUMENTED", "error"),
    ("ACTIVITY-AFTER-DISCHARGE", "error"),
    ("NOTE-MISSING", "error"),
    ("NOTE-LATE", "warning"),
    ("PLAN-UNSIGNED", "error"),
)
ORDER = [code for code, _ in TABLE]
SEVERITY = dict(TABLE)
STATUSES = ("discharged", "discharge_planned", "inactive", "at_risk", "active")

# Policy overrides used to switch one no-show rule off while testing the other.
COUNT_RULE_ONLY = {"attendance.consecutive_no_show_limit": 0}
CONSECUTIVE_RULE_ONLY = {"attendance.no_show_limit": 999}


# --- builders ------------------------------------------------------------------------


def ago(n: int) -> date:
    return A - timedelta(days=n)


def ahead(n: int) -> date:
    return A + timedelta(days=n)


def sess(day: date, status: str = "attended") -> Session:
    return Session(date=day, status=status)


def plan(day: date) -> TreatmentPlan:
    return TreatmentPlan(date=day)


def contact(day: date, method: str = "phone") -> Contact:
    return Contact(date=day, method=method)


# A client with nothing to report: recent plan, recent session, next one booked.
QUIET_SESSIONS = (sess(ago(7)), sess(ahead(7), "scheduled"))
QUIET_PLANS = (plan(ago(10)),)
INTAKE = ago(400)
DISCHARGED_ON = ago(5)
DISCHARGE_SESSIONS = (sess(ago(30)),)
DISCHARGE_CONTACTS = (contact(ago(20)), contact(ago(10)))


def make_client(
    *,
    intake: date = INTAKE,
    sessions: tuple[Session, ...] = QUIET_SESSIONS,
    plans: tuple[TreatmentPlan, ...] = QUIET_PLANS,
    contacts: tuple[Contact, ...] = (),
    discharge: Discharge | None = None,
    payer: str | None = None,
) -> Client:
    return Client(
        id="C-1001",
        name="Jordan Avery",
        intake_date=intake,
        source=Source("content/clients.yaml", 1),
        payer=payer,
        sessions=tuple(sessions),
        treatment_plans=tuple(plans),
        contacts=tuple(contacts),
        discharge=discharge,
    )


def make_payer(policy: dict[str, Any], name: str = "Aetna") -> Payer:
    return Payer(id="aetna", name=name, policy=policy,
                 source=Source("site_config/payers/aetna.yaml", 1))


def make_policy(practice: dict[str, Any] | None = None,
                payer: Payer | None = None) -> EffectivePolicy:
    return merge(PRACTICE, dict(practice or {}), payer)


def run(client: Client, as_of: date = A, practice: dict[str, Any] | None = None,
        payer: Payer | None = None) -> Evaluation:
    """Evaluate, and check the invariants every evaluation must satisfy."""
    result = evaluate(client, make_policy(practice, payer), as_of)
    assert result.status in STATUSES
    seen = [f.code for f in result.findings]
    assert all(code in SEVERITY for code in seen), seen
    positions = [ORDER.index(code) for code in seen]
    assert positions == sorted(set(positions)), f"not in table order or repeated: {seen}"
    for finding in result.findings:
        assert finding.severity == SEVERITY[finding.code], finding
        assert isinstance(finding.message, str) and finding.message.strip(), finding
    return result


def codes(result: Evaluation) -> list[str]:
    return [f.code for f in result.findings]


def finding(result: Evaluation, code: str):
    matches = [f for f in result.findings if f.code == code]
    assert len(matches) == 1, codes(result)
    return matches[0]


def discharged_client(
    *,
    on: date = DISCHARGED_ON,
    sessions: tuple[Session, ...] = DISCHARGE_SESSIONS,
    contacts: tuple[Contact, ...] = DISCHARGE_CONTACTS,
    reason: str | None = "goals_met",
    summary: str | None = "Goals met; closing.",
    participated: bool = False,
    plans: tuple[TreatmentPlan, ...] = QUIET_PLANS,
) -> Client:
    """A discharged client with a complete record unless told otherwise."""
    return make_client(
        sessions=sessions, plans=plans, contacts=contacts,
        discharge=Discharge(date=on, reason=reason, summary=summary,
                            client_participated=participated),
    )


# --- baseline ------------------------------------------------------------------------


def test_quiet_client_is_active_without_findings():
    result = run(make_client())
    assert result.status == "active"
    assert codes(result) == []


def test_complete_discharge_has_no_findings():
    result = run(discharged_client())
    assert result.status == "discharged"
    assert codes(result) == []


# --- PLAN-MISSING --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_since_intake", "missing", "due_soon"),
    [(29, False, True), (30, False, True), (31, True, False)],
    ids=["due-1", "due", "due+1"],
)
def test_plan_missing_boundary(days_since_intake, missing, due_soon):
    # due = intake + initial_within_days (30); raised when A > due.
    client = make_client(intake=ago(days_since_intake), plans=(),
                         sessions=(sess(ago(1)), sess(ahead(7), "scheduled")))
    result = run(client)
    assert ("PLAN-MISSING" in codes(result)) is missing
    assert ("PLAN-DUE-SOON" in codes(result)) is due_soon
    assert "PLAN-OVERDUE" not in codes(result)
    assert result.plan_due == ago(days_since_intake) + timedelta(days=30)


@pytest.mark.parametrize(
    ("initial_within", "days_since_intake", "missing"),
    [(0, 0, False), (0, 1, True), (45, 45, False), (45, 46, True)],
)
def test_plan_missing_uses_initial_within_days(initial_within, days_since_intake, missing):
    client = make_client(intake=ago(days_since_intake), plans=(),
                         sessions=(sess(ahead(7), "scheduled"),))
    result = run(client, practice={"treatment_plan.initial_within_days": initial_within})
    assert ("PLAN-MISSING" in codes(result)) is missing


def test_plan_dated_after_as_of_is_ignored():
    client = make_client(intake=ago(100), plans=(plan(ahead(1)),))
    result = run(client)
    assert result.plan_date is None
    assert "PLAN-MISSING" in codes(result)
    assert result.plan_due == ago(100) + timedelta(days=30)


def test_plan_dated_on_as_of_counts():
    client = make_client(intake=ago(100), plans=(plan(A),))
    result = run(client)
    assert result.plan_date == A
    assert result.plan_age_days == 0
    assert "PLAN-MISSING" not in codes(result)


# --- PLAN-OVERDUE --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan_age", "overdue"),
    [(89, False), (90, False), (91, True)],
    ids=["due-1", "due", "due+1"],
)
def test_plan_overdue_boundary(plan_age, overdue):
    # due = plan_date + review_interval_days (90); raised when A > due.
    result = run(make_client(plans=(plan(ago(plan_age)),)))
    assert ("PLAN-OVERDUE" in codes(result)) is overdue
    assert "PLAN-MISSING" not in codes(result)
    assert result.plan_due == ago(plan_age) + timedelta(days=90)


def test_plan_overdue_uses_the_latest_plan_whatever_the_order():
    plans = (plan(ago(95)), plan(ago(200)), plan(ago(20)), plan(ago(150)))
    result = run(make_client(plans=plans))
    assert result.plan_date == ago(20)
    assert "PLAN-OVERDUE" not in codes(result)


def test_plan_overdue_ignores_a_newer_plan_after_as_of():
    result = run(make_client(plans=(plan(ago(91)), plan(ahead(3)))))
    assert result.plan_date == ago(91)
    assert "PLAN-OVERDUE" in codes(result)


# --- PLAN-DUE-SOON -------------------------------------------------------------------

# left = due - A; raised when 0 <= left <= due_soon_days (14)
DUE_SOON_CASES = [(15, False), (14, True), (13, True), (1, True), (0, True), (-1, False)]
DUE_SOON_IDS = ["due-15", "due-14", "due-13", "due-1", "due", "due+1"]


@pytest.mark.parametrize(("left", "raised"), DUE_SOON_CASES, ids=DUE_SOON_IDS)
def test_plan_due_soon_with_a_plan(left, raised):
    result = run(make_client(plans=(plan(ago(90 - left)),)))
    assert result.plan_due == ahead(left)
    assert ("PLAN-DUE-SOON" in codes(result)) is raised
    assert ("PLAN-OVERDUE" in codes(result)) is (left < 0)


@pytest.mark.parametrize(("left", "raised"), DUE_SOON_CASES, ids=DUE_SOON_IDS)
def test_plan_due_soon_without_a_plan(left, raised):
    client = make_client(intake=ago(30 - left), plans=(),
                         sessions=(sess(ahead(7), "scheduled"),))
    result = run(client)
    assert result.plan_due == ahead(left)
    assert ("PLAN-DUE-SOON" in codes(result)) is raised
    assert ("PLAN-MISSING" in codes(result)) is (left < 0)


@pytest.mark.parametrize(("left", "raised"), [(1, False), (0, True), (-1, False)])
def test_plan_due_soon_with_zero_days_warns_only_on_the_day(left, raised):
    result = run(make_client(plans=(plan(ago(90 - left)),)),
                 practice={"treatment_plan.due_soon_days": 0})
    assert ("PLAN-DUE-SOON" in codes(result)) is raised


# --- plan rules and discharge ---------------------------------------------------------

PLAN_SITUATIONS = [
    ((), "PLAN-MISSING"),
    ((plan(ago(200)),), "PLAN-OVERDUE"),
    ((plan(ago(85)),), "PLAN-DUE-SOON"),
]


@pytest.mark.parametrize(("plans", "code"), PLAN_SITUATIONS)
def test_plan_rules_skip_discharged_clients(plans, code):
    result = run(discharged_client(plans=plans))
    assert result.status == "discharged"
    assert code not in codes(result)
    assert not {"PLAN-MISSING", "PLAN-OVERDUE", "PLAN-DUE-SOON"} & set(codes(result))


@pytest.mark.parametrize(
    "discharge",
    [Discharge(planned_on=ahead(10)), Discharge(date=ahead(10))],
    ids=["planned_on", "future-date"],
)
@pytest.mark.parametrize(("plans", "code"), PLAN_SITUATIONS)
def test_plan_rules_apply_while_discharge_is_planned(plans, code, discharge):
    # "Not discharged" includes discharge_planned.
    result = run(make_client(plans=plans, discharge=discharge))
    assert result.status == "discharge_planned"
    assert code in codes(result)


# --- INACTIVE and NO-UPCOMING ---------------------------------------------------------


@pytest.mark.parametrize(
    ("days_since", "inactive"),
    [(59, False), (60, False), (61, True)],
    ids=["limit-1", "limit", "limit+1"],
)
def test_inactive_boundary_from_last_session(days_since, inactive):
    result = run(make_client(sessions=(sess(ago(days_since)),)))
    assert ("INACTIVE" in codes(result)) is inactive
    # NO-UPCOMING: no upcoming appointment and not INACTIVE.
    assert ("NO-UPCOMING" in codes(result)) is not inactive
    assert result.status == ("inactive" if inactive else "active")
    assert result.last_session == ago(days_since)
    assert result.days_since_last_session == days_since


@pytest.mark.parametrize(
    ("days_since_intake", "inactive"),
    [(59, False), (60, False), (61, True)],
    ids=["limit-1", "limit", "limit+1"],
)
def test_inactive_boundary_from_intake_without_sessions(days_since_intake, inactive):
    client = make_client(intake=ago(days_since_intake), sessions=(), plans=(plan(ago(5)),))
    result = run(client)
    assert ("INACTIVE" in codes(result)) is inactive
    assert ("NO-UPCOMING" in codes(result)) is not inactive
    assert result.status == ("inactive" if inactive else "active")
    assert result.last_session is None
    assert result.days_since_last_session is None


@pytest.mark.parametrize(
    ("limit", "days_since", "inactive"),
    [(30, 30, False), (30, 31, True), (120, 120, False), (120, 121, True)],
)
def test_inactive_uses_inactive_after_days(limit, days_since, inactive):
    result = run(make_client(sessions=(sess(ago(days_since)),)),
                 practice={"attendance.inactive_after_days": limit})
    assert ("INACTIVE" in codes(result)) is inactive


@pytest.mark.parametrize(
    ("extra", "upcoming"),
    [
        (sess(A, "scheduled"), True),
        (sess(A, "attended"), False),
        (sess(A, "no_show"), False),
        (sess(A, "late_cancel"), False),
        (sess(A, "cancelled"), False),
        (sess(ahead(1), "scheduled"), True),
        (sess(ahead(1), "attended"), True),
        (sess(ahead(1), "no_show"), True),
        (sess(ahead(1), "late_cancel"), True),
        (sess(ahead(1), "cancelled"), False),
        (sess(ago(1), "scheduled"), False),
    ],
    ids=lambda v: f"{v.date - A}:{v.status}" if isinstance(v, Session) else str(v),
)
def test_upcoming_appointments_definition(extra, upcoming):
    # Upcoming: (date > A and not cancelled) or (date = A and scheduled).
    # The last attended session is 100 days old, so without an upcoming
    # appointment the client is inactive (unless `extra` is attended on A).
    result = run(make_client(sessions=(sess(ago(100)), extra)))
    assert (result.next_appointment == extra.date) is upcoming
    if upcoming:
        assert "INACTIVE" not in codes(result)
        assert "NO-UPCOMING" not in codes(result)
        assert result.status == "active"
    else:
        assert result.next_appointment is None
        if extra.status == "attended":
            # Attended on A: a recorded session, the last one, not an upcoming one.
            assert result.last_session == A
            assert codes(result) == ["NO-UPCOMING"]
        else:
            assert "INACTIVE" in codes(result)
            assert "NO-UPCOMING" not in codes(result)
            assert result.status == "inactive"


def test_same_day_scheduled_counts_as_upcoming_at_threshold():
    result = run(make_client(sessions=(sess(ago(61)), sess(A, "scheduled"))))
    assert result.next_appointment == A
    assert result.status == "active"
    assert codes(result) == []


def test_cancelled_future_session_is_not_upcoming():
    sessions = (sess(ago(61)), sess(ahead(3), "cancelled"), sess(ahead(30), "cancelled"))
    result = run(make_client(sessions=sessions))
    assert result.next_appointment is None
    assert "INACTIVE" in codes(result)


def test_later_no_shows_do_not_reset_inactivity():
    sessions = (sess(ago(61)), sess(ago(10), "no_show"), sess(ago(5), "late_cancel"))
    result = run(make_client(sessions=sessions),
                 practice={**COUNT_RULE_ONLY, "attendance.no_show_limit": 99})
    assert result.last_session == ago(61)
    assert "INACTIVE" in codes(result)


def test_no_upcoming_not_raised_with_an_appointment():
    result = run(make_client(sessions=(sess(ago(3)), sess(ahead(40), "scheduled"))))
    assert "NO-UPCOMING" not in codes(result)
    assert result.next_appointment == ahead(40)


@pytest.mark.parametrize(
    "discharge",
    [Discharge(planned_on=ahead(10)), Discharge(planned_on=ago(3)), Discharge(date=ahead(1))],
    ids=["planned-future", "planned-past", "future-date"],
)
@pytest.mark.parametrize("days_since", [10, 200])
def test_inactive_and_no_upcoming_skip_planned_discharges(discharge, days_since):
    result = run(make_client(sessions=(sess(ago(days_since)),), discharge=discharge))
    assert result.status == "discharge_planned"
    assert "INACTIVE" not in codes(result)
    assert "NO-UPCOMING" not in codes(result)


@pytest.mark.parametrize("days_since", [10, 200])
def test_inactive_and_no_upcoming_skip_discharged_clients(days_since):
    result = run(discharged_client(on=ago(1), sessions=(sess(ago(days_since)),)))
    assert result.status == "discharged"
    assert "INACTIVE" not in codes(result)
    assert "NO-UPCOMING" not in codes(result)


# --- NO-SHOW-PATTERN: the count in the window -------------------------------------------


def no_show_client(*marks: Session) -> Client:
    """A client with an upcoming appointment (so never inactive) plus `marks`."""
    return make_client(sessions=(sess(ago(2)), sess(ahead(7), "scheduled"), *marks))


@pytest.mark.parametrize(
    ("oldest", "raised"),
    [(89, True), (90, False), (91, False)],
    ids=["window-1", "window", "window+1"],
)
def test_no_show_window_boundary(oldest, raised):
    # Counted when 0 <= d(date) < no_show_window_days (90).
    client = no_show_client(sess(ago(5), "no_show"), sess(ago(10), "no_show"),
                            sess(ago(oldest), "no_show"))
    result = run(client, practice=COUNT_RULE_ONLY)
    assert ("NO-SHOW-PATTERN" in codes(result)) is raised
    assert result.status == ("at_risk" if raised else "active")


def test_no_show_on_the_as_of_date_counts():
    client = no_show_client(sess(A, "no_show"), sess(ago(5), "no_show"),
                            sess(ago(10), "no_show"))
    result = run(client, practice=COUNT_RULE_ONLY)
    assert "NO-SHOW-PATTERN" in codes(result)


@pytest.mark.parametrize(
    ("count", "raised"),
    [(2, False), (3, True), (4, True)],
    ids=["limit-1", "limit", "limit+1"],
)
def test_no_show_count_against_limit(count, raised):
    client = no_show_client(*(sess(ago(5 + 10 * i), "no_show") for i in range(count)))
    result = run(client, practice=COUNT_RULE_ONLY)
    assert ("NO-SHOW-PATTERN" in codes(result)) is raised


@pytest.mark.parametrize(
    ("window", "limit", "oldest", "raised"),
    [(30, 2, 29, True), (30, 2, 30, False), (1, 1, 0, True), (1, 1, 1, False)],
)
def test_no_show_window_and_limit_from_policy(window, limit, oldest, raised):
    marks = [sess(ago(oldest), "no_show")]
    if limit == 2:
        marks.append(sess(ago(oldest - 10), "no_show"))
    result = run(no_show_client(*marks),
                 practice={**COUNT_RULE_ONLY, "attendance.no_show_window_days": window,
                           "attendance.no_show_limit": limit})
    assert ("NO-SHOW-PATTERN" in codes(result)) is raised


@pytest.mark.parametrize(
    ("counts", "statuses", "raised"),
    [
        (True, ("late_cancel", "late_cancel", "late_cancel"), True),
        (False, ("late_cancel", "late_cancel", "late_cancel"), False),
        (True, ("no_show", "no_show", "late_cancel"), True),
        (False, ("no_show", "no_show", "late_cancel"), False),
        (False, ("no_show", "no_show", "no_show"), True),
    ],
)
def test_late_cancel_counting_in_the_window(counts, statuses, raised):
    client = no_show_client(*(sess(ago(5 + 10 * i), s) for i, s in enumerate(statuses)))
    result = run(client, practice={**COUNT_RULE_ONLY,
                                   "attendance.late_cancel_counts_as_no_show": counts})
    assert ("NO-SHOW-PATTERN" in codes(result)) is raised


def test_cancelled_sessions_never_count_as_no_shows():
    client = no_show_client(*(sess(ago(5 + i), "cancelled") for i in range(5)))
    result = run(client)
    assert "NO-SHOW-PATTERN" not in codes(result)


def test_scheduled_sessions_are_not_counted_in_the_window():
    client = no_show_client(sess(ago(5), "no_show"), sess(ago(10), "no_show"),
                            sess(ago(1), "scheduled"), sess(A, "scheduled"))
    result = run(client, practice=COUNT_RULE_ONLY)
    assert "NO-SHOW-PATTERN" not in codes(result)


def test_future_no_shows_are_not_recorded():
    client = no_show_client(sess(ago(5), "no_show"), sess(ago(10), "no_show"),
                            sess(ahead(1), "no_show"), sess(ahead(2), "late_cancel"))
    result = run(client, practice=COUNT_RULE_ONLY)
    assert "NO-SHOW-PATTERN" not in codes(result)


# --- NO-SHOW-PATTERN: consecutive no-shows --------------------------------------------


def S(offset: int, status: str) -> Session:
    """A session `offset` days before A (negative: after A)."""
    return sess(ago(offset), status)


CONSECUTIVE_CASES = [
    # (id, sessions, overrides, raised)
    ("two-in-a-row", [S(30, "attended"), S(20, "no_show"), S(10, "no_show")], {}, True),
    ("broken-by-attended",
     [S(30, "attended"), S(20, "no_show"), S(15, "attended"), S(10, "no_show")], {}, False),
    ("latest-is-attended", [S(20, "no_show"), S(10, "no_show"), S(5, "attended")], {}, False),
    ("cancelled-between-is-skipped",
     [S(30, "attended"), S(20, "no_show"), S(15, "cancelled"), S(10, "no_show")], {}, True),
    ("cancelled-after-is-skipped",
     [S(30, "attended"), S(20, "no_show"), S(10, "no_show"), S(5, "cancelled")], {}, True),
    ("late-cancel-counts",
     [S(30, "attended"), S(20, "no_show"), S(10, "late_cancel")], {}, True),
    ("late-cancel-does-not-count",
     [S(30, "attended"), S(20, "no_show"), S(10, "late_cancel")],
     {"attendance.late_cancel_counts_as_no_show": False}, False),
    ("late-cancel-not-counted-still-breaks-the-run",
     [S(30, "attended"), S(20, "no_show"), S(15, "late_cancel"), S(10, "no_show")],
     {"attendance.late_cancel_counts_as_no_show": False}, False),
    ("only-one-session", [S(10, "no_show")], {}, False),
    ("limit-3-two-in-a-row", [S(30, "attended"), S(20, "no_show"), S(10, "no_show")],
     {"attendance.consecutive_no_show_limit": 3}, False),
    ("limit-3-three-in-a-row",
     [S(40, "attended"), S(30, "no_show"), S(20, "no_show"), S(10, "no_show")],
     {"attendance.consecutive_no_show_limit": 3}, True),
    ("limit-1-one", [S(30, "attended"), S(10, "no_show")],
     {"attendance.consecutive_no_show_limit": 1}, True),
    ("limit-0-is-off",
     [S(40, "no_show"), S(30, "no_show"), S(20, "no_show"), S(10, "no_show")],
     {"attendance.consecutive_no_show_limit": 0}, False),
    ("no-window-for-the-run",
     [S(300, "attended"), S(250, "no_show"), S(200, "no_show")], {}, True),
    ("tie-attended-is-later-1",
     [S(20, "no_show"), S(10, "no_show"), S(10, "attended")], {}, False),
    ("tie-attended-is-later-1-reordered",
     [S(10, "attended"), S(10, "no_show"), S(20, "no_show")], {}, False),
    ("tie-attended-is-later-2",
     [S(10, "no_show"), S(10, "attended"), S(5, "no_show")], {}, False),
    ("tie-attended-is-later-2-reordered",
     [S(5, "no_show"), S(10, "attended"), S(10, "no_show")], {}, False),
    ("tie-uncounted-late-cancel-is-later",
     [S(30, "attended"), S(20, "no_show"), S(10, "late_cancel"), S(10, "no_show")],
     {"attendance.late_cancel_counts_as_no_show": False}, False),
    ("tie-two-no-shows-same-day", [S(30, "attended"), S(10, "no_show"), S(10, "no_show")],
     {}, True),
    ("tie-cancelled-same-day-is-skipped",
     [S(30, "attended"), S(20, "no_show"), S(10, "no_show"), S(10, "cancelled")], {}, True),
    ("unresolved-scheduled-not-counted",
     [S(30, "attended"), S(20, "no_show"), S(10, "no_show"), S(5, "scheduled")], {}, True),
    ("same-day-scheduled-not-counted",
     [S(30, "attended"), S(20, "no_show"), S(10, "no_show"), S(0, "scheduled")], {}, True),
    ("scheduled-between-not-counted",
     [S(30, "attended"), S(20, "no_show"), S(15, "scheduled"), S(10, "no_show")], {}, True),
    ("future-attended-not-recorded",
     [S(30, "attended"), S(20, "no_show"), S(10, "no_show"), S(-3, "attended")], {}, True),
    ("no-show-on-as-of-date",
     [S(30, "attended"), S(5, "no_show"), S(0, "no_show")], {}, True),
]


@pytest.mark.parametrize(
    ("sessions", "overrides", "raised"),
    [case[1:] for case in CONSECUTIVE_CASES],
    ids=[case[0] for case in CONSECUTIVE_CASES],
)
def test_consecutive_no_show_rule(sessions, overrides, raised):
    client = make_client(sessions=(*sessions, sess(ahead(7), "scheduled")))
    result = run(client, practice={**CONSECUTIVE_RULE_ONLY, **overrides})
    assert ("NO-SHOW-PATTERN" in codes(result)) is raised
    assert result.status == ("at_risk" if raised else "active")


@pytest.mark.parametrize(
    "discharge",
    [Discharge(planned_on=ahead(10)), Discharge(date=ahead(10)),
     Discharge(date=ago(1), reason="nonattendance", summary="Closed.",
               client_participated=True)],
    ids=["planned_on", "future-date", "discharged"],
)
def test_no_show_pattern_skips_discharge(discharge):
    marks = tuple(sess(ago(2 + 3 * i), "no_show") for i in range(5))
    client = make_client(sessions=(sess(ago(30)), *marks, sess(ahead(7), "scheduled")),
                         discharge=discharge)
    result = run(client)
    assert "NO-SHOW-PATTERN" not in codes(result)


# --- SESSION-UNRESOLVED ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "raised"),
    [(ago(1), True), (A, False), (ahead(1), False)],
    ids=["A-1", "A", "A+1"],
)
def test_session_unresolved_boundary(when, raised):
    client = make_client(sessions=(sess(ago(3)), sess(when, "scheduled"),
                                   sess(ahead(7), "scheduled")))
    result = run(client)
    assert ("SESSION-UNRESOLVED" in codes(result)) is raised
    assert result.status == "active"


@pytest.mark.parametrize("status", ["attended", "no_show", "late_cancel", "cancelled"])
def test_past_sessions_with_an_outcome_are_resolved(status):
    result = run(make_client(sessions=(sess(ago(1), status), *QUIET_SESSIONS)))
    assert "SESSION-UNRESOLVED" not in codes(result)


def test_session_unresolved_is_one_finding_naming_every_date():
    days = (ago(40), ago(3), ago(20))
    client = make_client(sessions=(*QUIET_SESSIONS, *(sess(d, "scheduled") for d in days)))
    result = run(client)
    found = finding(result, "SESSION-UNRESOLVED")
    for day in days:
        assert str(day) in found.message


def test_session_unresolved_for_discharged_client():
    client = discharged_client(sessions=(sess(ago(30)), sess(ago(10), "scheduled")))
    result = run(client)
    assert result.status == "discharged"
    assert codes(result) == ["SESSION-UNRESOLVED"]


def test_session_unresolved_after_discharge_date_for_discharged_client():
    client = discharged_client(on=ago(10), sessions=(sess(ago(30)), sess(ago(5), "scheduled")))
    result = run(client)
    assert codes(result) == ["SESSION-UNRESOLVED"]


def test_session_unresolved_for_planned_discharge():
    client = make_client(sessions=(sess(ago(30)), sess(ago(10), "scheduled")),
                         discharge=Discharge(planned_on=ahead(5)))
    result = run(client)
    assert result.status == "discharge_planned"
    assert codes(result) == ["SESSION-UNRESOLVED"]


def test_unresolved_session_is_neither_recorded_nor_upcoming():
    client = make_client(sessions=(sess(ago(30)), sess(ago(1), "scheduled")))
    result = run(client)
    assert result.last_session == ago(30)
    assert result.next_appointment is None
    assert codes(result) == ["NO-UPCOMING", "SESSION-UNRESOLVED"]


# --- DISCHARGE-OVERDUE and discharge planned ------------------------------------------


@pytest.mark.parametrize(
    ("planned", "overdue"),
    [(ago(1), True), (A, False), (ahead(1), False)],
    ids=["A-1", "A", "A+1"],
)
def test_discharge_overdue_boundary_planned_on(planned, overdue):
    result = run(make_client(discharge=Discharge(planned_on=planned)))
    assert result.status == "discharge_planned"
    assert ("DISCHARGE-OVERDUE" in codes(result)) is overdue
    assert result.discharge_date is None


def test_future_discharge_date_without_planned_on_means_planned():
    result = run(make_client(discharge=Discharge(date=ahead(1))))
    assert result.status == "discharge_planned"
    assert "DISCHARGE-OVERDUE" not in codes(result)
    assert result.discharge_date is None


def test_planned_on_wins_over_a_future_discharge_date():
    result = run(make_client(discharge=Discharge(date=ahead(5), planned_on=ago(2))))
    assert result.status == "discharge_planned"
    found = finding(result, "DISCHARGE-OVERDUE")
    assert str(ago(2)) in found.message


def test_discharged_client_with_past_planned_on_is_not_overdue():
    client = make_client(discharge=Discharge(date=ago(1), planned_on=ago(10), reason="other",
                                             summary="Done.", client_participated=True))
    result = run(client)
    assert result.status == "discharged"
    assert "DISCHARGE-OVERDUE" not in codes(result)


@pytest.mark.parametrize(
    ("day", "status"),
    [(ago(1), "discharged"), (A, "discharged"), (ahead(1), "discharge_planned")],
    ids=["A-1", "A", "A+1"],
)
def test_discharged_on_or_before_as_of(day, status):
    client = make_client(discharge=Discharge(date=day, reason="goals_met", summary="Done.",
                                             client_participated=True))
    result = run(client)
    assert result.status == status
    assert result.discharge_date == (day if status == "discharged" else None)


def test_discharge_without_dates_is_neither_discharged_nor_planned():
    result = run(make_client(discharge=Discharge(reason="client_request")))
    assert result.status == "active"
    assert result.discharge_date is None
    assert codes(result) == []


# --- DISCHARGE-SUMMARY-DUE / -MISSING -------------------------------------------------


@pytest.mark.parametrize(
    ("since", "code"),
    [(0, "DISCHARGE-SUMMARY-DUE"), (13, "DISCHARGE-SUMMARY-DUE"),
     (14, "DISCHARGE-SUMMARY-DUE"), (15, "DISCHARGE-SUMMARY-MISSING")],
    ids=["on-discharge", "deadline-1", "deadline", "deadline+1"],
)
@pytest.mark.parametrize("summary", [None, "", "  ", "\n\t"], ids=repr)
def test_discharge_summary_deadline(since, code, summary):
    # Deadline = discharge.date + summary_within_days (14).
    client = discharged_client(on=ago(since), summary=summary, sessions=(sess(ago(40)),),
                               contacts=(contact(ago(39)), contact(ago(38))))
    result = run(client)
    assert codes(result) == [code]
    deadline = ago(since) + timedelta(days=14)
    found = finding(result, code)
    assert found.due == deadline
    assert str(deadline) in found.message


@pytest.mark.parametrize("since", [0, 15, 300])
def test_discharge_summary_present(since):
    client = discharged_client(on=ago(since), summary="Goals met.", sessions=(sess(ago(350)),),
                               contacts=(contact(ago(349)), contact(ago(348))))
    result = run(client)
    assert codes(result) == []


@pytest.mark.parametrize(
    ("within", "since", "code"),
    [(0, 0, "DISCHARGE-SUMMARY-DUE"), (0, 1, "DISCHARGE-SUMMARY-MISSING"),
     (30, 30, "DISCHARGE-SUMMARY-DUE"), (30, 31, "DISCHARGE-SUMMARY-MISSING")],
)
def test_discharge_summary_uses_summary_within_days(within, since, code):
    client = discharged_client(on=ago(since), summary=None)
    result = run(client, practice={"discharge.summary_within_days": within})
    assert code in codes(result)


def test_no_summary_findings_for_a_planned_discharge():
    result = run(make_client(discharge=Discharge(date=ahead(1), planned_on=ago(20))))
    assert not {"DISCHARGE-SUMMARY-DUE", "DISCHARGE-SUMMARY-MISSING"} & set(codes(result))


# --- DISCHARGE-REASON-MISSING ---------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "raised"),
    [(None, True), ("goals_met", False), ("other", False), ("nonattendance", False)],
)
def test_discharge_reason(reason, raised):
    result = run(discharged_client(reason=reason))
    assert ("DISCHARGE-REASON-MISSING" in codes(result)) is raised


def test_no_reason_finding_for_planned_discharge():
    result = run(make_client(discharge=Discharge(date=ahead(3))))
    assert "DISCHARGE-REASON-MISSING" not in codes(result)


# --- DISCHARGE-OUTREACH-UNDOCUMENTED --------------------------------------------------

D = ago(5)  # the discharge date in these tests
L = ago(25)  # the last attended session on or before D
ONE_CONTACT = {"discharge.min_outreach_attempts": 1}


def outreach(result: Evaluation) -> bool:
    return "DISCHARGE-OUTREACH-UNDOCUMENTED" in codes(result)


@pytest.mark.parametrize(
    ("offset", "raised"),
    [(-1, True), (0, True), (1, False)],
    ids=["L-1", "L", "L+1"],
)
def test_outreach_window_starts_after_last_attended_session(offset, raised):
    client = discharged_client(on=D, sessions=(sess(ago(60)), sess(L)),
                               contacts=(contact(L + timedelta(days=offset)),))
    assert outreach(run(client, practice=ONE_CONTACT)) is raised


@pytest.mark.parametrize(
    ("offset", "raised"),
    [(-1, False), (0, False), (1, True)],
    ids=["D-1", "D", "D+1"],
)
def test_outreach_window_ends_on_discharge_date(offset, raised):
    client = discharged_client(on=D, sessions=(sess(L),),
                               contacts=(contact(D + timedelta(days=offset)),))
    assert outreach(run(client, practice=ONE_CONTACT)) is raised


@pytest.mark.parametrize(
    ("count", "raised"),
    [(0, True), (1, True), (2, False), (3, False)],
    ids=["0", "min-1", "min", "min+1"],
)
def test_outreach_count_against_min_attempts(count, raised):
    contacts = tuple(contact(L + timedelta(days=1 + i)) for i in range(count))
    client = discharged_client(on=D, sessions=(sess(L),), contacts=contacts)
    assert outreach(run(client)) is raised


def test_outreach_without_attended_session_counts_every_contact_up_to_discharge():
    client = discharged_client(
        on=D, sessions=(sess(ago(100), "no_show"), sess(ago(50), "cancelled")),
        contacts=(contact(ago(300)), contact(ago(200), "letter"), contact(D)),
    )
    result = run(client, practice={"discharge.min_outreach_attempts": 3})
    assert not outreach(result)


def test_outreach_without_attended_session_excludes_contacts_after_discharge():
    client = discharged_client(on=D, sessions=(),
                               contacts=(contact(ago(300)), contact(D + timedelta(days=1))))
    assert outreach(run(client))


def test_outreach_with_no_sessions_and_no_contacts():
    client = discharged_client(on=D, sessions=(), contacts=())
    assert outreach(run(client))


def test_outreach_attended_session_after_discharge_does_not_move_l():
    client = discharged_client(on=D, sessions=(sess(L), sess(ago(2))),
                               contacts=(contact(ago(20)), contact(ago(10))))
    result = run(client)
    assert not outreach(result)
    assert "ACTIVITY-AFTER-DISCHARGE" in codes(result)


def test_outreach_attended_on_discharge_date_leaves_an_empty_window():
    client = discharged_client(on=D, sessions=(sess(L), sess(D)),
                               contacts=(contact(ago(20)), contact(ago(10)), contact(D)))
    assert outreach(run(client, practice=ONE_CONTACT))


def test_outreach_no_show_after_l_does_not_move_l():
    client = discharged_client(on=D, sessions=(sess(L), sess(ago(15), "no_show")),
                               contacts=(contact(ago(20)), contact(ago(10))))
    assert not outreach(run(client))


def test_outreach_not_needed_when_client_participated():
    client = discharged_client(on=D, sessions=(sess(L),), contacts=(), participated=True)
    assert not outreach(run(client))


def test_outreach_not_needed_when_min_attempts_is_zero():
    client = discharged_client(on=D, sessions=(sess(L),), contacts=())
    assert not outreach(run(client, practice={"discharge.min_outreach_attempts": 0}))


def test_outreach_not_checked_for_planned_discharge():
    client = make_client(discharge=Discharge(date=ahead(3), planned_on=ahead(3)))
    assert not outreach(run(client))


def test_outreach_message_names_dates_and_numbers():
    client = discharged_client(on=D, sessions=(sess(L),), contacts=(contact(ago(10)),))
    payer = make_payer({"discharge.min_outreach_attempts": 3})
    found = finding(run(client, payer=payer), "DISCHARGE-OUTREACH-UNDOCUMENTED")
    assert str(D) in found.message
    assert str(L) in found.message
    assert "3" in found.message
    assert "Aetna" in found.message


# --- ACTIVITY-AFTER-DISCHARGE ---------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "raised"),
    [(ago(11), False), (ago(10), False), (ago(9), True), (A, True), (ahead(1), False)],
    ids=["D-1", "D", "D+1", "A", "A+1"],
)
def test_activity_after_discharge_boundary(when, raised):
    client = discharged_client(on=ago(10), sessions=(sess(ago(30)), sess(when)),
                               contacts=(contact(ago(29)), contact(ago(28))))
    result = run(client, practice=ONE_CONTACT)
    assert ("ACTIVITY-AFTER-DISCHARGE" in codes(result)) is raised
    assert result.status == "discharged"


@pytest.mark.parametrize("status", ["no_show", "late_cancel", "cancelled", "scheduled"])
def test_only_attended_sessions_are_activity_after_discharge(status):
    client = discharged_client(on=ago(10), sessions=(sess(ago(30)), sess(ago(5), status)))
    result = run(client)
    assert "ACTIVITY-AFTER-DISCHARGE" not in codes(result)


def test_activity_after_discharge_message_names_dates():
    client = discharged_client(on=ago(10), sessions=(sess(ago(30)), sess(ago(4)), sess(ago(6))))
    found = finding(run(client), "ACTIVITY-AFTER-DISCHARGE")
    assert str(ago(10)) in found.message
    assert str(ago(6)) in found.message


# --- status precedence ----------------------------------------------------------------

# Recent no-shows in a row and an old last attended session: a pattern, and
# inactive unless an appointment is booked.
PATTERN = (sess(ago(100)), sess(ago(20), "no_show"), sess(ago(10), "no_show"))


def test_status_discharged_beats_everything():
    client = discharged_client(on=ago(1), sessions=PATTERN, contacts=(), plans=(),
                               reason=None, summary=None)
    result = run(client)
    assert result.status == "discharged"
    assert not {"INACTIVE", "NO-SHOW-PATTERN", "NO-UPCOMING", "PLAN-MISSING"} & set(
        codes(result))


@pytest.mark.parametrize(
    "discharge", [Discharge(planned_on=ahead(10)), Discharge(date=ahead(10))],
    ids=["planned_on", "future-date"],
)
def test_status_discharge_planned_beats_inactive_and_at_risk(discharge):
    result = run(make_client(sessions=PATTERN, discharge=discharge))
    assert result.status == "discharge_planned"
    assert not {"INACTIVE", "NO-SHOW-PATTERN", "NO-UPCOMING"} & set(codes(result))


def test_status_inactive_beats_at_risk():
    result = run(make_client(sessions=PATTERN))
    assert result.status == "inactive"
    assert codes(result) == ["INACTIVE", "NO-SHOW-PATTERN"]


def test_status_at_risk():
    result = run(make_client(sessions=(*PATTERN, sess(ahead(3), "scheduled"))))
    assert result.status == "at_risk"
    assert codes(result) == ["NO-SHOW-PATTERN"]


def test_status_active_despite_other_findings():
    client = make_client(plans=(plan(ago(200)),),
                         sessions=(sess(ago(30)), sess(ago(2), "scheduled")))
    result = run(client)
    assert result.status == "active"
    assert codes(result) == ["PLAN-OVERDUE", "NO-UPCOMING", "SESSION-UNRESOLVED"]


# --- findings order -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        (make_client(plans=(), sessions=(*PATTERN, sess(ago(5), "scheduled"))),
         ["PLAN-MISSING", "INACTIVE", "NO-SHOW-PATTERN", "SESSION-UNRESOLVED"]),
        (make_client(plans=(plan(ago(100)),),
                     sessions=(sess(ago(30)), sess(ago(20), "no_show"), sess(ago(10), "no_show"),
                               sess(ago(3), "scheduled"))),
         ["PLAN-OVERDUE", "NO-UPCOMING", "NO-SHOW-PATTERN", "SESSION-UNRESOLVED"]),
        (make_client(plans=(plan(ago(85)),), sessions=(sess(ago(30)), sess(ago(2), "scheduled")),
                     discharge=Discharge(planned_on=ago(1))),
         ["PLAN-DUE-SOON", "SESSION-UNRESOLVED", "DISCHARGE-OVERDUE"]),
        (discharged_client(on=ago(20), sessions=(sess(ago(25)), sess(ago(5)),
                                                 sess(ago(3), "scheduled")),
                           contacts=(), reason=None, summary=None),
         ["SESSION-UNRESOLVED", "DISCHARGE-SUMMARY-MISSING", "DISCHARGE-REASON-MISSING",
          "DISCHARGE-OUTREACH-UNDOCUMENTED", "ACTIVITY-AFTER-DISCHARGE"]),
        (discharged_client(on=ago(3), sessions=(sess(ago(25)), sess(ago(1))), contacts=(),
                           reason=None, summary="  "),
         ["DISCHARGE-SUMMARY-DUE", "DISCHARGE-REASON-MISSING",
          "DISCHARGE-OUTREACH-UNDOCUMENTED", "ACTIVITY-AFTER-DISCHARGE"]),
    ],
    ids=["open-missing", "open-overdue", "planned", "discharged-late", "discharged-recent"],
)
def test_findings_in_table_order(client, expected):
    assert codes(run(client)) == expected


# --- policy layers change the outcome -------------------------------------------------


@pytest.mark.parametrize(
    ("practice", "payer_policy", "overdue"),
    [
        ({}, None, True),
        ({"treatment_plan.review_interval_days": 120}, None, False),
        ({"treatment_plan.review_interval_days": 60}, {}, True),
        ({"treatment_plan.review_interval_days": 60},
         {"treatment_plan.review_interval_days": 180}, False),
        ({"treatment_plan.review_interval_days": 120},
         {"treatment_plan.review_interval_days": 95}, True),
        ({"treatment_plan.review_interval_days": 120},
         {"treatment_plan.review_interval_days": 100}, False),
        ({}, {"treatment_plan.review_interval_days": 99}, True),
    ],
    ids=["default", "practice", "payer-silent", "payer-longer", "payer-stricter",
         "payer-boundary", "payer-over-default"],
)
def test_review_interval_layers(practice, payer_policy, overdue):
    client = make_client(plans=(plan(ago(100)),),
                         payer="aetna" if payer_policy is not None else None)
    payer = make_payer(payer_policy) if payer_policy is not None else None
    result = run(client, practice=practice, payer=payer)
    assert ("PLAN-OVERDUE" in codes(result)) is overdue


def test_spec_example_plan_overdue_message():
    # "treatment plan last updated 2026-04-02, 240 days ago; Aetna requires
    # every 180 days; overdue since 2026-09-29"
    client = make_client(plans=(plan(date(2026, 4, 2)),), payer="aetna")
    payer = make_payer({"treatment_plan.review_interval_days": 180,
                        "attendance.no_show_limit": 2})
    result = run(client, practice={"treatment_plan.review_interval_days": 90}, payer=payer)
    assert result.plan_due == date(2026, 9, 29)
    assert result.plan_age_days == 240
    found = finding(result, "PLAN-OVERDUE")
    for part in ("2026-04-02", "2026-09-29", "240", "180", "Aetna"):
        assert part in found.message
    assert found.due == date(2026, 9, 29)


def test_plan_overdue_message_names_the_practice_when_it_sets_the_interval():
    result = run(make_client(plans=(plan(ago(130)),)),
                 practice={"treatment_plan.review_interval_days": 120})
    found = finding(result, "PLAN-OVERDUE")
    assert PRACTICE in found.message
    assert "120" in found.message


@pytest.mark.parametrize(
    ("practice", "payer_policy", "raised"),
    [
        ({}, None, False),
        ({"attendance.no_show_limit": 2}, None, True),
        ({"attendance.no_show_limit": 2}, {"attendance.no_show_limit": 3}, False),
        ({}, {"attendance.no_show_limit": 2}, True),
        ({"attendance.no_show_limit": 2},
         {"attendance.late_cancel_counts_as_no_show": False}, False),
        ({"attendance.no_show_limit": 2, "attendance.late_cancel_counts_as_no_show": False},
         {"attendance.late_cancel_counts_as_no_show": True}, True),
        ({}, {"attendance.no_show_limit": 2, "attendance.no_show_window_days": 10}, False),
    ],
)
def test_no_show_policy_layers(practice, payer_policy, raised):
    client = no_show_client(sess(ago(5), "no_show"), sess(ago(20), "late_cancel"))
    payer = make_payer(payer_policy) if payer_policy is not None else None
    result = run(client, practice={**COUNT_RULE_ONLY, **practice}, payer=payer)
    assert ("NO-SHOW-PATTERN" in codes(result)) is raised


@pytest.mark.parametrize(
    ("practice", "payer_policy", "raised"),
    [
        ({}, None, True),
        ({"attendance.consecutive_no_show_limit": 0}, None, False),
        ({"attendance.consecutive_no_show_limit": 0},
         {"attendance.consecutive_no_show_limit": 2}, True),
        ({}, {"attendance.consecutive_no_show_limit": 0}, False),
    ],
)
def test_consecutive_limit_layers(practice, payer_policy, raised):
    client = make_client(sessions=(sess(ago(30)), sess(ago(10), "no_show"),
                                   sess(ago(1), "no_show"), sess(ahead(7), "scheduled")))
    payer = make_payer(payer_policy) if payer_policy is not None else None
    result = run(client, practice={**CONSECUTIVE_RULE_ONLY, **practice}, payer=payer)
    assert ("NO-SHOW-PATTERN" in codes(result)) is raised


@pytest.mark.parametrize(
    ("practice", "payer_policy", "code"),
    [
        ({}, None, "DISCHARGE-SUMMARY-MISSING"),
        ({"discharge.summary_within_days": 30}, None, "DISCHARGE-SUMMARY-DUE"),
        ({"discharge.summary_within_days": 30},
         {"discharge.summary_within_days": 19}, "DISCHARGE-SUMMARY-MISSING"),
        ({}, {"discharge.summary_within_days": 20}, "DISCHARGE-SUMMARY-DUE"),
    ],
)
def test_summary_within_layers(practice, payer_policy, code):
    payer = make_payer(payer_policy) if payer_policy is not None else None
    result = run(discharged_client(on=ago(20), summary=None), practice=practice, payer=payer)
    assert code in codes(result)


@pytest.mark.parametrize(
    ("practice", "payer_policy", "inactive"),
    [
        ({}, None, True),
        ({"attendance.inactive_after_days": 90}, None, False),
        ({"attendance.inactive_after_days": 90},
         {"attendance.inactive_after_days": 69}, True),
        ({}, {"attendance.inactive_after_days": 70}, False),
    ],
)
def test_inactive_after_layers(practice, payer_policy, inactive):
    payer = make_payer(payer_policy) if payer_policy is not None else None
    result = run(make_client(sessions=(sess(ago(70)),)), practice=practice, payer=payer)
    assert ("INACTIVE" in codes(result)) is inactive


@pytest.mark.parametrize(
    ("practice", "payer_policy", "missing"),
    [
        ({}, None, True),
        ({"treatment_plan.initial_within_days": 40}, None, False),
        ({"treatment_plan.initial_within_days": 40},
         {"treatment_plan.initial_within_days": 34}, True),
        ({}, {"treatment_plan.initial_within_days": 35}, False),
    ],
)
def test_initial_within_layers(practice, payer_policy, missing):
    payer = make_payer(payer_policy) if payer_policy is not None else None
    client = make_client(intake=ago(35), plans=(), sessions=(sess(ahead(7), "scheduled"),))
    result = run(client, practice=practice, payer=payer)
    assert ("PLAN-MISSING" in codes(result)) is missing


@pytest.mark.parametrize(
    ("practice", "payer_policy", "due_soon"),
    [
        ({}, None, False),
        ({"treatment_plan.due_soon_days": 20}, None, True),
        ({"treatment_plan.due_soon_days": 20}, {"treatment_plan.due_soon_days": 19}, False),
        ({}, {"treatment_plan.due_soon_days": 20}, True),
    ],
)
def test_due_soon_layers(practice, payer_policy, due_soon):
    payer = make_payer(payer_policy) if payer_policy is not None else None
    result = run(make_client(plans=(plan(ago(70)),)), practice=practice, payer=payer)
    assert ("PLAN-DUE-SOON" in codes(result)) is due_soon


@pytest.mark.parametrize(
    ("practice", "payer_policy", "raised"),
    [
        ({}, None, True),
        ({"discharge.min_outreach_attempts": 1}, None, False),
        ({"discharge.min_outreach_attempts": 1},
         {"discharge.min_outreach_attempts": 2}, True),
        ({}, {"discharge.min_outreach_attempts": 0}, False),
    ],
)
def test_min_outreach_layers(practice, payer_policy, raised):
    payer = make_payer(payer_policy) if payer_policy is not None else None
    client = discharged_client(on=D, sessions=(sess(L),), contacts=(contact(ago(10)),))
    assert outreach(run(client, practice=practice, payer=payer)) is raised


# --- the JSON-ish fields --------------------------------------------------------------


def test_fields_of_an_ordinary_client():
    sessions = (sess(ahead(20), "scheduled"), sess(ago(40)), sess(ahead(5), "scheduled"),
                sess(ago(12)), sess(ago(3), "no_show"), sess(ago(1), "cancelled"),
                sess(ahead(2), "cancelled"), sess(ago(25)))
    client = make_client(intake=ago(300), plans=(plan(ago(200)), plan(ago(33)), plan(ago(90))),
                         sessions=sessions)
    result = run(client)
    assert result.last_session == ago(12)
    assert result.days_since_last_session == 12
    assert result.next_appointment == ahead(5)
    assert result.plan_date == ago(33)
    assert result.plan_age_days == 33
    assert result.plan_due == ago(33) + timedelta(days=90)
    assert result.discharge_date is None


def test_fields_without_sessions_or_plans():
    result = run(make_client(intake=ago(10), sessions=(), plans=()))
    assert result.last_session is None
    assert result.days_since_last_session is None
    assert result.next_appointment is None
    assert result.plan_date is None
    assert result.plan_age_days is None
    assert result.plan_due == ago(10) + timedelta(days=30)
    assert result.discharge_date is None


def test_plan_due_without_plan_uses_policy_initial_within_days():
    client = make_client(intake=ago(10), plans=())
    payer = make_payer({"treatment_plan.initial_within_days": 7})
    result = run(client, practice={"treatment_plan.initial_within_days": 45}, payer=payer)
    assert result.plan_due == ago(3)


def test_plan_due_with_plan_uses_policy_review_interval():
    result = run(make_client(plans=(plan(ago(10)),)),
                 practice={"treatment_plan.review_interval_days": 180})
    assert result.plan_due == ago(10) + timedelta(days=180)


def test_last_session_is_attended_only_and_not_after_as_of():
    sessions = (sess(ago(50)), sess(ago(4), "no_show"), sess(ago(3), "late_cancel"),
                sess(ago(2), "cancelled"), sess(ago(1), "scheduled"), sess(ahead(1)))
    result = run(make_client(sessions=sessions))
    assert result.last_session == ago(50)
    assert result.days_since_last_session == 50


def test_last_session_on_as_of():
    result = run(make_client(sessions=(sess(ago(50)), sess(A))))
    assert result.last_session == A
    assert result.days_since_last_session == 0


def test_discharge_date_only_when_discharged():
    assert run(discharged_client(on=ago(5))).discharge_date == ago(5)
    assert run(discharged_client(on=A)).discharge_date == A
    assert run(make_client(discharge=Discharge(date=ahead(5)))).discharge_date is None
    assert run(make_client(discharge=Discharge(planned_on=ago(5)))).discharge_date is None
    assert run(make_client()).discharge_date is None


def test_same_client_evaluated_on_different_days():
    client = make_client(intake=date(2026, 1, 1), plans=(plan(date(2026, 1, 20)),),
                         sessions=(sess(date(2026, 2, 1)), sess(date(2026, 5, 1), "scheduled")))
    early = run(client, as_of=date(2026, 2, 10))
    assert early.last_session == date(2026, 2, 1)
    assert early.next_appointment == date(2026, 5, 1)
    assert early.status == "active"
    later = run(client, as_of=date(2026, 5, 2))
    assert later.next_appointment is None
    assert "SESSION-UNRESOLVED" in codes(later)
    assert "PLAN-OVERDUE" in codes(later)  # 2026-01-20 + 90 = 2026-04-20


# --- messages name what matters -------------------------------------------------------

Trigger = Callable[[], tuple[Evaluation, list[str]]]


def _msg_plan_missing():
    result = run(make_client(intake=ago(40), plans=(), sessions=QUIET_SESSIONS))
    return result, [str(ago(40)), str(ago(10))]


def _msg_plan_overdue():
    result = run(make_client(plans=(plan(ago(100)),)))
    return result, [str(ago(100)), str(ago(10)), "90"]


def _msg_plan_due_soon_plan():
    result = run(make_client(plans=(plan(ago(80)),)))
    return result, [str(ahead(10))]


def _msg_plan_due_soon_first():
    result = run(make_client(intake=ago(25), plans=(), sessions=QUIET_SESSIONS))
    return result, [str(ahead(5))]


def _msg_inactive_session():
    result = run(make_client(sessions=(sess(ago(70)),)))
    return result, [str(ago(70)), "60"]


def _msg_inactive_intake():
    result = run(make_client(intake=ago(70), sessions=(), plans=(plan(ago(5)),)))
    return result, [str(ago(70)), "60"]


def _msg_no_upcoming():
    result = run(make_client(sessions=(sess(ago(20)),)))
    return result, [str(ago(20))]


def _msg_no_show_count():
    client = no_show_client(sess(ago(5), "no_show"), sess(ago(10), "no_show"),
                            sess(ago(15), "no_show"))
    return run(client, practice=COUNT_RULE_ONLY), ["3", "90"]


def _msg_no_show_consecutive():
    client = make_client(sessions=(sess(ago(20)), sess(ago(10), "no_show"),
                                   sess(ago(5), "no_show"), sess(ahead(7), "scheduled")))
    return run(client, practice=CONSECUTIVE_RULE_ONLY), [str(ago(5)), str(ago(10))]


def _msg_unresolved():
    client = make_client(sessions=(*QUIET_SESSIONS, sess(ago(4), "scheduled")))
    return run(client), [str(ago(4))]


def _msg_discharge_overdue():
    return run(make_client(discharge=Discharge(planned_on=ago(6)))), [str(ago(6))]


def _msg_summary_due():
    return run(discharged_client(on=ago(4), summary=None)), [str(ahead(10))]


def _msg_summary_missing():
    return run(discharged_client(on=ago(20), summary=None)), [str(ago(6))]


def _msg_reason_missing():
    return run(discharged_client(on=ago(7), reason=None)), [str(ago(7))]


def _msg_outreach():
    client = discharged_client(on=ago(5), sessions=(sess(ago(30)),), contacts=())
    return run(client), [str(ago(5)), str(ago(30))]


def _msg_outreach_no_session():
    client = discharged_client(on=ago(5), sessions=(), contacts=(contact(ago(50)),))
    return run(client), [str(ago(5)), "2"]


def _msg_activity():
    client = discharged_client(on=ago(8), sessions=(sess(ago(30)), sess(ago(3))))
    return run(client), [str(ago(8)), str(ago(3))]


def _msg_note_missing():
    client = make_client(sessions=(sess(ago(10)), sess(ahead(7), "scheduled")))
    return run(client, practice={"documentation.note_within_days": 3}), [
        str(ago(10)), str(ago(7)), "3 days", PRACTICE]


def _msg_note_late():
    client = make_client(sessions=(Session(ago(10), "attended", note_signed=ago(2)),
                                   sess(ahead(7), "scheduled")))
    return run(client, practice={"documentation.note_within_days": 3}), [
        str(ago(10)), str(ago(2)), "8 days", "3 days", PRACTICE]


def _msg_plan_unsigned():
    client = make_client(plans=(TreatmentPlan(ago(20), provider_signed_on=ago(20)),))
    return run(client, practice={"documentation.plan_signatures_required": True}), [
        str(ago(20)), str(ago(6)), "14 days", "client's signature", PRACTICE]


MESSAGE_CASES: list[tuple[str, Trigger]] = [
    ("PLAN-MISSING", _msg_plan_missing),
    ("PLAN-OVERDUE", _msg_plan_overdue),
    ("PLAN-DUE-SOON", _msg_plan_due_soon_plan),
    ("PLAN-DUE-SOON", _msg_plan_due_soon_first),
    ("INACTIVE", _msg_inactive_session),
    ("INACTIVE", _msg_inactive_intake),
    ("NO-UPCOMING", _msg_no_upcoming),
    ("NO-SHOW-PATTERN", _msg_no_show_count),
    ("NO-SHOW-PATTERN", _msg_no_show_consecutive),
    ("SESSION-UNRESOLVED", _msg_unresolved),
    ("DISCHARGE-OVERDUE", _msg_discharge_overdue),
    ("DISCHARGE-SUMMARY-DUE", _msg_summary_due),
    ("DISCHARGE-SUMMARY-MISSING", _msg_summary_missing),
    ("DISCHARGE-REASON-MISSING", _msg_reason_missing),
    ("DISCHARGE-OUTREACH-UNDOCUMENTED", _msg_outreach),
    ("DISCHARGE-OUTREACH-UNDOCUMENTED", _msg_outreach_no_session),
    ("ACTIVITY-AFTER-DISCHARGE", _msg_activity),
    ("NOTE-MISSING", _msg_note_missing),
    ("NOTE-LATE", _msg_note_late),
    ("PLAN-UNSIGNED", _msg_plan_unsigned),
]


def test_message_cases_cover_every_code():
    assert {code for code, _ in MESSAGE_CASES} == set(ORDER)


@pytest.mark.parametrize(("code", "trigger"), MESSAGE_CASES,
                         ids=[f"{c}-{t.__name__}" for c, t in MESSAGE_CASES])
def test_message_names_dates_and_numbers(code, trigger):
    result, parts = trigger()
    found = finding(result, code)
    assert found.severity == SEVERITY[code]
    assert found.message.strip()
    for part in parts:
        assert part in found.message, (part, found.message)


@pytest.mark.parametrize(
    ("trigger", "code", "due"),
    [
        (_msg_plan_missing, "PLAN-MISSING", ago(10)),
        (_msg_plan_overdue, "PLAN-OVERDUE", ago(10)),
        (_msg_plan_due_soon_plan, "PLAN-DUE-SOON", ahead(10)),
        (_msg_plan_due_soon_first, "PLAN-DUE-SOON", ahead(5)),
        (_msg_summary_due, "DISCHARGE-SUMMARY-DUE", ahead(10)),
        (_msg_summary_missing, "DISCHARGE-SUMMARY-MISSING", ago(6)),
    ],
)
def test_due_dates_of_deadline_findings(trigger, code, due):
    result, _ = trigger()
    assert finding(result, code).due == due


# --- the attendance facts against the contract's literal definitions -----------------
# The engine sorts the sessions in one pass and finds the no-show streak without
# sorting them all; on any sessions, in any order, with ties on one day, it must
# agree with the definitions read word for word.


def _is_no_show(session: Session, late_cancel_counts: bool) -> bool:
    return session.status == "no_show" or (session.status == "late_cancel" and late_cancel_counts)


def _contract_streak(recorded: list[Session], limit: int, late_cancel_counts: bool
                     ) -> list[Session]:
    if limit <= 0:
        return []
    ordered = sorted((s for s in recorded if s.status not in ("cancelled", "clinician_cancelled")),
                     key=lambda s: (s.date, not _is_no_show(s, late_cancel_counts)))
    latest = ordered[-limit:]
    if len(latest) == limit and all(_is_no_show(s, late_cancel_counts) for s in latest):
        return latest
    return []


ANY_SESSION = st.builds(sess, st.integers(-12, 12).map(ago), st.sampled_from(SESSION_STATUSES))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(sessions=st.lists(ANY_SESSION, max_size=14), limit=st.integers(0, 4),
       late_cancel_counts=st.booleans(), window=st.sampled_from([1, 2, 5, 10, 10**7]))
def test_attendance_facts_match_the_definitions(sessions, limit, late_cancel_counts, window):
    client = make_client(sessions=tuple(sessions))
    result = run(client, practice={"attendance.consecutive_no_show_limit": limit,
                                   "attendance.late_cancel_counts_as_no_show": late_cancel_counts,
                                   "attendance.no_show_window_days": window,
                                   "attendance.no_show_limit": 999})
    recorded = [s for s in sessions if s.date <= A and s.status != "scheduled"]
    upcoming = [s for s in sessions
                if (s.date > A and s.status not in ("cancelled", "clinician_cancelled"))
                or (s.date == A and s.status == "scheduled")]
    assert list(result.recorded) == recorded
    assert list(result.upcoming) == upcoming
    assert list(result.unresolved) == [s for s in sessions
                                       if s.date < A and s.status == "scheduled"]
    assert result.next_appointment == min((s.date for s in upcoming), default=None)
    assert result.last_session == max((s.date for s in recorded if s.status == "attended"),
                                      default=None)
    assert result.no_shows_in_window == sum(
        1 for s in recorded
        if _is_no_show(s, late_cancel_counts) and 0 <= (A - s.date).days < window)
    streak = _contract_streak(recorded, limit, late_cancel_counts)
    unresolved = [s for s in sessions if s.date < A and s.status == "scheduled"]
    if unresolved:
        assert finding(result, "SESSION-UNRESOLVED").due == min(s.date for s in unresolved)
    else:
        assert "SESSION-UNRESOLVED" not in codes(result)
    if streak:
        dates = ", ".join(str(s.date) for s in streak)
        assert f"in a row were no-shows ({dates})" in finding(result, "NO-SHOW-PATTERN").message
    else:
        assert "NO-SHOW-PATTERN" not in codes(result)


# --- what the outputs read: the history, the window ------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True)
@given(sessions=st.lists(ANY_SESSION, max_size=14), late_cancel_counts=st.booleans())
def test_history_is_every_session_in_date_order_with_its_state(sessions, late_cancel_counts):
    result = run(make_client(sessions=tuple(sessions)),
                 practice={"attendance.late_cancel_counts_as_no_show": late_cancel_counts})

    def state(s: Session) -> str | None:
        if s.date <= A and s.status != "scheduled":
            return "recorded"
        if (s.date > A and s.status not in ("cancelled", "clinician_cancelled")) or (
                s.date == A and s.status == "scheduled"):
            return "upcoming"
        if s.date < A and s.status == "scheduled":
            return "unresolved"
        return None

    by_date = sorted(sessions, key=lambda s: s.date)  # stable: one day keeps listed order
    history = result.history()
    assert [entry.session for entry in history] == by_date
    assert all(a.session is b for a, b in zip(history, by_date, strict=True))
    assert [entry.state for entry in history] == [state(s) for s in by_date]
    assert [entry.no_show for entry in history] == [
        _is_no_show(s, late_cancel_counts) for s in by_date]
    latest = sorted(sessions, key=lambda s: s.date, reverse=True)
    assert [entry.session for entry in result.history(latest_first=True)] == latest


def test_history_keeps_same_day_sessions_in_listed_order_both_ways():
    first, second, other = sess(ago(3), "no_show"), sess(ago(3)), sess(ago(9))
    result = run(make_client(sessions=(first, other, second)))
    assert [e.session for e in result.history()] == [other, first, second]
    assert [e.session for e in result.history(latest_first=True)] == [first, second, other]


@pytest.mark.parametrize(("window", "start"), [
    (1, A), (90, ago(89)), ((A - date.min).days + 1, date.min),
    ((A - date.min).days + 2, date.min), (10**12, date.min),
])
def test_window_start_and_counts(window, start):
    sessions = (sess(date.min, "no_show"), sess(ago(89), "late_cancel"), sess(ago(90)),
                sess(A, "cancelled"), sess(A, "scheduled"), sess(ahead(1), "no_show"))
    result = run(make_client(sessions=sessions),
                 practice={"attendance.no_show_window_days": window})
    assert result.window_start == start
    inside = [s for s in result.recorded if 0 <= (A - s.date).days < window]
    assert result.window_counts == {
        status: sum(1 for s in inside if s.status == status)
        for status in ("attended", "no_show", "late_cancel", "cancelled", "clinician_cancelled")}
    assert result.no_shows_in_window == sum(1 for s in inside
                                            if s.status in ("no_show", "late_cancel"))


# --- the registry: each rule declared once ----------------------------------------------


def test_the_registry_is_the_findings_table():
    assert [(r.code, r.severity) for r in RULES] == list(TABLE)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_is_fully_declared(rule):
    assert rule.action in ACTION_GROUPS
    assert all(key in SETTINGS_BY_KEY for key in rule.policy_keys)
    assert len(set(rule.policy_keys)) == len(rule.policy_keys)
    assert rule.when.strip() and rule.example.strip()
    assert "|" not in rule.when + rule.example  # they are cells of the README's table
    assert callable(rule.check)


def test_every_action_group_has_a_rule():
    assert {r.action for r in RULES} == set(ACTION_GROUPS)


def test_events_of_one_kind_are_alike_but_for_their_words():
    kinds: dict[str, set[bool]] = {}
    for rule in RULES:
        if rule.calendar is not None:
            kinds.setdefault(rule.calendar.kind, set()).add(rule.calendar.day is None)
    # An event either stands (has a day of its own) or exists through its findings.
    assert all(len(standing) == 1 for standing in kinds.values()), kinds


@pytest.mark.parametrize("trigger", [t for _, t in MESSAGE_CASES],
                         ids=[f"{c}-{t.__name__}" for c, t in MESSAGE_CASES])
def test_a_finding_is_overdue_when_its_due_date_has_passed(trigger):
    result, _ = trigger()
    for found in result.findings:
        assert found.overdue == (found.due is not None and found.due < A), found


# --- the calendar's events, as the evaluation gives them --------------------------------


def deadlines(result: Evaluation) -> list[tuple[str, date | None, date, bool, list[str]]]:
    return [(d.event.kind, d.due, d.day, d.overdue, [f.code for f in d.findings])
            for d in result.deadlines]


def test_an_open_client_has_its_plan_due_date_in_the_calendar():
    result = run(make_client())
    assert deadlines(result) == [("plan-due", ago(10) + timedelta(days=90),
                                  ago(10) + timedelta(days=90), False, [])]
    assert result.deadlines[0].event is PLAN_DUE


@pytest.mark.parametrize(("plans", "intake", "event", "code"), [
    ((), ago(40), FIRST_PLAN_DUE, "PLAN-MISSING"),
    ((plan(ago(100)),), INTAKE, PLAN_DUE, "PLAN-OVERDUE"),
])
def test_an_overdue_plan_moves_to_the_as_of_date(plans, intake, event, code):
    result = run(make_client(plans=plans, intake=intake))
    (deadline,) = result.deadlines
    assert deadline.event is event
    assert deadline.due == result.plan_due < A
    assert (deadline.day, deadline.overdue, [f.code for f in deadline.findings]) == (
        A, True, [code])


@pytest.mark.parametrize(("plans", "event"), [((), FIRST_PLAN_DUE), ((plan(ago(80)),), PLAN_DUE)])
def test_a_plan_due_soon_is_listed_in_its_plan_event(plans, event):
    intake = ago(20) if not plans else INTAKE
    result = run(make_client(plans=plans, intake=intake))
    (deadline,) = result.deadlines
    assert deadline.event is event and deadline.day == deadline.due > A
    assert [f.code for f in deadline.findings] == ["PLAN-DUE-SOON"]


@pytest.mark.parametrize(("planned", "overdue"), [(ago(1), True), (A, False), (ahead(3), False)])
def test_a_planned_discharge_is_in_the_calendar(planned, overdue):
    result = run(make_client(discharge=Discharge(planned_on=planned)))
    found = [d for d in result.deadlines if d.event is PLANNED_DISCHARGE]
    assert [(d.due, d.day, d.overdue, [f.code for f in d.findings]) for d in found] == [
        (planned, A if overdue else planned, overdue, ["DISCHARGE-OVERDUE"] if overdue else [])]


def test_a_discharged_client_has_only_what_its_findings_name():
    result = run(discharged_client(on=ago(20), sessions=(sess(ago(25)), sess(ago(5)),
                                                         sess(ago(3), "scheduled")),
                                   contacts=(), reason=None, summary=None))
    assert deadlines(result) == [
        ("overdue-session-unresolved", ago(3), A, True, ["SESSION-UNRESOLVED"]),
        ("discharge-summary-due", ago(6), A, True, ["DISCHARGE-SUMMARY-MISSING"]),
        ("overdue-discharge-reason-missing", None, A, True, ["DISCHARGE-REASON-MISSING"]),
        ("overdue-discharge-outreach-undocumented", None, A, True,
         ["DISCHARGE-OUTREACH-UNDOCUMENTED"]),
        ("overdue-activity-after-discharge", None, A, True, ["ACTIVITY-AFTER-DISCHARGE"]),
    ]
    assert result.deadlines[1].event is DISCHARGE_SUMMARY_DUE
    recent = run(discharged_client(on=ago(3), summary=" "))
    assert deadlines(recent) == [
        ("discharge-summary-due", ahead(11), ahead(11), False, ["DISCHARGE-SUMMARY-DUE"])]


def test_findings_without_a_calendar_event_stay_out_of_it():
    result = run(make_client(sessions=PATTERN))
    assert {"INACTIVE", "NO-SHOW-PATTERN"} <= set(codes(result))
    assert [d.event.kind for d in result.deadlines] == ["plan-due"]
    assert result.deadlines[0].findings == ()


def test_plans_in_date_order_with_whether_the_rules_read_them():
    later, first, same_day, old = plan(ahead(1)), plan(A), TreatmentPlan(A, note="b"), plan(ago(9))
    result = run(make_client(plans=(later, first, old, same_day)))
    assert [(p.plan, p.counted) for p in result.plans()] == [
        (old, True), (first, True), (same_day, True), (later, False)]
    assert [p.plan for p in result.plans(latest_first=True)] == [later, first, same_day, old]


@pytest.mark.parametrize(("plan_age", "overdue"), [(89, False), (90, False), (91, True)])
def test_plan_overdue_is_the_plan_rules_boundary(plan_age, overdue):
    result = run(make_client(plans=(plan(ago(plan_age)),)))
    assert result.plan_overdue is overdue
    assert ("PLAN-OVERDUE" in codes(result)) is overdue


@pytest.mark.parametrize(("summary", "given"), [
    (None, False), ("", False), ("  \n ", False), ("Closed.", True)])
def test_a_blank_discharge_summary_counts_as_none(summary, given):
    result = run(discharged_client(on=ago(30), summary=summary))
    assert result.has_discharge_summary is given
    assert ("DISCHARGE-SUMMARY-MISSING" in codes(result)) is not given

"""The (v2) documentation findings, NOTE-MISSING, NOTE-LATE and PLAN-UNSIGNED, against
the contract: each threshold on the day before, the day of and the day after."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from generator.model.records import Session, TreatmentPlan
from generator.rules.engine import evaluate
from tests.test_rules import (
    A,
    ago,
    ahead,
    codes,
    discharged_client,
    finding,
    make_client,
    make_payer,
    make_policy,
    plan,
    run,
    sess,
)

NOTES = {"documentation.note_within_days": 3}


def signed(day: date, on: date | bool, status: str = "attended") -> Session:
    return Session(date=day, status=status, note_signed=on)


def with_sessions(*sessions: Session) -> Any:
    return make_client(sessions=(*sessions, sess(ahead(7), "scheduled")))


# --- NOTE-MISSING -------------------------------------------------------------------------


@pytest.mark.parametrize(("days_ago", "missing"), [(2, False), (3, False), (4, True)])
def test_note_missing_after_note_within_days(days_ago, missing):
    result = run(with_sessions(sess(ago(days_ago))), practice=NOTES)
    assert ("NOTE-MISSING" in codes(result)) is missing
    if missing:
        f = finding(result, "NOTE-MISSING")
        assert f.message == (
            f"1 attended session without a signed progress note ({ago(4)}, due {ago(1)}, "
            "1 day ago); Riverside Counseling requires notes signed within 3 days")
        assert f.due == ago(1)
        assert f.overdue


def test_note_tracking_is_off_by_default():
    result = run(with_sessions(sess(ago(40)), sess(ago(30))))
    assert not {"NOTE-MISSING", "NOTE-LATE"} & set(codes(result))


@pytest.mark.parametrize("within", [0, 3])
@pytest.mark.parametrize(("signed_on", "missing"), [
    (False, True), (True, False), ("day after A", True), ("A", False)])
def test_what_counts_as_signed_by_the_report_date(within, signed_on, missing):
    on = {"day after A": ahead(1), "A": A}.get(signed_on, signed_on)
    result = run(with_sessions(signed(ago(20), on)),
                 practice={"documentation.note_within_days": within})
    assert ("NOTE-MISSING" in codes(result)) is missing


def test_only_attended_recorded_sessions_are_checked():
    sessions = [sess(ago(20), status) for status in
                ("no_show", "late_cancel", "cancelled", "clinician_cancelled")]
    result = run(with_sessions(*sessions, sess(ago(20), "scheduled")), practice=NOTES)
    assert not {"NOTE-MISSING", "NOTE-LATE"} & set(codes(result))


@pytest.mark.parametrize(("start", "checked"), [(ago(21), True), (ago(20), True),
                                                (ago(19), False)])
def test_notes_checked_from(start, checked):
    result = run(with_sessions(sess(ago(20))),
                 practice={**NOTES, "documentation.notes_checked_from": start})
    assert ("NOTE-MISSING" in codes(result)) is checked


def test_note_missing_counts_and_names_the_earliest_and_who_requires_it():
    payer = make_payer({"documentation.note_within_days": 2}, name="Summit Health")
    result = run(make_client(payer="aetna", sessions=(
        sess(ago(10)), sess(ago(30)), signed(ago(20), ago(19)), sess(ago(1)))), payer=payer)
    assert finding(result, "NOTE-MISSING").message == (
        f"2 attended sessions without a signed progress note (the earliest {ago(30)}, due "
        f"{ago(28)}, 28 days ago); Summit Health requires notes signed within 2 days")


def test_a_payer_null_keeps_the_practice_note_policy():
    # a null in a payer file is "not given" (the reader leaves it out): the practice stands
    payer = make_payer({})
    result = run(make_client(payer="aetna", sessions=(sess(ago(10)),)), practice=NOTES,
                 payer=payer)
    assert "NOTE-MISSING" in codes(result)


# --- NOTE-LATE ----------------------------------------------------------------------------


@pytest.mark.parametrize(("signed_after", "late"), [(2, False), (3, False), (4, True)])
def test_note_late_after_note_within_days(signed_after, late):
    day = ago(20)
    result = run(with_sessions(signed(day, date.fromordinal(day.toordinal() + signed_after))),
                 practice=NOTES)
    assert ("NOTE-LATE" in codes(result)) is late
    assert "NOTE-MISSING" not in codes(result)
    if late:
        assert finding(result, "NOTE-LATE").message == (
            f"1 progress note signed late (the session of {day}, signed {ago(16)}, 4 days "
            "after it); Riverside Counseling requires notes signed within 3 days")
        assert finding(result, "NOTE-LATE").due is None


def test_note_late_names_the_latest_and_ignores_signatures_after_the_report_date():
    result = run(with_sessions(signed(ago(40), ago(30)), signed(ago(20), ago(10)),
                               signed(ago(10), ahead(2)), signed(ago(9), True)),
                 practice=NOTES)
    assert finding(result, "NOTE-LATE").message.startswith(
        f"2 progress notes signed late (the latest: the session of {ago(20)}, signed "
        f"{ago(10)}, 10 days after it)")
    assert "NOTE-MISSING" in codes(result)  # the note signed after A is missing on A


def test_signed_true_is_never_late():
    result = run(with_sessions(signed(ago(300), True)), practice={
        "documentation.note_within_days": 0})
    assert not {"NOTE-MISSING", "NOTE-LATE"} & set(codes(result))


def test_notes_are_checked_for_discharged_clients_too():
    client = discharged_client(sessions=(sess(ago(30)),))
    result = run(client, practice=NOTES)
    assert "NOTE-MISSING" in codes(result)


# --- PLAN-UNSIGNED ------------------------------------------------------------------------

SIGNATURES = {"documentation.plan_signatures_required": True}


def unsigned_plan(day: date, **signatures: Any) -> TreatmentPlan:
    return TreatmentPlan(date=day, **signatures)


@pytest.mark.parametrize(("days_ago", "raised"), [(13, False), (14, False), (15, True)])
def test_plan_unsigned_after_plan_sign_within_days(days_ago, raised):
    result = run(make_client(plans=(unsigned_plan(ago(days_ago)),)), practice=SIGNATURES)
    assert ("PLAN-UNSIGNED" in codes(result)) is raised
    if raised:
        f = finding(result, "PLAN-UNSIGNED")
        assert f.message == (
            f"the treatment plan of {ago(15)} lacks the provider's signature and the client's "
            f"signature (or a recorded waiver), due {ago(1)}; Riverside Counseling requires "
            "plans signed within 14 days")
        assert f.due == ago(1)


@pytest.mark.parametrize(("signatures", "raised"), [
    ({"provider_signed_on": ago(20), "client_signed_on": ago(20)}, False),
    ({"provider_signed_on": ago(20), "client_signature_waived": "verbal, telehealth"}, False),
    ({"provider_signed_on": ago(20), "client_signature_waived": "   "}, True),
    ({"provider_signed_on": ago(20)}, True),
    ({"client_signed_on": ago(20)}, True),
    ({"provider_signed_on": ago(20), "client_signed_on": ahead(1)}, True),
    ({"provider_signed_on": A, "client_signed_on": A}, False),
    ({"provider_signed_on": ahead(1), "client_signature_waived": "x"}, True),
])
def test_what_signs_a_plan(signatures, raised):
    result = run(make_client(plans=(unsigned_plan(ago(30), **signatures),)),
                 practice=SIGNATURES)
    assert ("PLAN-UNSIGNED" in codes(result)) is raised


def test_plan_signatures_are_not_required_by_default():
    result = run(make_client(plans=(unsigned_plan(ago(60)),)))
    assert "PLAN-UNSIGNED" not in codes(result)


def test_of_several_plans_on_one_day_the_last_listed_counts():
    signed_plan = unsigned_plan(ago(30), provider_signed_on=ago(30), client_signed_on=ago(30))
    result = run(make_client(plans=(unsigned_plan(ago(30)), signed_plan, plan(ago(90)))),
                 practice=SIGNATURES)
    assert "PLAN-UNSIGNED" not in codes(result)
    result = run(make_client(plans=(signed_plan, unsigned_plan(ago(30)))), practice=SIGNATURES)
    assert "PLAN-UNSIGNED" in codes(result)


def test_only_the_latest_plan_dated_by_the_report_date_counts():
    old = unsigned_plan(ago(100))
    latest = unsigned_plan(ago(30), provider_signed_on=ago(30), client_signed_on=ago(29))
    future = unsigned_plan(ahead(3))
    result = run(make_client(plans=(old, latest, future)), practice=SIGNATURES)
    assert "PLAN-UNSIGNED" not in codes(result)


def test_plan_unsigned_not_for_discharged_clients_and_not_without_a_plan():
    client = discharged_client(plans=(unsigned_plan(ago(60)),))
    assert "PLAN-UNSIGNED" not in codes(run(client, practice=SIGNATURES))
    assert "PLAN-UNSIGNED" not in codes(run(make_client(plans=()), practice=SIGNATURES))


def test_documentation_findings_are_in_the_calendar_with_their_due_dates():
    client = make_client(sessions=(sess(ago(10)), sess(ahead(7), "scheduled")),
                         plans=(unsigned_plan(ago(20)),))
    result = evaluate(client, make_policy({**NOTES, **SIGNATURES}), A)
    kinds = {d.event.kind: d for d in result.deadlines}
    assert kinds["overdue-note-missing"].due == ago(7)
    assert kinds["overdue-plan-unsigned"].due == ago(6)

"""`caseload calendar`: the iCalendar file, read back with icalendar itself."""

from __future__ import annotations

import stat
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from dateutil.rrule import rrulestr
from icalendar import Calendar, vRecur

from generator.cli import cli
from generator.reading.exact import load_workspace
from generator.report.ical import monthly_rule
from tests.conftest import DEMO_AS_OF

AS_OF = date.fromisoformat(DEMO_AS_OF)


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout_bytes, result.stderr


def calendar(demo: Path, *args: str, as_of: str = DEMO_AS_OF) -> bytes:
    code, out, err = run("calendar", str(demo), "--as-of", as_of, "--out", "-", *args)
    assert code == 0, err
    return out


def events(data: bytes) -> list:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def kind(event) -> str:
    uid = str(event["UID"])
    return "caseload-review" if uid.startswith("caseload-review") else uid.split(".", 1)[0]


def by_uid(data: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in events(data)}


def start(event) -> date:
    return event.decoded("DTSTART")


@pytest.fixture(scope="module")
def demo_ics(demo: Path) -> bytes:
    return calendar(demo)


def test_demo_events_by_kind(demo_ics: bytes) -> None:
    counts = Counter(kind(e) for e in events(demo_ics))
    assert counts == {
        "plan-due": 34,  # 45 clients on the caseload, 11 discharged
        "planned-discharge": 3,
        "discharge-summary-due": 2,  # one due, one overdue
        "overdue-session-unresolved": 2,
        "overdue-discharge-outreach-undocumented": 2,
        "overdue-discharge-reason-missing": 1,
        "overdue-activity-after-discharge": 1,
        "overdue-note-missing": 4,  # (v2) Summit Health tracks progress notes
        "overdue-plan-unsigned": 1,  # (v2) Cascade State Medicaid requires plan signatures
        "caseload-review": 1,
    }


def test_every_event_is_all_day_and_well_formed(demo_ics: bytes) -> None:
    cal = Calendar.from_ical(demo_ics)
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"])
    uids = [str(e["UID"]) for e in events(demo_ics)]
    assert len(uids) == len(set(uids))
    for event in events(demo_ics):
        first, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(first) is date and type(end) is date  # all-day, no time zone involved
        assert (end - first).days == 1
        stamp = event.decoded("DTSTAMP")  # the as-of date, never the clock
        assert stamp.replace(tzinfo=None) == datetime(2026, 11, 28) and not stamp.utcoffset()
    lines = demo_ics.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75


def test_overdue_items_are_listed_on_the_as_of_date(demo_ics: bytes) -> None:
    found = events(demo_ics)
    overdue = [e for e in found if kind(e).startswith("overdue-")
               or "overdue" in str(e["SUMMARY"]) or "not recorded" in str(e["SUMMARY"])]
    # 18 = 5 plans (3 overdue, 2 first plans missing), 1 summary, 1 planned discharge,
    # 6 others, 4 progress notes and 1 plan signature (v2)
    assert len(overdue) == 18
    assert {start(e) for e in overdue} == {AS_OF}
    assert all(start(e) >= AS_OF for e in found)


def test_titles_name_the_client_and_what_is_due(demo_ics: bytes) -> None:
    titles = {str(e["UID"]).split("@")[0]: str(e["SUMMARY"]) for e in events(demo_ics)}
    assert titles["plan-due.c-1017"] == (
        "C-1017 Priya Raman: treatment plan overdue since 2026-10-19")
    assert titles["plan-due.c-1042"].startswith("C-1042 Marcus Oyelaran: first treatment plan "
                                                 "overdue since")
    assert titles["discharge-summary-due.c-1037"].endswith("discharge summary overdue since "
                                                           "2026-11-27")
    assert titles["caseload-review"] == "Caseload review"


def test_a_plan_due_later_is_on_its_due_date(demo_ics: bytes) -> None:
    plans = [e for e in events(demo_ics) if kind(e) == "plan-due"
             and str(e["SUMMARY"]).endswith(": treatment plan due")]
    assert plans and all(start(e) >= AS_OF for e in plans)
    assert any(start(e) > AS_OF for e in plans)
    for event in plans:
        assert f"update due {start(event)}." in str(event["DESCRIPTION"])


def test_review_recurs_monthly_from_the_as_of_date(demo_ics: bytes) -> None:
    (review,) = [e for e in events(demo_ics) if kind(e) == "caseload-review"]
    assert start(review) == AS_OF
    assert review["RRULE"]["FREQ"] == ["MONTHLY"]
    rule = rrulestr(review["RRULE"].to_ical().decode(), dtstart=datetime(2026, 11, 28))
    assert [d.date() for d in rule[:3]] == [date(2026, 11, 28), date(2026, 12, 28),
                                             date(2027, 1, 28)]
    assert all("RRULE" not in e for e in events(demo_ics) if kind(e) != "caseload-review")


@pytest.mark.parametrize(("first", "expected"), [
    (date(2027, 1, 31), [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31),
                         date(2027, 4, 30)]),
    (date(2027, 1, 30), [date(2027, 1, 30), date(2027, 2, 28), date(2027, 3, 30)]),
    (date(2028, 1, 29), [date(2028, 1, 29), date(2028, 2, 29), date(2028, 3, 29)]),
    (date(2027, 2, 28), [date(2027, 2, 28), date(2027, 3, 28)]),
])
def test_a_review_late_in_the_month_never_skips_a_month(first: date, expected: list) -> None:
    text = vRecur(monthly_rule(first)).to_ical().decode()
    rule = rrulestr(text, dtstart=datetime(first.year, first.month, first.day))
    assert [d.date() for d in rule[:len(expected)]] == expected


def test_uids_are_stable_when_the_date_moves(demo: Path, demo_ics: bytes) -> None:
    later = by_uid(calendar(demo, as_of="2026-12-20"))
    now = by_uid(demo_ics)
    # C-1026's plan is due on 2026-11-28; by 2026-12-20 it is overdue: one event, moved.
    uid = "plan-due.c-1026@riverbend-counseling-collective.caseload"
    assert start(now[uid]) == date(2026, 11, 28)
    assert start(later[uid]) == date(2026, 12, 20)
    assert "overdue since 2026-11-28" in str(later[uid]["SUMMARY"])
    # Every plan event of a client still open keeps its UID; the review too.
    plan_now = {u for u in now if u.startswith("plan-due.")}
    plan_later = {u for u in later if u.startswith("plan-due.")}
    assert len(plan_now & plan_later) >= len(plan_now) - 3
    review = "caseload-review@riverbend-counseling-collective.caseload"
    assert review in now and review in later
    # A newer file is a newer revision of the same events.
    assert later[review]["SEQUENCE"] > now[review]["SEQUENCE"]
    assert later[review].decoded("DTSTAMP") > now[review].decoded("DTSTAMP")


def test_uids_do_not_depend_on_scope_or_redaction(demo: Path, demo_ics: bytes) -> None:
    full = by_uid(demo_ics)
    scoped = by_uid(calendar(demo, "--payer", "summit-health", "--redact"))
    client_uids = {u for u in scoped if not u.startswith("caseload-review")}
    assert client_uids and client_uids <= set(full)
    assert "caseload-review-payer-summit-health@riverbend-counseling-collective.caseload" in scoped


def test_same_input_same_bytes(demo: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    for target in (first, second):
        code, _, err = run("calendar", str(demo), "--as-of", DEMO_AS_OF, "--out", str(target))
        assert code == 0, err
    assert first.read_bytes() == second.read_bytes() == calendar(demo)


def all_names(demo: Path) -> set[str]:
    caseload = load_workspace(demo)
    return {c.name for c in caseload.clients}


def free_texts(demo: Path) -> set[str]:
    texts: set[str] = set()
    for client in load_workspace(demo).clients:
        texts.update(s.note for s in client.sessions if s.note)
        texts.update(c.note for c in client.contacts if c.note)
        texts.update(c.outcome for c in client.contacts if c.outcome)
        for plan in client.treatment_plans:
            texts.update(plan.goals)
            if plan.note:
                texts.add(plan.note)
        if client.discharge and client.discharge.summary:
            texts.add(client.discharge.summary)
    return {t for t in texts if len(t) > 12}  # long enough not to match by chance


def unfolded_text(data: bytes) -> str:
    return data.decode("utf-8").replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";")


def test_redact_leaves_no_client_name(demo: Path) -> None:
    data = calendar(demo, "--redact")
    text = unfolded_text(data)
    names = all_names(demo)
    assert len(names) > 40
    for name in names:
        assert name not in text, name
        assert name.encode() not in data
    for event in events(data):
        if kind(event) == "caseload-review":
            continue
        client_id = str(event["SUMMARY"]).split(":")[0]
        assert str(event["DESCRIPTION"]).startswith(f"Client: {client_id}\n")


def test_calendar_never_carries_free_text(demo: Path, demo_ics: bytes) -> None:
    text = unfolded_text(demo_ics)
    assert "Priya Raman" in text  # names appear without --redact ...
    for note in free_texts(demo):  # ... but notes, goals and summaries never do
        assert note not in text, note


def test_payer_scope_keeps_only_that_payers_clients(demo: Path) -> None:
    caseload = load_workspace(demo)
    payer_of = {c.id: c.payer for c in caseload.clients}
    found = events(calendar(demo, "--payer", "summit-health"))
    ids = {str(e["SUMMARY"]).split(" ")[0] for e in found if kind(e) != "caseload-review"}
    assert ids and {payer_of[i] for i in ids} == {"summit-health"}
    (review,) = [e for e in found if kind(e) == "caseload-review"]
    assert str(review["SUMMARY"]) == "Caseload review (payer summit-health)"


def test_default_out_is_the_workspace_and_replaces_atomically(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / "content").mkdir(parents=True)
    (workspace / "content" / "a.yaml").write_text(
        "id: C-1\nname: Ada Example\nintake_date: 2026-10-01\n", encoding="utf-8")
    target = workspace / "caseload.ics"
    target.write_text("old", encoding="utf-8")
    code, _, err = run("calendar", str(workspace), "--as-of", DEMO_AS_OF)
    assert code == 0, err
    assert "caseload.ics (2 events" in err
    assert Calendar.from_ical(target.read_bytes())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # client information: owner only
    assert sorted(p.name for p in workspace.iterdir()) == ["caseload.ics", "content"]


@pytest.mark.parametrize("args", [
    ["--out", "{tmp}/missing/folder/x.ics"],
    ["--out", "{tmp}"],
    ["--payer", "nobody"],
])
def test_errors_are_one_line_and_exit_2(demo: Path, tmp_path: Path, args: list[str]) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, out, err = run("calendar", str(demo), "--as-of", DEMO_AS_OF, *args)
    assert code == 2
    assert out == b""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not list(tmp_path.rglob("*.tmp"))


def test_invalid_workspace_exits_2(tmp_path: Path) -> None:
    code, _, err = run("calendar", str(tmp_path / "nowhere"))
    assert code == 2 and "no such folder" in err


def test_a_new_rule_reaches_the_calendar_through_its_declaration(
        demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Adding a rule is one declaration and its function: the calendar needs no change.
    from generator.rules import engine

    event = engine.CalendarEvent("overdue-test-rule", "test rule raised (since {due})")
    added = (
        engine.Rule("TEST-RULE", "error", "reach out", (), event, "always", "x",
                    lambda f: engine.Raised("raised for every client", date(2026, 1, 2))),
        engine.Rule("TEST-QUIET", "error", "reach out", (), None, "always", "x",
                    lambda f: engine.Raised("never in the calendar")),
    )
    monkeypatch.setattr(engine, "RULES", engine.RULES + added)
    found = events(calendar(demo))
    counts = Counter(kind(e) for e in found)
    assert counts["overdue-test-rule"] == 45
    assert sum(counts.values()) == 51 + 45
    test = [e for e in found if kind(e) == "overdue-test-rule"]
    assert {start(e) for e in test} == {AS_OF}
    assert str(test[0]["SUMMARY"]).endswith(": test rule raised (since 2026-01-02)")
    assert "TEST-RULE (error): raised for every client" in str(test[0]["DESCRIPTION"])
    assert not any("never in the calendar" in str(e["DESCRIPTION"]) for e in found)

"""The version-2 fields of a content file and of a policy file: what each accepts,
and the exact FILE:LINE message for each value it refuses."""

from __future__ import annotations

from datetime import date

import pytest

from generator.model.schema import FORMAT_VERSION, RECORDS
from tests.test_load import check_error, load, one_error, only_client, with_client

V2_FIELDS = {
    ("session", "note_signed"), ("treatment plan", "provider_signed_on"),
    ("treatment plan", "client_signed_on"), ("treatment plan", "client_signature_waived"),
    ("client", "member_id"),
}


def test_the_v2_fields_are_declared_as_version_2() -> None:
    assert FORMAT_VERSION == 2
    declared = {(r.name, f.name) for r in RECORDS for f in r.fields if f.since == 2}
    assert declared == V2_FIELDS


# --- note_signed ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-02-01", date(2026, 2, 1)),  # the session's own day
    ("2026-02-04", date(2026, 2, 4)),
    ("'2026-02-04'", date(2026, 2, 4)),
    ("true", True), ("True", True), ("false", False), ("~", False), ("null", False), ("", False),
])
def test_note_signed_values(tmp_path, value, expected):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client(f"""\
        sessions:
          - date: 2026-02-01
            status: attended
            note_signed: {value}
        """)}))
    assert client.sessions[0].note_signed == expected
    assert type(client.sessions[0].note_signed) is type(expected)


def test_note_signed_absent_is_not_signed(tmp_path):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client("""\
        sessions:
          - {date: 2026-02-01, status: attended}
        """)}))
    assert client.sessions[0].note_signed is False


@pytest.mark.parametrize(("value", "what"), [
    ("yes", "sessions[0].note_signed: expected the day it was signed (like 2026-11-28), true "
            "(signed, day not known) or false, got 'yes'"),
    ("signed", "sessions[0].note_signed: expected the day it was signed (like 2026-11-28), true "
               "(signed, day not known) or false, got 'signed'"),
    ("2026-02-30", "sessions[0].note_signed: '2026-02-30' is not a date; write it like "
                   "2026-11-28"),
    ("[2026-02-03]", "sessions[0].note_signed: expected a date like 2026-11-28, true or false, "
                     "got a list"),
    ("2026-01-31", "sessions[0].note_signed: 2026-01-31 is before the session's date "
                   "2026-02-01"),
])
def test_note_signed_errors(tmp_path, value, what):
    error = one_error(tmp_path, {"content/a.yaml": with_client(f"""\
        sessions:
          - date: 2026-02-01
            status: attended
            note_signed: {value}
        """)})
    assert str(error) == f"content/a.yaml:7: {what}"


def test_note_signed_before_the_session_in_a_flow_item_names_its_line(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        sessions:
          - {date: 2026-02-01, status: attended, note_signed: 2026-02-01}
          - {date: 2026-02-08, status: attended, note_signed: 2026-02-07}
        """)})
    assert str(error) == ("content/a.yaml:6: sessions[1].note_signed: 2026-02-07 is before "
                          "the session's date 2026-02-08")


# --- clinician_cancelled ------------------------------------------------------------------


def test_clinician_cancelled_is_a_status(tmp_path):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client("""\
        sessions:
          - {date: 2026-02-01, status: clinician_cancelled, note_signed: true}
        """)}))
    assert client.sessions[0].status == "clinician_cancelled"


def test_a_near_miss_of_clinician_cancelled_gets_a_suggestion(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        sessions:
          - {date: 2026-02-01, status: clinician_canceled}
        """)})
    check_error(error, "content/a.yaml", 5, "sessions[0].status",
                "unknown status 'clinician_canceled'; did you mean 'clinician_cancelled'?",
                "late_cancel, cancelled, clinician_cancelled)")


# --- plan signatures ----------------------------------------------------------------------


def test_plan_signatures(tmp_path):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client("""\
        treatment_plans:
          - date: 2026-02-01
            provider_signed_on: 2026-02-01
            client_signed_on: 2026-02-03
          - date: 2026-05-01
            provider_signed_on: '2026-05-02'
            client_signature_waived: verbal agreement, telehealth
          - {date: 2026-08-01, provider_signed_on: ~, client_signature_waived: No}
        """)}))
    first, second, third = client.treatment_plans
    assert (first.provider_signed_on, first.client_signed_on, first.client_signature_waived) \
        == (date(2026, 2, 1), date(2026, 2, 3), None)
    assert (second.provider_signed_on, second.client_signed_on,
            second.client_signature_waived) == (date(2026, 5, 2), None,
                                                "verbal agreement, telehealth")
    assert (third.provider_signed_on, third.client_signature_waived) == (None, "No")


@pytest.mark.parametrize(("key", "value", "what"), [
    ("provider_signed_on", "2026-01-31",
     "2026-01-31 is before the treatment plan's date 2026-02-01"),
    ("client_signed_on", "2025-12-01",
     "2025-12-01 is before the treatment plan's date 2026-02-01"),
    ("provider_signed_on", "yes", "'yes' is not a date; write it like 2026-11-28"),
    ("client_signed_on", "true", "'true' is not a date; write it like 2026-11-28"),
    ("client_signature_waived", "[a, b]", "expected text, got a list"),
])
def test_plan_signature_errors(tmp_path, key, value, what):
    error = one_error(tmp_path, {"content/a.yaml": with_client(f"""\
        treatment_plans:
          - date: 2026-02-01
            goals: Sleep
            {key}: {value}
        """)})
    assert str(error) == f"content/a.yaml:7: treatment_plans[0].{key}: {what}"


# --- member_id ----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("0012345", "0012345"), ("'0012345'", "0012345"), ("XJH4471902", "XJH4471902"),
    ("1e3", "1e3"), ("No", "No"), ("~", None),
])
def test_member_id_is_text_as_written(tmp_path, value, expected):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client(f"member_id: {value}\n")}))
    assert client.member_id == expected


@pytest.mark.parametrize(("value", "what"), [
    ("'  '", "member_id: must not be empty"),
    ("[1, 2]", "member_id: expected text, got a list"),
])
def test_member_id_errors(tmp_path, value, what):
    error = one_error(tmp_path, {"content/a.yaml": with_client(f"member_id: {value}\n")})
    assert str(error) == f"content/a.yaml:4: {what}"


# --- the documentation policy --------------------------------------------------------------


def test_documentation_policy_values(tmp_path):
    caseload = load(tmp_path, {
        "site_config/practice.yaml": """\
            name: Calm
            documentation:
              note_within_days: 0
              notes_checked_from: 2026-09-01
              plan_signatures_required: true
              plan_sign_within_days: 0
            """,
        "site_config/payers/summit.yaml": """\
            name: Summit
            documentation:
              note_within_days: 3
            """})
    assert caseload.practice_policy == {
        "documentation.note_within_days": 0,
        "documentation.notes_checked_from": date(2026, 9, 1),
        "documentation.plan_signatures_required": True,
        "documentation.plan_sign_within_days": 0,
    }
    assert caseload.payers["summit"].policy == {"documentation.note_within_days": 3}


@pytest.mark.parametrize(("key", "value", "what"), [
    ("note_within_days", "-1", "must be at least 0, got -1"),
    ("note_within_days", "off", "expected a whole number, got 'off'"),
    ("notes_checked_from", "2026-13-01", "'2026-13-01' is not a date; write it like 2026-11-28"),
    ("notes_checked_from", "3", "'3' is not a date; write it like 2026-11-28"),
    ("plan_signatures_required", "yes", "expected true or false, got 'yes'"),
    ("plan_sign_within_days", "-3", "must be at least 0, got -3"),
])
@pytest.mark.parametrize("policy_file", ["site_config/practice.yaml",
                                         "site_config/payers/aetna.yaml"])
def test_documentation_policy_errors(tmp_path, policy_file, key, value, what):
    error = one_error(tmp_path, {policy_file: f"name: P\ndocumentation:\n  {key}: {value}\n"})
    assert str(error) == f"{policy_file}:3: documentation.{key}: {what}"


@pytest.mark.parametrize("null", ["~", "null", ""])
def test_a_null_policy_key_or_section_is_not_given(tmp_path, null):
    caseload = load(tmp_path, {
        "site_config/practice.yaml": f"""\
            name: Calm
            documentation:
              note_within_days: 3
              plan_signatures_required: {null}
            attendance: {null}
            treatment_plan:
              review_interval_days: {null}
              due_soon_days: 7
            """,
        "site_config/payers/summit.yaml": f"""\
            name: Summit
            documentation:
              note_within_days: {null}
              notes_checked_from: {null}
            discharge: {null}
            """})
    assert caseload.practice_policy == {"documentation.note_within_days": 3,
                                        "treatment_plan.due_soon_days": 7}
    assert caseload.payers["summit"].policy == {}


# --- session ledgers ----------------------------------------------------------------------

LEDGER_CLIENTS = {
    "content/clients.yaml": """\
        clients:
          - id: C-1
            name: Maya
            intake_date: 2026-01-05
          - id: C-2
            name: Daniel
            intake_date: 2026-01-05
          - id: C-3
            name: Sam
            intake_date: 2026-01-05
            sessions:
              - {date: 2026-02-01, status: attended}
        """,
}


def test_a_ledger_gives_each_client_its_sessions_in_date_order(tmp_path):
    caseload = load(tmp_path, {**LEDGER_CLIENTS,
        "content/imported/a-2026.yaml": """\
            # made by hand
            source: SimplePractice
            sessions:
              - client: c-1
                date: 2026-03-08
                status: attended
                note_signed: true
              - {client: C-2, date: 2026-03-01, status: clinician_cancelled}
              - {client: C-1, date: 2026-03-01, status: no_show, x_code: 90837}
              - {client: C-1, date: 2026-03-08, status: late_cancel}
            """,
        "content/imported/b-2026.yaml": """\
            sessions:
              - {client: C-1, date: 2026-03-01, status: attended, note: second file}
            """,
        "content/imported/empty.yaml": "source: jane\nsessions: []\n",
    })
    by_id = {c.id: c for c in caseload.clients}
    assert [(str(s.date), s.status) for s in by_id["C-1"].sessions] == [
        ("2026-03-01", "no_show"), ("2026-03-01", "attended"),
        ("2026-03-08", "attended"), ("2026-03-08", "late_cancel")]
    assert by_id["C-1"].sessions[2].note_signed is True
    assert by_id["C-1"].sessions_from == ("SimplePractice", "content/imported/b-2026.yaml")
    assert [s.status for s in by_id["C-2"].sessions] == ["clinician_cancelled"]
    assert by_id["C-2"].sessions_from == ("SimplePractice",)
    assert by_id["C-3"].sessions_from == ()


def test_a_ledger_entry_naming_no_client_is_an_error_at_its_line(tmp_path):
    error = one_error(tmp_path, {**LEDGER_CLIENTS,
        "content/imported/a.yaml": """\
            source: x
            sessions:
              - {client: C-1, date: 2026-03-01, status: attended}
              - client: C-9
                date: 2026-03-01
                status: attended
            """})
    assert str(error) == ("content/imported/a.yaml:4: sessions[1].client: no client with id "
                          "'C-9'")


def test_a_client_with_sessions_of_its_own_and_in_a_ledger_is_an_error(tmp_path):
    error = one_error(tmp_path, {**LEDGER_CLIENTS,
        "content/imported/a.yaml": """\
            source: x
            sessions:
              - {client: C-1, date: 2026-03-01, status: attended}
              - {client: C-3, date: 2026-03-01, status: attended}
              - {client: C-3, date: 2026-03-08, status: attended}
            """})
    assert str(error) == (
        "content/imported/a.yaml:4: sessions[1].client: client 'C-3' also lists sessions of "
        "its own (content/clients.yaml:8); keep one source of sessions per client: move them "
        "into the ledger or leave the client out of it")


@pytest.mark.parametrize(("text", "line", "what"), [
    ("source: x\nsessions:\n  - {date: 2026-03-01, status: attended}\n", 3,
     "sessions[0]: missing required key 'client'"),
    ("source: x\nsessions:\n  - {client: C-1, date: 2026-03-01, status: attended, "
     "note_signed: 2026-02-01}\n", 3,
     "sessions[0].note_signed: 2026-02-01 is before the ledger session's date 2026-03-01"),
    ("source: x\nsessions:\n", 2, "sessions: must have a value (a list of sessions, or [])"),
    ("source: x\nsessions: []\nsource_of: y\n", 3,
     "source_of: unknown key 'source_of'; did you mean 'source'?"),
    ("source: [a]\nsessions: []\n", 1, "source: expected text, got a list"),
])
def test_ledger_errors(tmp_path, text, line, what):
    error = one_error(tmp_path, {**LEDGER_CLIENTS, "content/imported/a.yaml": text})
    assert str(error) == f"content/imported/a.yaml:{line}: {what}"


def test_ledgers_come_back_the_same_from_the_cache(tmp_path):
    from generator.reading.cache import ParseCache
    from generator.reading.exact import load_workspace
    from tests.test_load import write_ws

    root = write_ws(tmp_path, {**LEDGER_CLIENTS, "content/imported/a.yaml": """\
        source: x
        sessions:
          - {client: C-1, date: 2026-03-01, status: attended, note_signed: 2026-03-02}
          - {client: c-2, date: 2026-03-01, status: clinician_cancelled, note_signed: true}
        """})
    fresh = load_workspace(root)
    assert load_workspace(root, ParseCache(root)) == fresh
    warm = ParseCache(root)
    assert load_workspace(root, warm) == fresh
    assert all(warm.get(key) is not None for key in warm._entries())

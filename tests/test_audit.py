"""`caseload audit`: the request file, business days, each member's and each date of
service's state, the JSON document, exit codes, and the packet site."""

from __future__ import annotations

import html
import json
import os
import re
from datetime import date
from pathlib import Path

import pytest

from generator.model.audit import (
    add_business_days,
    business_days_between,
    business_days_left,
    is_business_day,
)
from tests.clirun import run, write

AS_OF = "2026-11-28"  # a Saturday


def audit_json(workspace: Path, request: str = "audits/req.yaml", *extra: str
               ) -> tuple[int, dict]:
    code, out, err = run("audit", str(workspace / request), str(workspace), "--as-of", AS_OF,
                         "--format", "json", *extra)
    assert code in (0, 1), err
    return code, json.loads(out)


CLIENTS = """\
    clients:
      - id: C-1
        name: Ada Alpha
        intake_date: 2026-01-05
        payer: summit
        treatment_plans: [{date: 2026-01-10}]
        sessions:
          - {date: 2026-02-27, status: attended}
          - {date: 2026-03-02, status: attended}
          - {date: 2026-06-01, status: no_show}
          - {date: 2026-04-11, status: attended}
          - {date: 2026-04-10, status: attended}
          - {date: 2026-12-01, status: scheduled}
      - id: C-2
        name: Bea Beta
        intake_date: 2026-01-05
        payer: other
      - id: C-3
        name: Cy Gamma
        intake_date: 2026-01-05
        payer: summit
        treatment_plans: [{date: 2026-01-10}]
        sessions: [{date: 2026-03-05, status: attended}]
        discharge: {date: 2026-05-01}
      - id: C-4
        name: Dee Delta
        intake_date: 2026-03-01
        payer: summit
        sessions:
          - {date: 2026-03-20, status: attended}
          - {date: 2026-04-15, status: attended}
      - id: C-5
        name: Eve Epsilon
        intake_date: 2026-12-01
        payer: summit
      - id: C-6
        name: Fay Zeta
        intake_date: 2026-01-05
      - id: C-7
        name: Gus Eta
        intake_date: 2026-01-05
        payer: summit
        treatment_plans: [{date: 2026-01-06}]
        sessions: [{date: 2026-02-01, status: attended}]
        discharge: {date: 2026-03-01, reason: goals_met, summary: Done., client_participated: true}
    """


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write(tmp_path, {
        "site_config/payers/summit.yaml": "name: Summit Health\n",
        "site_config/payers/other.yaml": "name: Other Plan\n",
        "content/clients.yaml": CLIENTS,
    })


def request(workspace: Path, text: str, name: str = "req.yaml") -> Path:
    write(workspace, {f"audits/{name}": text})
    return workspace / "audits" / name


# --- business days ---------------------------------------------------------------------


def test_business_days_skip_weekends_and_holidays() -> None:
    friday = date(2026, 11, 20)
    assert is_business_day(friday) and not is_business_day(date(2026, 11, 21))
    assert not is_business_day(date(2026, 11, 26), [date(2026, 11, 26)])
    assert add_business_days(friday, 1) == date(2026, 11, 23)  # over the weekend
    assert add_business_days(friday, 0) == friday
    assert add_business_days(friday, 10) == date(2026, 12, 4)
    assert add_business_days(friday, 10, [date(2026, 11, 26)]) == date(2026, 12, 7)
    # A weekend holiday changes nothing.
    assert add_business_days(friday, 10, [date(2026, 11, 28)]) == date(2026, 12, 4)


def test_business_days_between_counts_after_up_to_and_including() -> None:
    assert business_days_between(date(2026, 11, 20), date(2026, 11, 20)) == 0
    assert business_days_between(date(2026, 11, 20), date(2026, 11, 23)) == 1
    assert business_days_between(date(2026, 11, 21), date(2026, 11, 22)) == 0
    assert business_days_between(date(2026, 11, 20), date(2026, 12, 4)) == 10
    assert business_days_between(date(2026, 11, 20), date(2026, 12, 4),
                                 [date(2026, 11, 26), date(2026, 11, 29)]) == 9
    for days in range(0, 40):  # the fast count agrees with counting day by day
        start = date(2026, 11, 18)
        end = date.fromordinal(start.toordinal() + days)
        slow = sum(1 for n in range(1, days + 1)
                   if is_business_day(date.fromordinal(start.toordinal() + n)))
        assert business_days_between(start, end) == slow


def test_business_days_left_on_the_day_before_and_after_the_deadline() -> None:
    due = date(2026, 12, 4)  # a Friday
    assert business_days_left(due, due) == 0
    assert business_days_left(date(2026, 12, 3), due) == 1
    assert business_days_left(date(2026, 11, 28), due) == 5  # from a Saturday
    assert business_days_left(date(2026, 12, 5), due) == 0  # the Saturday after: none past
    assert business_days_left(date(2026, 12, 7), due) == -1
    assert business_days_left(date(2026, 12, 9), due, [date(2026, 12, 8)]) == -2
    saturday_due = date(2026, 12, 5)  # a deadline on a weekend
    assert business_days_left(date(2026, 12, 4), saturday_due) == 0
    assert business_days_left(date(2026, 12, 3), saturday_due) == 1
    assert business_days_left(date(2026, 12, 7), saturday_due) == -1


# --- the JSON document -------------------------------------------------------------------


def test_every_member_state_in_exact_json(workspace: Path) -> None:
    request(workspace, """\
        payer: summit
        requested_on: 2026-11-20
        holidays: [2026-11-26]
        period: {from: 2026-03-01, to: 2026-04-30}
        members: [c-1, C-2, 0012345, C-3, C-4, C-5, C-6, C-7, C-1]
        x_letter: scanned
        """)
    code, document = audit_json(workspace)
    assert code == 1
    c1 = {"member": "c-1", "id": "C-1", "status": "incomplete", "findings": [], "sessions": [
        {"date": "2026-03-02", "note": "not_tracked", "plan": "current",
         "plan_signed": "not_required"},
        # the plan's due day itself is still in force
        {"date": "2026-04-10", "note": "not_tracked", "plan": "current",
         "plan_signed": "not_required"},
        {"date": "2026-04-11", "note": "not_tracked", "plan": "expired",
         "plan_signed": "not_required"},
    ]}
    assert document == {
        "request": {
            "payer": "summit", "requested_on": "2026-11-20", "holidays": ["2026-11-26"],
            "period": {"from": "2026-03-01", "to": "2026-04-30"},
            "members": ["c-1", "C-2", "0012345", "C-3", "C-4", "C-5", "C-6", "C-7", "C-1"],
            "x_letter": "scanned",
        },
        "due": "2026-12-07",
        "business_days_left": 6,
        "members": [
            c1,
            {"member": "C-2", "id": "C-2", "status": "wrong_payer", "sessions": [],
             "findings": []},
            {"member": "0012345", "id": None, "status": "not_found", "sessions": [],
             "findings": []},
            {"member": "C-3", "id": "C-3", "status": "incomplete", "findings": [
                "DISCHARGE-SUMMARY-MISSING", "DISCHARGE-REASON-MISSING",
                "DISCHARGE-OUTREACH-UNDOCUMENTED"],
             "sessions": [{"date": "2026-03-05", "note": "not_tracked", "plan": "current",
                           "plan_signed": "not_required"}]},
            {"member": "C-4", "id": "C-4", "status": "incomplete", "findings": [], "sessions": [
                {"date": "2026-03-20", "note": "not_tracked", "plan": "initial",
                 "plan_signed": "not_required"},
                {"date": "2026-04-15", "note": "not_tracked", "plan": "none",
                 "plan_signed": "not_required"}]},
            {"member": "C-5", "id": None, "status": "not_found", "sessions": [],
             "findings": []},
            {"member": "C-6", "id": "C-6", "status": "wrong_payer", "sessions": [],
             "findings": []},
            # Discharged with a complete record and no DOS in the period: complete.
            {"member": "C-7", "id": "C-7", "status": "complete", "sessions": [],
             "findings": []},
            {**c1, "member": "C-1"},
        ],
        "summary": {"members": 9, "complete": 1, "incomplete": 8},
    }


def test_request_as_written_no_defaults_and_nulls_kept(workspace: Path) -> None:
    request(workspace, """\
        requested_on: 2026-11-20
        business_days: ~
        members:
          - 0012345
          - yes
          - 1e3
          - C-7
        """)
    code, document = audit_json(workspace)
    assert document["request"] == {"requested_on": "2026-11-20", "business_days": None,
                                   "members": ["0012345", "yes", "1e3", "C-7"]}
    assert document["due"] == "2026-12-04"  # null: not given, 10 business days
    assert [m["member"] for m in document["members"]] == ["0012345", "yes", "1e3", "C-7"]
    assert [m["status"] for m in document["members"]] == [
        "not_found", "not_found", "not_found", "complete"]
    assert code == 1


def test_due_and_business_days(workspace: Path) -> None:
    request(workspace, "requested_on: 2026-11-20\nbusiness_days: 0\nmembers: [C-7]\n")
    code, document = audit_json(workspace)
    assert (document["due"], document["business_days_left"], code) == ("2026-11-20", -5, 0)
    request(workspace, "requested_on: 2026-11-20\nbusiness_days: 3\nmembers: [C-7]\n")
    assert audit_json(workspace)[1]["due"] == "2026-11-25"
    # `due` wins over business_days; a due date on a weekend
    request(workspace, "requested_on: 2026-11-20\ndue: 2026-11-29\nbusiness_days: 3\n"
                       "members: [C-7]\n")
    assert audit_json(workspace)[1]["due"] == "2026-11-29"
    assert audit_json(workspace)[1]["business_days_left"] == 0


def test_period_bounds_are_inclusive_and_a_missing_bound_is_open(workspace: Path) -> None:
    def dos(period: str) -> list[str]:
        request(workspace, f"requested_on: 2026-11-20\n{period}members: [C-1]\n")
        return [s["date"] for s in audit_json(workspace)[1]["members"][0]["sessions"]]

    assert dos("") == ["2026-02-27", "2026-03-02", "2026-04-10", "2026-04-11"]  # date order
    assert dos("period: {from: 2026-03-02, to: 2026-04-10}\n") == ["2026-03-02", "2026-04-10"]
    assert dos("period: {to: 2026-03-02}\n") == ["2026-02-27", "2026-03-02"]
    assert dos("period: {from: 2026-04-10}\n") == ["2026-04-10", "2026-04-11"]
    assert dos("period: {from: 2026-03-03, to: 2026-04-09}\n") == []
    assert dos("period: ~\n") == ["2026-02-27", "2026-03-02", "2026-04-10", "2026-04-11"]


def test_a_member_with_no_dates_of_service_is_complete_unless_discharge_findings(
        workspace: Path) -> None:
    request(workspace, "requested_on: 2026-11-20\nperiod: {from: 2026-10-01}\n"
                       "members: [C-1, C-3]\n")
    code, document = audit_json(workspace)
    assert [(m["status"], m["sessions"]) for m in document["members"]] == [
        ("complete", []), ("incomplete", [])]
    assert code == 1


def test_complete_request_exits_0(workspace: Path) -> None:
    request(workspace, "payer: summit\nrequested_on: 2026-11-20\nmembers: [C-7, c-7]\n")
    code, document = audit_json(workspace)
    assert code == 0
    assert document["summary"] == {"members": 2, "complete": 2, "incomplete": 0}


# --- invalid requests --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("requested_on: 2026-11-20\nmembers: [C-1]\nmember: [C-2]\n",
     "audits/req.yaml:3: member: unknown key 'member'; did you mean 'members'?"),
    ("members: [C-1]\n",
     "audits/req.yaml:1: document: missing required key 'requested_on'"),
    ("requested_on: 2026-11-20\n",
     "audits/req.yaml:1: document: missing required key 'members'"),
    ("requested_on: 2026-11-20\nmembers: []\n",
     "audits/req.yaml:2: members: lists no members; name at least one client id or member "
     "number"),
    ("requested_on: 2026-11-20\nmembers:\n",
     "audits/req.yaml:2: members: must have a value"),
    ("requested_on: 2026-11-20\nperiod: {from: 2026-05-01, to: 2026-04-30}\nmembers: [C-1]\n",
     "audits/req.yaml:2: period: 'from' 2026-05-01 is after 'to' 2026-04-30"),
    ("requested_on: 2026-11-20\ndue: 2026-11-19\nmembers: [C-1]\n",
     "audits/req.yaml:2: due: 2026-11-19 is before requested_on 2026-11-20"),
    ("requested_on: 2026-11-20\nbusiness_days: -1\nmembers: [C-1]\n",
     "audits/req.yaml:2: business_days: must be at least 0, got -1"),
    ("payer: sumit\nrequested_on: 2026-11-20\nmembers: [C-1]\n",
     "audits/req.yaml:1: payer: no policy file for payer 'sumit' in site_config/payers/; "
     "did you mean 'summit'?"),
    ("requested_on: 2026-11-31\nmembers: [C-1]\n",
     "audits/req.yaml:1: requested_on: '2026-11-31' is not a date; write it like 2026-11-28"),
    ("requested_on: 2026-11-20\nmembers: [C-1, {id: C-2}]\n",
     "audits/req.yaml:2: members[1]: expected a client id or member number, got a mapping"),
    ("requested_on: !!str 2026-11-20\nmembers: [C-1]\n",
     "audits/req.yaml:1: requested_on: tags are not allowed (found '!!str'): write plain "
     "values"),
    ("requested_on: 2026-11-20\nperiod: {from: 2026-01-01, until: 2026-02-01}\n"
     "members: [C-1]\n",
     "audits/req.yaml:2: period.until: unknown key 'until'"),
    ("", "audits/req.yaml:1: document: the file is empty; an audit request needs "
     "'requested_on' and 'members'"),
])
def test_invalid_request_exits_2_with_file_line(workspace: Path, text: str,
                                                 expected: str) -> None:
    path = request(workspace, text)
    code, out, err = run("audit", str(path), str(workspace), "--as-of", AS_OF)
    assert code == 2
    assert out == ""
    assert expected in err.splitlines(), err
    assert not (workspace / "audits" / "req").exists()  # nothing written


def test_every_problem_of_a_request_at_once(workspace: Path) -> None:
    path = request(workspace, "payer: nobody\ndue: 2026-01-01\nbusiness_days: -2\n"
                              "members: []\nwhen: now\n")
    code, _, err = run("audit", str(path), str(workspace), "--as-of", AS_OF)
    assert code == 2
    assert [line.split(":")[1] for line in err.splitlines()[:-1]] == ["1", "1", "3", "4", "5"]
    assert err.splitlines()[-1] == "caseload: 5 input errors; nothing was written."


# --- the packet site --------------------------------------------------------------------


def every_file(site: Path) -> dict[str, str]:
    """Every file of a built site as text, HTML references resolved (`C&#45;1` is C-1)."""
    return {p.relative_to(site).as_posix(): html.unescape(p.read_bytes().decode("utf-8",
                                                                                "replace"))
            for p in sorted(site.rglob("*")) if p.is_file() and p.suffix != ".gz"}


def test_the_packet_holds_only_the_members_named(workspace: Path) -> None:
    request(workspace, "payer: summit\nrequested_on: 2026-11-20\n"
                       "members: [c-1, C-2, C-5, C-6, C-3, C-1]\n")
    code, _, err = run("audit", str(workspace / "audits/req.yaml"), str(workspace),
                       "--as-of", AS_OF)
    assert code == 1, err
    site = workspace / "audits" / "req" / "site"
    files = every_file(site)
    assert {"checklist.html", "print.html", "index.html", "search/search_index.json",
            "assets/clients.js", "clients/C-1.html", "clients/C-3.html"} <= files.keys()
    assert sorted(p for p in files if p.startswith("clients/")) == [
        "clients/C-1.html", "clients/C-3.html"]
    others = {"C-2": "Bea Beta", "C-4": "Dee Delta", "C-5": "Eve Epsilon", "C-6": "Fay Zeta",
              "C-7": "Gus Eta"}
    for path, text in files.items():
        for client_id, name in others.items():
            assert not re.search(rf"\b{client_id}\b", text), f"{client_id} in {path}"
            assert name not in text, f"{name} in {path}"
        assert "Other Plan" not in text, path
    for member in ("C-1", "C-3"):
        page = files[f"clients/{member}.html"]
        assert (f"<strong>Member {member}</strong> · Summit Health member number "
                "<strong>none recorded</strong> · dates of service all dates of service · "
                "prepared for Summit Health's request of 2026-11-20") in page
    assert "Ada Alpha" in files["checklist.html"] and "Cy Gamma" in files["checklist.html"]
    assert "5 business days left" in files["checklist.html"]


def test_print_page_holds_the_checklist_and_every_member_page_on_its_own_sheet(
        workspace: Path) -> None:
    request(workspace, "payer: summit\nrequested_on: 2026-11-20\nmembers: [C-3, C-1]\n")
    site = workspace / "packet"
    code, _, err = run("audit", str(workspace / "audits/req.yaml"), str(workspace),
                       "--as-of", AS_OF, "--site-dir", str(site))
    assert code == 1, err
    page = html.unescape((site / "print.html").read_text(encoding="utf-8"))
    parts = page.split('<div class="cl-page-break" aria-hidden="true"></div>')
    assert len(parts) == 3  # the checklist, then C-1, then C-3 (in id order)
    assert "Records for Summit Health" in parts[0]
    assert "C-1: Ada Alpha" in parts[1] and "C-3" not in parts[1].split("</h1>")[0]
    assert "C-3: Cy Gamma" in parts[2]
    # Each sheet opens with its stamp (the checklist's, then each member's).
    assert [part.count('class="cl-audit-stamp cl-page-stamp"') for part in parts] == [1, 1, 1]
    assert "<strong>Member C-1</strong> · Summit Health member number" in parts[1]
    assert 'href="../' not in page.split('<div class="md-content"')[-1]
    assert ".cl-page-break { break-before: page; }" in (
        site / "assets" / "caseload.css").read_text(encoding="utf-8")


def test_redacted_packet_and_text(workspace: Path) -> None:
    request(workspace, "payer: summit\nrequested_on: 2026-11-20\nmembers: [C-1]\n")
    code, out, _ = run("audit", str(workspace / "audits/req.yaml"), str(workspace),
                       "--as-of", AS_OF, "--redact")
    assert code == 1
    assert "Ada Alpha" not in out
    for text in every_file(workspace / "audits" / "req" / "site").values():
        assert "Ada Alpha" not in text


def test_text_checklist(workspace: Path) -> None:
    request(workspace, "payer: summit\nrequested_on: 2026-11-20\n"
                       "period: {from: 2026-03-01, to: 2026-04-30}\nmembers: [c-1, C-2, X9]\n")
    code, out, _ = run("audit", str(workspace / "audits/req.yaml"), str(workspace),
                       "--as-of", AS_OF)
    assert code == 1
    assert out.splitlines() == [
        "Audit request audits/req.yaml: Summit Health's request of 2026-11-20, due 2026-12-04, "
        "5 business days left",
        "Dates of service: 2026-03-01 to 2026-04-30; records as of 2026-11-28.",
        "",
        "[ ] c-1 (C-1, Ada Alpha): incomplete; 3 dates of service, 1 gap",
        "    ok  2026-03-02  note not tracked; plan current (2026-01-10); plan signatures "
        "not required",
        "    ok  2026-04-10  note not tracked; plan current (2026-01-10); plan signatures "
        "not required",
        "    GAP 2026-04-11  note not tracked; plan expired (2026-01-10); plan signatures "
        "not required",
        "[ ] C-2 (Bea Beta): wrong payer (the client's payer is other); not in the packet",
        "[ ] X9: not found (no client on the caseload on 2026-11-28 has this id or member "
        "number)",
        "",
        "3 members: 0 complete, 3 incomplete.",
    ]


# --- the PDF -----------------------------------------------------------------------------


def _weasyprint() -> bool:
    from generator.cli import pdf_available

    return pdf_available()


needs_pdf = pytest.mark.skipif(
    not _weasyprint() and os.environ.get("CI") != "true",
    reason="WeasyPrint or Pango is not installed (pip install 'caseload[pdf]')")


@needs_pdf
def test_pdf_has_page_numbers_and_the_stamp_on_every_page_and_is_reproducible(
        workspace: Path) -> None:
    from pypdf import PdfReader

    request(workspace, "payer: summit\nrequested_on: 2026-11-20\nmembers: [C-3, C-1]\n")
    outputs = []
    for number in (1, 2):
        target = workspace / f"packet-{number}.pdf"
        code, _, err = run("audit", str(workspace / "audits/req.yaml"), str(workspace),
                           "--as-of", AS_OF, "--pdf", str(target),
                           "--site-dir", str(workspace / f"site-{number}"))
        assert code == 1, err
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    reader = PdfReader(workspace / "packet-1.pdf")
    assert reader.metadata is not None
    assert reader.metadata["/CreationDate"] == "D:20261128000000Z"
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "prepared for Summit Health's request of 2026-11-20" in text
    members = [text for text in pages if text.startswith(("C-1: Ada Alpha", "C-3: Cy Gamma"))]
    assert [t.split(":")[0] for t in members] == ["C-1", "C-3"]  # each starts a new sheet
    for text in pages:
        if "Member C-1 · Summit Health member number" in text.split("Page ")[0][-400:]:
            assert "C-3" not in text.split("Page ")[0][-400:]


def test_pdf_without_weasyprint_exits_2_before_writing_anything(
        workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("generator.cli.pdf_available", lambda: False)
    request(workspace, "payer: summit\nrequested_on: 2026-11-20\nmembers: [C-1]\n")
    code, out, err = run("audit", str(workspace / "audits/req.yaml"), str(workspace),
                         "--as-of", AS_OF, "--pdf", str(workspace / "packet.pdf"))
    assert code == 2
    assert out == ""
    assert "pip install 'caseload[pdf]'" in err
    assert not (workspace / "packet.pdf").exists()
    assert not (workspace / "audits" / "req").exists()


# --- notes and plan signatures (v2 fields) -----------------------------------------------

NOTES = """\
    clients:
      - id: N-1
        name: Nia Notes
        member_id: "0012345"
        intake_date: 2026-01-05
        payer: summit
        treatment_plans:
          - {date: 2026-01-10, provider_signed_on: 2026-01-10, client_signed_on: 2026-01-12}
        sessions:
          - {date: 2026-02-20, status: attended}
          - {date: 2026-03-02, status: attended, note_signed: 2026-03-05}
          - {date: 2026-03-03, status: attended, note_signed: 2026-03-07}
          - {date: 2026-03-04, status: attended, note_signed: true}
          - {date: 2026-03-05, status: attended}
          - {date: 2026-03-06, status: attended, note_signed: 2026-12-01}
          - {date: 2026-03-09, status: attended, note_signed: false}
          - {date: 2026-03-10, status: attended, note_signed: true}
          - {date: 2026-03-10, status: attended}
          - {date: 2026-03-11, status: no_show, note_signed: 2026-03-11}
      - id: N-2
        name: Ola Only-Provider
        intake_date: 2026-01-05
        payer: summit
        treatment_plans: [{date: 2026-01-10, provider_signed_on: 2026-01-10}]
        sessions: [{date: 2026-03-02, status: attended, note_signed: true}]
      - id: N-3
        name: Pat Waived
        member_id: W-3
        intake_date: 2026-01-05
        payer: summit
        treatment_plans:
          - {date: 2026-01-10, provider_signed_on: 2026-01-10,
             client_signature_waived: "verbal agreement, telehealth"}
        sessions: [{date: 2026-03-02, status: attended, note_signed: true}]
      - id: N-4
        name: Quinn Blank-Waiver
        intake_date: 2026-01-05
        payer: summit
        treatment_plans:
          - {date: 2026-01-10, provider_signed_on: 2026-01-10, client_signature_waived: "  "}
          - {date: 2026-01-10, provider_signed_on: 2026-12-01, client_signed_on: 2026-01-10}
        sessions: [{date: 2026-03-02, status: attended, note_signed: true}]
      - id: N-5
        name: Rae No-Plan
        member_id: N-5
        intake_date: 2026-03-01
        payer: summit
        sessions: [{date: 2026-03-02, status: attended, note_signed: true}]
    """


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    return write(tmp_path, {
        "site_config/practice.yaml": """\
            name: Test Practice
            documentation:
              note_within_days: 3
              notes_checked_from: 2026-03-01
              plan_signatures_required: true
            """,
        "site_config/payers/summit.yaml": "name: Summit Health\n",
        "content/clients.yaml": NOTES,
    })


def test_note_states_no_grace_and_same_day_order(notes: Path) -> None:
    request(notes, "requested_on: 2026-11-20\nmembers: [0012345]\n")
    code, document = audit_json(notes)
    member = document["members"][0]
    assert (member["member"], member["id"], member["status"]) == ("0012345", "N-1",
                                                                   "incomplete")
    assert [(s["date"], s["note"]) for s in member["sessions"]] == [
        ("2026-02-20", "not_tracked"),  # before notes_checked_from
        ("2026-03-02", "signed"),  # on the third day: in time
        ("2026-03-03", "late"),  # on the fourth
        ("2026-03-04", "signed"),  # signed, day unknown
        ("2026-03-05", "missing"),
        ("2026-03-06", "missing"),  # signed only after the as-of date
        ("2026-03-09", "missing"),  # note_signed: false
        ("2026-03-10", "signed"),  # one day: in the order listed
        ("2026-03-10", "missing"),
    ]
    assert {s["plan_signed"] for s in member["sessions"]} == {"yes"}
    assert code == 1


def test_a_note_not_yet_due_is_still_missing_to_an_auditor(notes: Path) -> None:
    write(notes, {"content/late.yaml": """\
        id: N-9
        name: Sam Recent
        intake_date: 2026-11-01
        payer: summit
        treatment_plans: [{date: 2026-11-01, provider_signed_on: 2026-11-01,
                           client_signed_on: 2026-11-01}]
        sessions: [{date: 2026-11-27, status: attended}]
        """})
    request(notes, "requested_on: 2026-11-20\nmembers: [N-9]\n")
    code, document = audit_json(notes)
    assert document["members"][0]["sessions"] == [
        {"date": "2026-11-27", "note": "missing", "plan": "current", "plan_signed": "yes"}]
    assert code == 1


def test_plan_signature_states(notes: Path) -> None:
    request(notes, "requested_on: 2026-11-20\nmembers: [N-2, W-3, N-4, N-5]\n")
    code, document = audit_json(notes)
    assert [(m["member"], m["id"], m["status"], m["sessions"][0]["plan"],
             m["sessions"][0]["plan_signed"]) for m in document["members"]] == [
        ("N-2", "N-2", "incomplete", "current", "no"),  # no client signature or waiver
        ("W-3", "N-3", "complete", "current", "yes"),  # waived; named by member_id
        # of two plans on one day, the one listed last: the provider signed after A
        ("N-4", "N-4", "incomplete", "current", "no"),
        # no plan yet: nothing to sign; one matched by id and by its own member_id
        ("N-5", "N-5", "complete", "initial", "not_required"),
    ]
    assert code == 1


def test_signatures_not_required_when_the_policy_does_not_ask(notes: Path) -> None:
    write(notes, {"site_config/payers/summit.yaml": """\
        name: Summit Health
        documentation: {plan_signatures_required: false}
        """})
    request(notes, "requested_on: 2026-11-20\nmembers: [N-2]\n")
    code, document = audit_json(notes)
    assert document["members"][0]["sessions"][0]["plan_signed"] == "not_required"
    assert document["members"][0]["status"] == "complete" and code == 0


def test_member_ids_are_matched_exactly_and_ids_ignoring_case(notes: Path) -> None:
    request(notes, "requested_on: 2026-11-20\nmembers: [12345, n-1, w-3, '0012345']\n")
    _, document = audit_json(notes)
    assert [(m["member"], m["id"]) for m in document["members"]] == [
        ("12345", None), ("n-1", "N-1"), ("w-3", None), ("0012345", "N-1")]


def test_an_entry_naming_two_clients_is_an_input_error(notes: Path) -> None:
    write(notes, {"content/other.yaml": """\
        id: W-3
        name: Wes Clash
        intake_date: 2026-01-05
        payer: summit
        """})
    path = request(notes, "requested_on: 2026-11-20\nmembers:\n  - N-1\n  - W-3\n")
    code, out, err = run("audit", str(path), str(notes), "--as-of", AS_OF)
    assert code == 2 and out == ""
    assert err.splitlines()[0] == (
        "audits/req.yaml:4: members[1]: 'W-3' names 2 different clients (N-3, W-3): by id "
        "and by member_id; name the client by its id")
    assert not (notes / "audits" / "req").exists()


def test_the_stamp_names_the_payers_member_number(notes: Path) -> None:
    request(notes, "payer: summit\nrequested_on: 2026-11-20\n"
                   "period: {from: 2026-03-01, to: 2026-03-31}\nmembers: [0012345]\n")
    run("audit", str(notes / "audits/req.yaml"), str(notes), "--as-of", AS_OF)
    page = every_file(notes / "audits" / "req" / "site")["clients/N-1.html"]
    assert ("<strong>Member N-1</strong> · Summit Health member number <strong>0012345"
            "</strong> · dates of service 2026-03-01 to 2026-03-31 · prepared for Summit "
            "Health's request of 2026-11-20") in page


# --- audit requests elsewhere: build, check, serve, snapshot, init ------------------------


def test_build_shows_open_requests_on_the_overview(workspace: Path) -> None:
    request(workspace, "payer: summit\nrequested_on: 2026-11-20\nmembers: [C-1, C-7]\n",
            "open.yaml")
    request(workspace, "requested_on: 2026-10-01\nmembers: [C-1]\n", "closed.yml")
    site = workspace / "site"
    code, _, err = run("build", str(workspace), "--as-of", AS_OF, "--site-dir", str(site))
    assert code == 0, err
    overview = html.unescape((site / "index.html").read_text(encoding="utf-8"))
    assert "Open audit requests" in overview
    assert "audits/open.yaml" in overview
    assert "due 2026-12-04, 5 business days left" in overview
    assert "1 of 2" in overview
    assert "audits/closed.yml" not in overview  # due 2026-10-15: no longer open


def test_a_payers_site_lists_only_that_payers_requests(workspace: Path) -> None:
    request(workspace, "payer: other\nrequested_on: 2026-11-20\nmembers: [C-2]\n", "o.yaml")
    site = workspace / "site"
    code, _, err = run("build", str(workspace), "--as-of", AS_OF, "--site-dir", str(site),
                       "--payer", "summit")
    assert code == 0, err
    assert "audits/o.yaml" not in (site / "index.html").read_text(encoding="utf-8")


def test_a_broken_request_fails_build_but_not_check(workspace: Path) -> None:
    request(workspace, "requested_on: 2026-11-20\nmembers: [C-1]\ndue: soon\n")
    site = workspace / "site"
    code, _, err = run("build", str(workspace), "--as-of", AS_OF, "--site-dir", str(site))
    assert code == 2
    assert "audits/req.yaml:3: due: 'soon' is not a date; write it like 2026-11-28" in err
    assert not site.exists()
    code, _, _ = run("check", str(workspace), "--as-of", AS_OF)
    assert code in (0, 1)


def test_serve_watches_requests_and_the_snapshot_lists_them(workspace: Path) -> None:
    from generator.archive.snapshot import input_files
    from generator.site.serve import watch_state

    request(workspace, "requested_on: 2026-11-20\nmembers: [C-7]\n")
    run("audit", str(workspace / "audits/req.yaml"), str(workspace), "--as-of", AS_OF)
    assert (workspace / "audits" / "req" / "site" / "index.html").is_file()
    watched = [p for p in watch_state(workspace) if p.startswith("audits/")]
    assert watched == ["audits/req.yaml"]
    inputs = [p for p in input_files(workspace) if p.startswith("audits/")]
    assert inputs == ["audits/req.yaml"]
    code, _, err = run("snapshot", str(workspace), "--as-of", AS_OF, "--no-commit")
    assert code == 0, err
    manifest = json.loads((workspace / "snapshots" / AS_OF / "manifest.json").read_text())
    assert "audits/req.yaml" in manifest["inputs"]


def test_init_keeps_packets_out_of_git(tmp_path: Path) -> None:
    code, _, _ = run("init", str(tmp_path / "ws"))
    assert code == 0
    assert "/audits/*/site/" in (tmp_path / "ws" / ".gitignore").read_text().splitlines()


def test_a_changed_request_remakes_the_stamped_member_pages(workspace: Path) -> None:
    # Member pages whose key did not change are taken from the previous packet as they
    # are: the request's stamp must be part of that key.
    for period in ("{from: 2026-03-01}", "{from: 2026-04-01}"):
        request(workspace, f"payer: summit\nrequested_on: 2026-11-20\nperiod: {period}\n"
                           "members: [C-1]\n")
        run("audit", str(workspace / "audits/req.yaml"), str(workspace), "--as-of", AS_OF)
    page = every_file(workspace / "audits" / "req" / "site")["clients/C-1.html"]
    assert "dates of service 2026-04-01 to the report date" in page


# --- the demo's request ----------------------------------------------------------------


def test_the_demo_request_and_its_packet_name_no_other_client(tmp_path: Path) -> None:
    from generator.reading import read_workspace
    from tests.conftest import ROOT

    site = tmp_path / "packet"
    code, out, err = run("audit", str(ROOT / "audits" / "summit-2026-11.yaml"), str(ROOT),
                         "--as-of", AS_OF, "--format", "json", "--site-dir", str(site))
    assert code == 1, err
    document = json.loads(out)
    assert [(m["member"], m["id"], m["status"]) for m in document["members"]] == [
        ("C-1008", "C-1008", "complete"),
        ("XJH4471902", "C-1011", "complete"),  # named by Summit's member number
        ("C-1021", "C-1021", "incomplete"),  # a progress note never signed
        ("C-1037", "C-1037", "incomplete"),  # discharged without a summary
        ("XJH5520117", "C-1042", "incomplete"),  # a progress note signed late
    ]
    assert document["summary"] == {"members": 5, "complete": 2, "incomplete": 3}
    members = {"C-1008", "C-1011", "C-1021", "C-1037", "C-1042"}
    others = [c for c in read_workspace(ROOT).clients if c.id not in members]
    files = every_file(site)
    for path, text in files.items():
        for client in others:
            assert not re.search(rf"\b{client.id}\b", text), f"{client.id} in {path}"
            assert client.name not in text, f"{client.name} in {path}"


# --- the errors of the workspace and of the request, reported together -----------------


def _break_workspace_and_request(workspace: Path) -> Path:
    write(workspace, {"content/broken.yaml": "id: C-9\nname: Nine\nintake_date: 2026-13-01\n"})
    return request(workspace, "payer: nobody\nrequested_on: 2026-11-20\nmembers: []\n")


def test_audit_reports_the_workspace_and_the_request_errors_in_one_run(workspace: Path) -> None:
    path = _break_workspace_and_request(workspace)
    code, out, err = run("audit", str(path), str(workspace), "--as-of", AS_OF)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "audits/req.yaml:1: payer: no policy file for payer 'nobody' in site_config/payers/",
        "audits/req.yaml:3: members: lists no members; name at least one client id or member "
        "number",
        "content/broken.yaml:3: intake_date: '2026-13-01' is not a date; write it like "
        "2026-11-28",
        "caseload: 3 input errors; nothing was written.",
    ]


def test_build_reports_the_workspace_and_the_request_errors_in_one_run(workspace: Path) -> None:
    _break_workspace_and_request(workspace)
    code, _, err = run("build", str(workspace), "--as-of", AS_OF,
                       "--site-dir", str(workspace / "site"))
    assert code == 2
    assert [line.split(":")[0] for line in err.splitlines()] == [
        "audits/req.yaml", "audits/req.yaml", "content/broken.yaml", "caseload"]
    assert not (workspace / "site").exists()

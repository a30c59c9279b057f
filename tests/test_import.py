"""`caseload import`: exports from practice-management systems into session ledgers.

Through the command line (CliRunner), with exact output where it is the contract:
the files written, the summary, and every error message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from generator.importing import tables
from generator.importing.clients import derived_id
from tests.clirun import run, write
from tests.conftest import ROOT
from tests.importing_helpers import FILES, SP_HEADER, tree


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace at ./ws, the current folder being its parent (so messages name
    exports as typed: export.csv)."""
    monkeypatch.chdir(tmp_path)
    return write(tmp_path / "ws", FILES)


def export(name: str, *lines: str, encoding: str = "utf-8") -> Path:
    path = Path(name)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def sp(*rows: str, name: str = "export.csv") -> Path:
    return export(name, SP_HEADER, *rows)


def ledger(ws: Path, source: str = "simplepractice", year: int = 2026) -> list[dict]:
    data = yaml.safe_load((ws / f"content/imported/{source}-{year}.yaml").read_text("utf-8"))
    assert data["source"] == source
    return data["sessions"]


def imp(*args: str) -> tuple[int, str, str]:
    return run("import", *args, "--workspace", "ws")


# --- the files an import writes ---------------------------------------------------------


def test_simplepractice_export_becomes_a_ledger_and_a_new_client(ws: Path) -> None:
    sp("11/03/2026 10:00 AM,Maya Castellanos,Dana Lee,Show,Locked,90837",
       "11/10/2026,maya  CASTELLANOS ,Dana Lee,No Show,,90837",
       "11/17/2026,Jordan Avery,Chidi Okafor,Show,Draft,90837",
       "11/24/2026,Jordan Avery,Chidi Okafor,Clinician Canceled,,90837",
       "12/01/2026,Jordan Avery,Chidi Okafor,,,90837")
    code, out, err = imp("simplepractice", "export.csv")
    assert (code, err) == (0, "")
    new = derived_id("Jordan Avery")
    assert new == "C-L42P4XCV"  # the documented rule, pinned
    assert out.splitlines() == [
        "SimplePractice appointment export: 1 file (CSV, comma-separated), 5 rows, "
        "5 sessions to import.",
        "Range replaced: 2026-11-03 to 2026-12-01 (simplepractice sessions of the clients in "
        "the export; nothing else is touched).",
        "",
        "  C-1 Maya Castellanos: 2 added",
        f"  {new} Jordan Avery: new client, content/clients/{new}.yaml, 3 added",
        "",
        "Sessions: 5 added, 0 changed, 0 removed; 1 new client.",
        f"Wrote content/clients/{new}.yaml, content/imported/simplepractice-2026.yaml.",
    ]
    assert (ws / f"content/clients/{new}.yaml").read_text("utf-8") == (
        "# Client file made by `caseload import simplepractice` when the export first named\n"
        "# this client. Its sessions are imported into content/imported/; add treatment\n"
        "# plans, contacts and the discharge record here.\n"
        f"id: {new}\n"
        "name: Jordan Avery\n"
        "intake_date: 2026-11-17\n"
        "clinician: okafor\n"
    )
    assert (ws / "content/imported/simplepractice-2026.yaml").read_text("utf-8") == (
        "# Sessions imported from simplepractice by `caseload import`. Each import replaces\n"
        "# the sessions of the clients in its export within its date range. A note or\n"
        "# x_ key added to an entry is kept; dates and statuses come from the export.\n"
        "source: simplepractice\n"
        "sessions:\n"
        "  - client: C-1\n"
        "    date: 2026-11-03\n"
        "    status: attended\n"
        "    note_signed: true\n"
        "  - client: C-1\n"
        "    date: 2026-11-10\n"
        "    status: no_show\n"
        f"  - client: {new}\n"
        "    date: 2026-11-17\n"
        "    status: attended\n"
        f"  - client: {new}\n"
        "    date: 2026-11-24\n"
        "    status: clinician_cancelled\n"
        f"  - client: {new}\n"
        "    date: 2026-12-01\n"
        "    status: scheduled\n"
    )


def test_files_are_private_and_new_folders_too(ws: Path) -> None:
    sp("11/03/2026,Jordan Avery,Dana Lee,Show,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    for relative in ("content/imported", "content/clients"):
        assert stat.S_IMODE((ws / relative).stat().st_mode) == 0o700
    for path in [*(ws / "content/imported").iterdir(), *(ws / "content/clients").iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p for p in ws.rglob(".caseload-import-*")]


def test_one_ledger_per_year_of_the_dates_of_service(ws: Path) -> None:
    sp("12/29/2025,Maya Castellanos,Dana Lee,Show,,", "01/05/2026,Maya Castellanos,,Show,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    assert [e["date"] for e in ledger(ws, year=2025)] == [dt.date(2025, 12, 29)]
    assert [e["date"] for e in ledger(ws, year=2026)] == [dt.date(2026, 1, 5)]


def test_sessions_sorted_by_client_then_date_one_day_in_export_order(ws: Path) -> None:
    sp("11/10/2026,Daniel Reyes,,Show,,",
       "11/03/2026,Maya Castellanos,,No Show,,",
       "11/03/2026,Daniel Reyes,,Late Canceled,,",
       "11/03/2026,Daniel Reyes,,Show,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    assert [(e["client"], str(e["date"]), e["status"]) for e in ledger(ws)] == [
        ("C-1", "2026-11-03", "no_show"),
        ("C-2", "2026-11-03", "late_cancel"),
        ("C-2", "2026-11-03", "attended"),
        ("C-2", "2026-11-10", "attended"),
    ]


# --- what the export may look like ------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_delimiter_is_detected(ws: Path, delimiter: str) -> None:
    rows = [SP_HEADER, "11/03/2026,Maya Castellanos,Dana Lee,Show,Locked,90837",
            '11/10/2026,"Reyes, Daniel",Chidi Okafor,No Show,,90837']
    if delimiter != ",":
        rows = [r.replace(",", delimiter).replace(f'"Reyes{delimiter} Daniel"', '"Reyes, Daniel"')
                for r in rows]
    export("export.csv", *rows)
    code, out, err = imp("simplepractice", "export.csv")
    assert (code, err) == (0, "")
    name = {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]
    assert f"1 file (CSV, {name}-separated)" in out
    assert [(e["client"], e["status"]) for e in ledger(ws)][:1] == [("C-1", "attended")]
    assert len(ledger(ws)) == 2  # "Reyes, Daniel" is a new client, quoted comma and all


def test_utf8_bom_is_read(ws: Path) -> None:
    Path("export.csv").write_bytes(
        b"\xef\xbb\xbf" + f"{SP_HEADER}\n11/03/2026,Maya Castellanos,,Show,,\n".encode())
    assert imp("simplepractice", "export.csv")[0] == 0
    assert ledger(ws)[0]["client"] == "C-1"


def test_crlf_line_ends_and_a_quoted_line_break(ws: Path) -> None:
    Path("export.csv").write_bytes(
        f"{SP_HEADER}\r\n11/03/2026,\"Maya\r\nCastellanos\",,Show,,\r\n"
        "11/04/2026,Maya Castellanos,,Foo,,\r\n".encode())
    code, _, err = imp("simplepractice", "export.csv")
    assert code == 2
    # The record spanning lines 2-3 is found by name; the error names line 4.
    assert err.splitlines()[0].startswith("export.csv:4: column 'Status': unknown value 'Foo'")


def test_xlsx_export(ws: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(SP_HEADER.split(","))
    sheet.append([dt.datetime(2026, 11, 3, 10, 0), "Maya Castellanos", "Dana Lee", "Show",
                  "LOCKED", 90837])
    sheet.append(["11/10/2026", "Maya Castellanos", None, "No Show", None, 90837.0])
    sheet.append([None, None, None, None, None, None])  # an empty row is passed over
    sheet.append([dt.date(2026, 11, 17), "Maya Castellanos", None, "Noshow", None, None])
    book.save("export.xlsx")
    code, _, err = imp("simplepractice", "export.xlsx")
    assert code == 2
    assert err.splitlines()[0] == (
        "export.xlsx:5: column 'Status': unknown value 'Noshow'; did you mean 'No Show'?")
    sheet.delete_rows(5)
    book.save("export.xlsx")
    code, out, err = imp("simplepractice", "export.xlsx")
    assert (code, err) == (0, "")
    assert "1 file (.xlsx)" in out
    assert [(str(e["date"]), e["status"], e.get("note_signed")) for e in ledger(ws)] == [
        ("2026-11-03", "attended", True), ("2026-11-10", "no_show", None)]


@pytest.mark.parametrize(("written", "day"), [
    ("11/03/2026", "2026-11-03"),
    ("1/3/2026", "2026-01-03"),
    ("11/03/2026 10:00 AM", "2026-11-03"),
    ("11/03/2026 23:30", "2026-11-03"),
    ("2026-11-03", "2026-11-03"),
    ("2026-11-03T23:30:00-08:00", "2026-11-03"),
    ("2026-11-03 10:00:00", "2026-11-03"),
])
def test_us_and_iso_dates_and_date_times(ws: Path, written: str, day: str) -> None:
    sp(f"{written},Maya Castellanos,,Show,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    assert str(ledger(ws)[0]["date"]) == day


@pytest.mark.parametrize("written", ["13/03/2026", "02/30/2026", "11/03/26", "Nov 3 2026",
                                     "2026-11-03 sometime"])
def test_a_bad_date_is_an_error(ws: Path, written: str) -> None:
    sp(f"{written},Maya Castellanos,,Show,,")
    code, out, err = imp("simplepractice", "export.csv")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"export.csv:2: column 'Date of Service': '{written}' is not a date (MM/DD/YYYY, or "
        "ISO like 2026-11-28)",
        "caseload import: 1 error; nothing was written.",
    ]


@pytest.mark.parametrize(("value", "status"), [
    ("Show", "attended"), ("No Show", "no_show"), ("Late Canceled", "late_cancel"),
    ("Canceled", "cancelled"), ("Clinician Canceled", "clinician_cancelled"),
    ("Scheduled", "scheduled"), ("", "scheduled"), ("no show", "no_show"),
])
def test_every_simplepractice_status(ws: Path, value: str, status: str) -> None:
    sp(f"11/03/2026,Maya Castellanos,,{value},,")
    assert imp("simplepractice", "export.csv")[0] == 0
    assert ledger(ws)[0]["status"] == status


@pytest.mark.parametrize(("value", "signed"), [
    ("Locked", True), ("LOCKED", True), ("locked", True),
    ("", None), ("Draft", None), ("Unlocked", None), ("No Note", None),
])
def test_progress_note_status(ws: Path, value: str, signed: bool | None) -> None:
    sp(f"11/03/2026,Maya Castellanos,,Show,{value},")
    assert imp("simplepractice", "export.csv")[0] == 0
    assert ledger(ws)[0].get("note_signed") == signed


@pytest.mark.parametrize(("state", "status"), [
    ("booked", "scheduled"), ("arrived", "attended"), ("no_show", "no_show"),
    ("cancelled", "cancelled"), ("late_cancellation", "late_cancel"),
])
def test_jane_export(ws: Path, state: str, status: str) -> None:
    export("jane.csv",
           "start_at,patient_number,patient_first_name,patient_last_name,staff_member_name,state",
           f"2026-11-03T10:00:00-08:00,4711,Maya,Castellanos,Dana Lee,{state}",
           f"2026-11-04T10:00:00-08:00,4712,Lena,Hartmann,Chidi Okafor,{state}",
           f"2026-11-05T10:00:00-08:00,4712,Lena,Hartmann,Chidi Okafor,{state}")
    code, out, err = imp("jane", "jane.csv")
    assert (code, err) == (0, "")
    # Maya is found by name; Lena is new, with Jane's patient number as her id.
    assert [(e["client"], e["status"]) for e in ledger(ws, "jane")] == [
        ("4712", status), ("4712", status), ("C-1", status)]
    assert (ws / "content/clients/4712.yaml").read_text("utf-8").splitlines()[3:] == [
        'id: "4712"', "name: Lena Hartmann", "intake_date: 2026-11-04", "clinician: okafor"]
    assert "Jane appointments export: 1 file (CSV, comma-separated), 3 rows" in out


# --- errors -------------------------------------------------------------------------------


def test_unknown_value_with_a_suggestion(ws: Path) -> None:
    sp("11/03/2026,Maya Castellanos,,Show,,", "11/10/2026,Maya Castellanos,,Noshow,,")
    code, out, err = imp("simplepractice", "export.csv")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "export.csv:3: column 'Status': unknown value 'Noshow'; did you mean 'No Show'?",
        "caseload import: 1 error; nothing was written.",
    ]
    assert not (ws / "content/imported").exists()


def test_free_text_is_never_quoted(ws: Path) -> None:
    note = "Client disclosed a history of trauma and asked us to call her sister"
    sp(f"11/03/2026,Maya Castellanos,,\"{note}\",,")
    _, _, err = imp("simplepractice", "export.csv")
    assert err.splitlines()[0] == (
        f"export.csv:2: column 'Status': unknown value a value of {len(note)} characters "
        "(not shown)")
    assert "trauma" not in err


def test_missing_column_with_a_suggestion(ws: Path) -> None:
    export("export.csv", "Date of Service,Client,Clinician,Status,Progress Notes Status",
           "11/03/2026,Maya Castellanos,,Show,")
    code, _, err = imp("simplepractice", "export.csv")
    assert code == 2
    assert err.splitlines() == [
        "export.csv:1: missing column 'Progress Note Status'; did you mean "
        "'Progress Notes Status'?",
        "caseload import: 1 error; nothing was written.",
    ]


def test_unknown_clinician_with_a_suggestion(ws: Path) -> None:
    sp("11/03/2026,Maya Castellanos,Dana Leigh,Show,,")
    _, _, err = imp("simplepractice", "export.csv")
    assert err.splitlines()[0] == (
        "export.csv:2: column 'Clinician': unknown clinician 'Dana Leigh'; did you mean "
        "'Dana Lee'?; map it to a practice.yaml key under clinician.values in a profile")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "export.csv: the file is empty"),
    (b"\xef\xbb\xbf\r\n", "export.csv: the file is empty"),
    (SP_HEADER.encode() + b"\n", "export.csv: no appointments in the export (only a header?)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "export.csv: not a CSV or .xlsx file (it holds "
                                             "binary data)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "export.csv: an old Excel workbook (.xls); save "
                                                  "it as .xlsx or as CSV UTF-8"),
    (b"PK\x03\x04not really a zip", "export.csv: not a valid .xlsx workbook (it cannot be "
                                    "opened as one)"),
    ("Date".encode("utf-16"), "export.csv: UTF-16 text; export it as CSV UTF-8"),
])
def test_files_that_are_not_exports(ws: Path, content: bytes, message: str) -> None:
    Path("export.csv").write_bytes(content)
    code, out, err = imp("simplepractice", "export.csv")
    assert (code, out) == (2, "")
    assert err.splitlines() == [message, "caseload import: 1 error; nothing was written."]


def test_an_xlsx_name_on_a_csv(ws: Path) -> None:
    sp("11/03/2026,Maya Castellanos,,Show,,", name="export.xlsx")
    _, _, err = imp("simplepractice", "export.xlsx")
    assert err.splitlines()[0] == (
        "export.xlsx: not an Excel workbook, although its name ends in .xlsx")


def test_a_file_over_the_limit_is_refused_unread(ws: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "MAX_EXPORT_BYTES", 1024 * 1024)
    Path("export.csv").write_bytes(SP_HEADER.encode() + b"\n" + b"x" * (1024 * 1024))
    code, _, err = imp("simplepractice", "export.csv")
    assert code == 2
    assert err.splitlines()[0] == (
        "export.csv: the file is over 1 MiB (1 MiB); export a shorter period")


def test_text_that_is_not_utf8(ws: Path) -> None:
    sp("11/03/2026,José Núñez,,Show,,", "11/04/2026,José Núñez,,Show,,",
       "11/05/2026,Maya Castellanos,,Show,,")
    Path("latin.csv").write_bytes(Path("export.csv").read_text("utf-8").encode("latin-1"))
    code, _, err = imp("simplepractice", "latin.csv")
    assert code == 2
    assert err.splitlines() == [
        "latin.csv:2: not UTF-8 text (and 1 more line); export the file as CSV UTF-8",
        "caseload import: 1 error; nothing was written.",
    ]


def test_every_error_in_one_run(ws: Path) -> None:
    sp("11/03/2026,Maya Castellanos,,Show,,",
       "11/31/2026,Maya Castellanos,,Show,,",
       "11/04/2026,,,Show,,",
       "11/05/2026,Maya Castellanos,Dr Who,Shown,Signed,")
    export("other.csv", "Date of Service,Client", "11/03/2026,Maya Castellanos")
    code, out, err = imp("simplepractice", "export.csv", "other.csv", "missing.csv")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "export.csv:3: column 'Date of Service': '11/31/2026' is not a date (MM/DD/YYYY, or "
        "ISO like 2026-11-28)",
        "export.csv:4: column 'Client': empty; whose appointment is this?",
        "export.csv:5: column 'Status': unknown value 'Shown'; did you mean 'Show'?",
        "export.csv:5: column 'Clinician': unknown clinician 'Dr Who'; map it to a "
        "practice.yaml key under clinician.values in a profile",
        "export.csv:5: column 'Progress Note Status': unknown value 'Signed'",
        "other.csv:1: missing column 'Status'",
        "other.csv:1: missing column 'Clinician'",
        "other.csv:1: missing column 'Progress Note Status'",
        "missing.csv: no such file",
        "caseload import: 9 errors; nothing was written.",
    ]
    assert not (ws / "content/imported").exists()


def test_many_errors_of_one_kind_are_counted_not_all_shown(ws: Path) -> None:
    sp(*[f"2026/11/{d:02},Maya Castellanos,,Show,," for d in range(1, 26)])
    _, _, err = imp("simplepractice", "export.csv")
    lines = err.splitlines()
    assert len(lines) == 22
    assert lines[-2] == ("export.csv: 5 more errors like these: 'Date of Service' not a date")
    assert lines[-1] == "caseload import: 25 errors; nothing was written."


def test_unknown_source_with_a_suggestion(ws: Path) -> None:
    sp("11/03/2026,Maya Castellanos,,Show,,")
    code, _, err = imp("simplepractise", "export.csv")
    assert code == 2
    assert err.splitlines() == [
        "caseload import: unknown source 'simplepractise': name one of simplepractice, jane, "
        "fhir, or the path of a profile file; did you mean 'simplepractice'?",
        "caseload import: 1 error in the profile; nothing was written.",
    ]


def test_from_after_to_is_a_usage_error(ws: Path) -> None:
    sp("11/03/2026,Maya Castellanos,,Show,,")
    code, _, err = imp("simplepractice", "export.csv", "--from", "2026-12-01",
                       "--to", "2026-11-01")
    assert code == 2
    assert err == "caseload import: --from 2026-12-01 is after --to 2026-11-01\n"


def test_an_invalid_workspace_stops_the_import(ws: Path) -> None:
    write(ws, {"content/bad.yaml": "id: C-9\nname: X\nintake_date: 2026-02-30\n"})
    sp("11/03/2026,Maya Castellanos,,Show,,")
    code, _, err = imp("simplepractice", "export.csv")
    assert code == 2
    assert err.splitlines()[0].startswith("content/bad.yaml:3: intake_date:")


# --- which client -------------------------------------------------------------------------


def test_names_match_existing_clients_ignoring_case_and_spacing(ws: Path) -> None:
    sp("11/03/2026,  MAYA   castellanos ,,Show,,", "11/04/2026,daniel reyes,,Show,,")
    code, out, _ = imp("simplepractice", "export.csv")
    assert code == 0
    assert [e["client"] for e in ledger(ws)] == ["C-1", "C-2"]
    assert not (ws / "content/clients").exists()
    assert "new client," not in out


def test_a_name_shared_by_two_clients_needs_ids(ws: Path) -> None:
    write(ws, {"content/c4.yaml": "id: C-4\nname: Maya Castellanos\nintake_date: 2026-01-01\n"})
    sp("11/03/2026,Maya Castellanos,,Show,,")
    _, _, err = imp("simplepractice", "export.csv")
    assert err.splitlines()[0] == (
        "export.csv:2: the name matches 2 clients (C-1, C-4); give ids in the export, or tell "
        "them apart by name")


def test_new_ids_are_derived_from_names_deterministically(ws: Path, tmp_path: Path) -> None:
    rows = ["11/03/2026,Jordan Avery,,Show,,", "11/04/2026,Ana Lima,,Show,,"]
    sp(*rows)
    assert imp("simplepractice", "export.csv")[0] == 0
    first = tree(ws)
    # Another workspace, the rows the other way round: the same ids, the same bytes.
    write(tmp_path / "ws2", FILES)
    sp(*reversed(rows))
    assert run("import", "simplepractice", "export.csv", "--workspace", "ws2")[0] == 0
    assert tree(tmp_path / "ws2") == first
    assert sorted(p.name for p in (ws / "content/clients").iterdir()) == sorted(
        [f"{derived_id('Jordan Avery')}.yaml", f"{derived_id('Ana Lima')}.yaml"])


def test_a_derived_id_already_taken_gets_a_suffix(ws: Path) -> None:
    taken = derived_id("Jordan Avery")
    write(ws, {"content/x.yaml": f"id: {taken.lower()}\nname: Someone Else\n"
                                 "intake_date: 2026-01-01\n"})
    sp("11/03/2026,Jordan Avery,,Show,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    assert (ws / f"content/clients/{taken}-2.yaml").is_file()
    assert ledger(ws)[0]["client"] == f"{taken}-2"


def test_an_id_column_gives_the_id_when_valid(ws: Path, tmp_path: Path) -> None:
    header = "start_at,patient_number,patient_first_name,patient_last_name,staff_member_name,state"
    export("jane.csv", header,
           "2026-11-03,c-2,Someone,Renamed,,arrived",  # a known id wins over the name
           "2026-11-04,not an id!,Ana,Lima,,arrived",  # not a valid id: derived from the name
           "2026-11-05,0012,Bo,Berg,,arrived")
    assert imp("jane", "jane.csv")[0] == 0
    assert [e["client"] for e in ledger(ws, "jane")] == ["0012", "C-2", derived_id("Ana Lima")]


def test_a_new_clients_file_never_replaces_another_file(ws: Path) -> None:
    write(ws, {"content/clients/4712.yaml": "id: C-9\nname: Someone\nintake_date: 2026-01-01\n"})
    export("jane.csv",
           "start_at,patient_number,patient_first_name,patient_last_name,staff_member_name,state",
           "2026-11-04,4712,Lena,Hartmann,,arrived")
    before = tree(ws)
    code, _, err = imp("jane", "jane.csv")
    assert code == 2
    assert err.splitlines()[0] == (
        "content/clients/4712.yaml: the export's new client 4712 would be written here, but "
        "this file holds another client; rename the file")
    assert tree(ws) == before


def test_a_client_with_sessions_kept_by_hand_stops_the_import(ws: Path) -> None:
    sp("11/03/2026,Samuel Okoro,,Show,,", "11/04/2026,Maya Castellanos,,Show,,")
    code, _, err = imp("simplepractice", "export.csv")
    assert code == 2
    assert err.splitlines() == [
        "content/okafor/caseload.yaml:9: C-3 keeps its sessions in this file, and the export "
        "has 1 session for it; a client's sessions come from one place. Delete the sessions: "
        "list here to take them from the practice system from now on, or import with "
        "--skip-hand-kept to leave this client out",
        "caseload import: 1 error; nothing was written.",
    ]
    code, out, _ = imp("simplepractice", "export.csv", "--skip-hand-kept")
    assert code == 0
    assert [e["client"] for e in ledger(ws)] == ["C-1"]
    assert ("  C-3 Samuel Okoro: its sessions are kept by hand in content/okafor/caseload.yaml; "
            "1 session in the export left out") in out.splitlines()


# --- dry run, re-import, range ------------------------------------------------------------


def test_dry_run_writes_nothing(ws: Path) -> None:
    sp("11/03/2026,Jordan Avery,,Show,,")
    before = tree(ws)
    code, out, _ = imp("simplepractice", "export.csv", "--dry-run")
    assert code == 0
    assert tree(ws) == before
    new = derived_id("Jordan Avery")
    assert out.splitlines()[-1] == (
        f"Dry run: nothing was written. The import would write content/clients/{new}.yaml, "
        "content/imported/simplepractice-2026.yaml.")


def test_importing_the_same_export_twice_changes_nothing(ws: Path) -> None:
    sp("11/03/2026,Jordan Avery,Dana Lee,Show,Locked,",
       "11/03/2026,Jordan Avery,Dana Lee,Show,,",
       "11/10/2026,Maya Castellanos,,No Show,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    first = tree(ws)
    stamps = {p: p.stat().st_mtime_ns for p in ws.rglob("*.yaml")}
    code, out, _ = imp("simplepractice", "export.csv")
    assert code == 0
    assert tree(ws) == first
    assert {p: p.stat().st_mtime_ns for p in ws.rglob("*.yaml")} == stamps
    assert out.splitlines()[-2:] == [
        "Sessions: 0 added, 0 changed, 0 removed; 0 new clients; 2 clients unchanged.",
        "Nothing to write: the workspace already says what the export says.",
    ]


def test_reimport_replaces_the_range_and_nothing_else(ws: Path) -> None:
    sp("10/27/2026,Maya Castellanos,,Show,Locked,",
       "11/03/2026,Maya Castellanos,,Scheduled,,",
       "11/10/2026,Maya Castellanos,,Scheduled,,",
       "11/17/2026,Maya Castellanos,,Scheduled,,",
       "11/03/2026,Daniel Reyes,,Scheduled,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    # A month later: November as it turned out, for Maya only.
    sp("11/03/2026,Maya Castellanos,,Show,Locked,",
       "11/10/2026,Maya Castellanos,,Show,,",
       "11/10/2026,Maya Castellanos,,Show,,", name="november.csv")
    code, out, _ = imp("simplepractice", "november.csv", "--from", "2026-11-01",
                       "--to", "2026-11-30")
    assert code == 0
    assert [(e["client"], str(e["date"]), e["status"], e.get("note_signed"))
            for e in ledger(ws)] == [
        ("C-1", "2026-10-27", "attended", True),      # before the range: kept
        ("C-1", "2026-11-03", "attended", True),      # changed (status and note)
        ("C-1", "2026-11-10", "attended", None),      # changed
        ("C-1", "2026-11-10", "attended", None),      # added (a second session that day)
        ("C-2", "2026-11-03", "scheduled", None),     # not in this export: kept
    ]                                                 # and 11-17 removed
    assert out.splitlines()[1:] == [
        "Range replaced: 2026-11-01 to 2026-11-30 (simplepractice sessions of the clients in "
        "the export; nothing else is touched).",
        "",
        "  C-1 Maya Castellanos: 1 added, 2 changed, 1 removed",
        "",
        "Sessions: 1 added, 2 changed, 1 removed; 0 new clients.",
        "Wrote content/imported/simplepractice-2026.yaml.",
    ]


def test_rows_outside_the_range_are_left_out(ws: Path) -> None:
    sp("10/27/2026,Maya Castellanos,,Show,,", "11/03/2026,Maya Castellanos,,Show,,")
    code, out, _ = imp("simplepractice", "export.csv", "--from", "2026-11-01")
    assert code == 0
    assert [str(e["date"]) for e in ledger(ws)] == ["2026-11-03"]
    assert "1 row outside the range left out." in out.splitlines()


def test_a_persons_note_on_an_imported_session_survives_reimport(
        ws: Path) -> None:
    sp("11/03/2026,Maya Castellanos,,No Show,,", "11/10/2026,Maya Castellanos,,Show,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    path = ws / "content/imported/simplepractice-2026.yaml"
    text = path.read_text("utf-8").replace(
        "    status: no_show\n",
        "    status: no_show\n    note: 'Called: sick, will rebook'\n"
        "    x_billing: {code: 0012, paid: no}\n")
    path.write_text(text, "utf-8")
    sp("11/03/2026,Maya Castellanos,,Late Canceled,,", "11/10/2026,Maya Castellanos,,Show,,")
    code, out, _ = imp("simplepractice", "export.csv")
    assert code == 0
    entry = ledger(ws)[0]
    assert entry["status"] == "late_cancel"
    assert entry["note"] == "Called: sick, will rebook"
    assert "x_billing: {code: 0012, paid: no}" in path.read_text("utf-8")
    assert "  C-1 Maya Castellanos: 1 changed" in out.splitlines()


def test_a_broken_ledger_stops_the_import(ws: Path) -> None:
    write(ws, {"content/imported/simplepractice-2026.yaml": """\
        source: simplepractice
        sessions:
          - client: C-1
            date: 2026-11-31
            status: attended
          - {client: C-1, date: 2026-11-03, status: attendd, x_a: 1}
        """})
    sp("11/03/2026,Maya Castellanos,,Show,,")
    code, _, err = imp("simplepractice", "export.csv")
    assert code == 2
    assert err.splitlines() == [
        "content/imported/simplepractice-2026.yaml:4: sessions[0].date: '2026-11-31' is not a "
        "date; write it like 2026-11-28",
        "content/imported/simplepractice-2026.yaml:6: sessions[1].status: unknown status "
        "'attendd'; did you mean 'attended'? (one of: scheduled, attended, no_show, "
        "late_cancel, cancelled, clinician_cancelled)",
        "caseload: 2 input errors; nothing was written.",
    ]


# --- atomicity ----------------------------------------------------------------------------


def test_an_interrupted_import_leaves_each_file_old_or_new_and_rerunning_finishes(
        ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sp("12/29/2025,Maya Castellanos,,Show,,", "01/05/2026,Maya Castellanos,,Show,,",
       "01/12/2026,Jordan Avery,,Show,,")
    # The same import, uninterrupted, in a copy: what the workspace must end up as.
    write(tmp_path / "clean", FILES)
    assert run("import", "simplepractice", "export.csv", "--workspace", "clean")[0] == 0
    expected = tree(tmp_path / "clean")

    real_replace, calls = os.replace, []

    def failing_replace(source: str, target: str) -> None:
        if Path(target).resolve().is_relative_to(ws.resolve()):  # not the parse cache's
            calls.append(target)
        if len(calls) == 2 and calls[-1] == target:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_replace)
    before = tree(ws)
    code, out, err = imp("simplepractice", "export.csv")
    assert (code, out) == (2, "")
    new = derived_id("Jordan Avery")
    assert err == (
        "caseload import: cannot write content/imported/simplepractice-2025.yaml: No space "
        f"left on device; it is unchanged. Written completely before it: content/clients/"
        f"{new}.yaml. Run the same import again to finish.\n")
    after = tree(ws)
    for relative, data in after.items():  # every file old or new, nothing half-written
        assert data in (before.get(relative), expected.get(relative))
    assert not [p for p in ws.rglob(".caseload-import-*")]

    monkeypatch.setattr(os, "replace", real_replace)
    code, out, _ = imp("simplepractice", "export.csv")
    assert code == 0
    assert tree(ws) == expected


def test_two_imports_never_write_at_once(ws: Path) -> None:
    fcntl = pytest.importorskip("fcntl")
    sp("11/03/2026,Maya Castellanos,,Show,,")
    descriptor = os.open(ws / "content", os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # another import, busy writing
        code, _, err = imp("simplepractice", "export.csv")
        assert (code, err) == (2, "caseload import: another import is writing to this "
                                  "workspace; run this one when it has finished. Nothing was "
                                  "written.\n")
        assert imp("simplepractice", "export.csv", "--dry-run")[0] == 0  # reads only
    finally:
        os.close(descriptor)
    assert imp("simplepractice", "export.csv")[0] == 0


def test_leftovers_of_an_interrupted_import_are_removed(ws: Path) -> None:
    (ws / "content/imported").mkdir(parents=True)
    leftover = ws / "content/imported/.caseload-import-x1y2.tmp"
    leftover.write_text("source: simplepractice\nsessions:\n  - client: C-1\n")
    sp("11/03/2026,Maya Castellanos,,Show,,")
    assert imp("simplepractice", "export.csv", "--dry-run")[0] == 0
    assert leftover.exists()  # a dry run touches nothing
    assert imp("simplepractice", "export.csv")[0] == 0
    assert not leftover.exists()


# --- FHIR ---------------------------------------------------------------------------------


def bundle(*resources: dict) -> dict:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r}
                      for i, r in enumerate(resources)]}


PATIENT_MAYA = {"resourceType": "Patient", "id": "p1",
                "name": [{"given": ["Maya"], "family": "Castellanos"}]}
PATIENT_NEW = {"resourceType": "Patient", "id": "C-2001",
               "name": [{"use": "official", "text": "Noor Haddad-Lindgren"}]}
PRACTITIONER = {"resourceType": "Practitioner", "id": "pr1",
                "name": [{"given": ["Chidi"], "family": "Okafor"}]}


def appointment(patient: str, status: str, start: str | None) -> dict:
    found = {"resourceType": "Appointment", "status": status,
             "participant": [{"actor": {"reference": patient}, "status": "accepted"},
                             {"actor": {"reference": "Practitioner/pr1"},
                              "status": "accepted"}]}
    if start:
        found["start"] = start
    return found


def test_fhir_bundle(ws: Path) -> None:
    Path("bundle.json").write_text(json.dumps(bundle(
        PATIENT_MAYA, PATIENT_NEW, PRACTITIONER,
        appointment("Patient/p1", "fulfilled", "2026-11-03T10:00:00-08:00"),
        appointment("urn:uuid:1", "noshow", "2026-11-05T10:00:00-08:00"),
        appointment("Patient/C-2001", "booked", "2026-12-01T10:00:00-08:00"),
        appointment("Patient/C-2001", "entered-in-error", "2026-11-06T10:00:00-08:00"),
        {"resourceType": "EpisodeOfCare", "status": "finished",
         "patient": {"reference": "Patient/C-2001"},
         "period": {"start": "2026-10-05", "end": "2026-12-20"}},
        {"resourceType": "EpisodeOfCare", "status": "finished",
         "patient": {"reference": "Patient/p1"},
         "period": {"start": "2026-01-05", "end": "2026-11-20"}},
        {"resourceType": "CarePlan", "status": "active", "intent": "plan",
         "subject": {"reference": "Patient/C-2001"}, "created": "2026-10-19T09:00:00Z"},
        {"resourceType": "CarePlan", "status": "active", "intent": "plan",
         "subject": {"reference": "Patient/p1"}, "period": {"start": "2026-02-01"}},
    )), "utf-8")
    code, out, err = imp("fhir", "bundle.json")
    assert (code, err) == (0, "")
    assert [(e["client"], str(e["date"]), e["status"]) for e in ledger(ws, "fhir")] == [
        ("C-1", "2026-11-03", "attended"),
        ("C-2001", "2026-11-05", "no_show"),
        ("C-2001", "2026-12-01", "scheduled"),
    ]
    assert (ws / "content/clients/C-2001.yaml").read_text("utf-8").splitlines()[3:] == [
        "id: C-2001", "name: Noor Haddad-Lindgren", "intake_date: 2026-10-05",
        "clinician: okafor", "treatment_plans:", "  - date: 2026-10-19", "discharge:",
        "  date: 2026-12-20",
    ]
    assert out.splitlines() == [
        "FHIR R4 bundle: 1 file (FHIR bundle), 4 rows, 3 sessions to import.",
        "Range replaced: 2026-11-03 to 2026-12-01 (fhir sessions of the clients in the export; "
        "nothing else is touched).",
        "1 row whose status is not imported.",
        "",
        "  C-1 Maya Castellanos: 1 added",
        "  C-2001 Noor Haddad-Lindgren: new client, content/clients/C-2001.yaml, 2 added",
        "",
        "Add by hand (an import never changes a client file it did not make):",
        "  C-1 Maya Castellanos: discharged 2026-11-20 in the export; record the discharge in "
        "content/lee/C-1.yaml",
        "  C-1 Maya Castellanos: treatment plan of 2026-02-01 in the export; add it to "
        "content/lee/C-1.yaml",
        "",
        "Sessions: 3 added, 0 changed, 0 removed; 1 new client.",
        "Wrote content/clients/C-2001.yaml, content/imported/fhir-2026.yaml.",
    ]


def test_fhir_validation_errors_name_the_place_not_the_value(ws: Path) -> None:
    Path("bundle.json").write_text(json.dumps(bundle(
        PATIENT_MAYA, PRACTITIONER,
        appointment("Patient/p1", "fulfilled", "2026-11-03T10:00:00-08:00"),
        {**appointment("Patient/p1", "fulfilled", None), "status": 5},
        {**appointment("Patient/p1", "fulfilled", None), "start": "secret text"},
        appointment("Patient/p1", "fulfiled", "2026-11-04T10:00:00-08:00"),
        appointment("Patient/p9", "booked", "2026-11-05T10:00:00-08:00"),
        {"resourceType": "Nonsense"},
    )), "utf-8")
    code, out, err = imp("fhir", "bundle.json")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "bundle.json: entry[3].resource.status: Input should be a valid string",
        "bundle.json: entry[4].resource.start: Instant value string does not match spec regex",
        "bundle.json: entry[5].resource.status: unknown status 'fulfiled'; did you mean "
        "'fulfilled'?",
        "bundle.json: entry[6].resource.participant[0].actor: refers to no Patient in the "
        "bundle",
        "bundle.json: entry[7].resource.resourceType: not a FHIR R4 resource type",
        "caseload import: 5 errors; nothing was written.",
    ]
    assert "secret" not in err


@pytest.mark.parametrize(("content", "message"), [
    ("{", "bundle.json:1: not valid JSON (Expecting property name enclosed in double quotes)"),
    ('{"resourceType": "Patient"}', 'bundle.json: not a FHIR bundle (the top level needs '
                                    '"resourceType": "Bundle")'),
    ('{"resourceType": "Bundle"}', "bundle.json: type: Value for the field 'type' is required"),
])
def test_fhir_files_that_are_not_bundles(ws: Path, content: str, message: str) -> None:
    Path("bundle.json").write_text(content, "utf-8")
    _, _, err = imp("fhir", "bundle.json")
    assert err.splitlines()[0] == message


# --- waiting for the reader -----------------------------------------------------------------



def test_check_reads_an_imported_workspace(ws: Path) -> None:
    sp("11/03/2026,Maya Castellanos,,Show,Locked,", "11/10/2026,Jordan Avery,Dana Lee,Show,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    code, out, err = run("check", "ws", "--as-of", "2026-11-28", "--format", "json")
    assert code in (0, 1), err
    clients = {c["id"]: c for c in json.loads(out)["clients"]}
    assert clients["C-1"]["last_session"] == "2026-11-03"
    assert clients[derived_id("Jordan Avery")]["last_session"] == "2026-11-10"


def test_importing_twice_through_the_real_reader(ws: Path) -> None:
    sp("11/03/2026,Maya Castellanos,,Show,Locked,", "11/10/2026,Jordan Avery,Dana Lee,Show,,")
    assert imp("simplepractice", "export.csv")[0] == 0
    first = tree(ws)
    code, out, err = imp("simplepractice", "export.csv")
    assert code == 0, err
    assert tree(ws) == first
    assert out.splitlines()[-1] == (
        "Nothing to write: the workspace already says what the export says.")


def test_check_reads_the_fhir_client_files_and_ledger(ws: Path) -> None:
    Path("bundle.json").write_text(json.dumps(bundle(
        PATIENT_NEW, PRACTITIONER,
        appointment("Patient/C-2001", "fulfilled", "2026-11-05T10:00:00-08:00"),
        {"resourceType": "EpisodeOfCare", "status": "finished",
         "patient": {"reference": "Patient/C-2001"},
         "period": {"start": "2026-10-05", "end": "2026-11-20"}},
    )), "utf-8")
    assert imp("fhir", "bundle.json")[0] == 0
    code, out, err = run("check", "ws", "--as-of", "2026-11-28", "--format", "json")
    assert code in (0, 1), err
    (client,) = [c for c in json.loads(out)["clients"] if c["id"] == "C-2001"]
    assert (client["status"], client["last_session"]) == ("discharged", "2026-11-05")


def test_a_header_that_is_not_utf8_is_reported_as_such(ws: Path) -> None:
    Path("export.csv").write_bytes(SP_HEADER.replace("Client", "Cli\xe9nt").encode("latin-1")
                                   + b"\n11/03/2026,Maya,,Show,,\n")
    _, _, err = imp("simplepractice", "export.csv")
    assert err.splitlines()[-2:] == [
        "export.csv:1: not UTF-8 text; export the file as CSV UTF-8",
        "caseload import: 2 errors; nothing was written.",
    ]


@pytest.mark.parametrize(("source", "name", "new_clients"), [
    ("simplepractice", "simplepractice-2026-11.csv", 2),
    ("jane", "jane-2026-11.csv", 1),
    ("fhir", "fhir-2026-11.json", 2),
])
def test_the_example_exports_fit_the_demo(source: str, name: str, new_clients: int) -> None:
    export_file = str(ROOT / "examples/exports" / name)
    before = tree(ROOT / "content")
    code, _, err = run("import", source, export_file, "--workspace", str(ROOT), "--dry-run")
    assert code == 2  # the demo keeps its clients' sessions by hand
    assert "keeps its sessions in this file" in err
    code, out, err = run("import", source, export_file, "--workspace", str(ROOT), "--dry-run",
                         "--skip-hand-kept")
    assert (code, err) == (0, "")
    assert f"{new_clients} new client" in out.splitlines()[-2]
    assert tree(ROOT / "content") == before


def test_a_client_named_two_ways_is_one_client(ws: Path) -> None:
    export("jane.csv",
           "start_at,patient_number,patient_first_name,patient_last_name,staff_member_name,state",
           "2026-11-04,C-3,Samuel,Okoro,,arrived",
           "2026-11-05,99,Samuel,Okoro,,arrived")  # an id the caseload does not know: by name
    code, _, err = imp("jane", "jane.csv")
    assert code == 2
    assert err.splitlines()[0].startswith(
        "content/okafor/caseload.yaml:9: C-3 keeps its sessions in this file, and the export "
        "has 2 sessions for it;")
    assert len(err.splitlines()) == 2


@pytest.mark.parametrize(("code", "status"), [
    ("booked", "scheduled"), ("fulfilled", "attended"), ("arrived", "attended"),
    ("checked-in", "attended"), ("noshow", "no_show"), ("cancelled", "cancelled"),
    ("proposed", None), ("pending", None), ("waitlist", None), ("entered-in-error", None),
])
def test_every_fhir_appointment_status(ws: Path, code: str, status: str | None) -> None:
    Path("bundle.json").write_text(json.dumps(bundle(
        PATIENT_MAYA, PRACTITIONER,
        appointment("Patient/p1", "fulfilled", "2026-11-03T10:00:00-08:00"),
        appointment("Patient/p1", code, "2026-11-04T10:00:00-08:00"),
    )), "utf-8")
    assert imp("fhir", "bundle.json")[0] == 0
    assert [e["status"] for e in ledger(ws, "fhir")][1:] == ([status] if status else [])

"""The parts of `caseload import`: the YAML it writes, profiles, dates, client ids,
the ledger reader, and the progress bar."""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import generator.cli
from generator.importing import emit
from generator.importing.clients import compared_name, derived_id
from generator.importing.dates import NotADate, parse_day
from generator.importing.ledger import Entry, ledger_text, read_ledger
from generator.importing.problems import Problems
from generator.importing.profile import BUILT_IN, ProfileInvalid, load_profile
from generator.model.records import ID_PATTERN
from generator.reading import read_workspace
from tests.clirun import run, write
from tests.importing_helpers import FILES

# --- the YAML an import writes --------------------------------------------------------------

TRICKY = [
    "No", "yes", "on", "~", "null", "0012", "1e3", "1_000", "1:20", ".inf", "=", "<<",
    "2026-11-03", "a: b", "# x", "x #y", "x:", " lead", "trail ", "-", "- x", "?", "[x]",
    "{x}", "@x", "`x", "%x", "!x", "&x", "*x", "|x", ">x", "'", '"', "O'Brien",
    'Say "hi"', "back\\slash", "José Núñez", "王伟", "Zoë 🌱", "line\nbreak", "tab\there",
    "nel\x85", "ls\u2028", "bom\ufeff", "del\x7f", "", " ", "C-1001", "Dana Lee, LCSW",
]


@pytest.mark.parametrize("value", TRICKY)
def test_text_reads_back_as_written(value: str) -> None:
    assert yaml.safe_load(f"key: {emit.text(value)}\n") == {"key": value}


@pytest.mark.parametrize("value", ["Maya Castellanos", "C-1001", "Dana Lee, LCSW", "O'Brien",
                                   "José Núñez", "Anouk de Vries", "simplepractice"])
def test_plain_names_stay_unquoted(value: str) -> None:
    assert emit.text(value) == value


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_reads_back_as_written(value: str) -> None:
    written = f"key: {emit.text(value)}\n"
    assert yaml.safe_load(written) == {"key": value}
    assert "\n" not in written[:-1]  # one line, however many lines the text has


NAMES = ["O'Brien, Siobhan", 'Robert "Bobby" Tables', "Yes", "0012", "Zoë: the 2nd",
         "# not a comment", "Nguyễn Thị Minh Khai", "- Dash", "null"]


def test_names_in_new_client_files_read_back_through_the_caseload_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ws", FILES)
    header = "Date of Service,Client,Clinician,Status,Progress Note Status"
    Path("export.csv").write_text(
        header + "\n" + "".join(f'11/0{i + 1}/2026,"{n.replace(chr(34), 2 * chr(34))}",,Show,\n'
                                for i, n in enumerate(NAMES)), "utf-8")
    code, _, err = run("import", "simplepractice", "export.csv", "--workspace", "ws")
    assert code == 0, err
    caseload = read_workspace(tmp_path / "ws")
    made = {c.name for c in caseload.clients if c.source.path.startswith("content/clients/")}
    assert made == set(NAMES)


def test_ledger_text_reads_back() -> None:
    entries = [Entry("0012", dt.date(2026, 11, 3), "attended", True),
               Entry("C-1", dt.date(2026, 11, 4), "no_show", dt.date(2026, 11, 5),
                     "Called: left a message", (("x_code", "{a: 1, b: [x, 'no']}"),))]
    data = yaml.safe_load(ledger_text("jane", entries))
    assert data == {"source": "jane", "sessions": [
        {"client": "0012", "date": dt.date(2026, 11, 3), "status": "attended",
         "note_signed": True},
        {"client": "C-1", "date": dt.date(2026, 11, 4), "status": "no_show",
         "note_signed": dt.date(2026, 11, 5), "note": "Called: left a message",
         "x_code": {"a": 1, "b": ["x", "no"]}},
    ]}
    assert yaml.safe_load(ledger_text("jane", [])) == {"source": "jane", "sessions": []}


def test_a_ledger_read_back_is_the_ledger_written(tmp_path: Path) -> None:
    entries = [Entry("0012", dt.date(2026, 11, 3), "clinician_cancelled", None, "a: b"),
               Entry("C-1", dt.date(2026, 11, 4), "attended", dt.date(2026, 11, 5), None,
                     (("x_a", "[1, '2', {c: no}]"), ("x_b", '"0012"')))]
    (tmp_path / "content/imported").mkdir(parents=True)
    (tmp_path / "content/imported/jane-2026.yaml").write_text(ledger_text("jane", entries))
    problems = Problems()
    assert read_ledger(tmp_path, "content/imported/jane-2026.yaml", "jane",
                       problems) == entries
    assert not problems


@pytest.mark.parametrize(("text", "message"), [
    ("source: jane\nsessions: []\n", None),
    ("source: other\nsessions: []\n", "x.yaml:1: source: this ledger's name says it holds jane "
                                      "sessions, but its source: says otherwise; rename or "
                                      "move it"),
    ("source: jane\n", "x.yaml:1: document: missing required key 'sessions'"),
    ("", "x.yaml:1: document: the ledger is empty"),
    ("source: jane\nsessions:\n  - &a {client: C-1}\n",
     "x.yaml:3: document: anchors and aliases are not allowed in a ledger"),
    ("source: jane\nsessions:\n  - {client: C-1, date: 2026-11-03, status: attended, colour: 1}\n",
     "x.yaml:3: sessions[0].colour: unknown key 'colour'"),
    ("source: jane\nsessions:\n  - {date: 2026-11-03, status: attended}\n",
     "x.yaml:3: sessions[0]: missing required key 'client'"),
    ("source: jane\nsessions: [\n", "x.yaml:3: not valid YAML: did not find expected node "
                                   "content"),
])
def test_ledger_reader_errors(tmp_path: Path, text: str, message: str | None) -> None:
    (tmp_path / "x.yaml").write_text(text)
    problems = Problems()
    read_ledger(tmp_path, "x.yaml", "jane", problems)
    assert problems.lines() == ([message] if message else [])


# --- profiles -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_profile_reads(name: str) -> None:
    profile = load_profile(name)
    assert profile.source == name
    assert profile.statuses.targets


CUSTOM = """\
title: Our practice system
client:
  id: Client ID
  name: [First, Last]
date:
  column: Appointment
  format: DD/MM/YYYY
  timezone: Europe/Berlin
status:
  column: Outcome
  values:
    Attended: attended
    DNA: no_show
    Cancelled by therapist: clinician_cancelled
    Deleted: skip
clinician:
  column: Therapist
  values:
    Dr. D. Lee: lee
note:
  column: Note signed
  format: DD/MM/YYYY
  values:
    "yes": true
    "": false
ignore: [Room]
"""


def test_a_profile_of_ones_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ws", FILES)
    Path("our-system.yaml").write_text(CUSTOM, "utf-8")
    Path("export.csv").write_text(
        "Client ID;First;Last;Appointment;Outcome;Therapist;Note signed;Room;Fee\n"
        "C-1;Maya;Castellanos;03/11/2026 10:00;attended;Dr. D. Lee;05/11/2026;2;90\n"
        ";Ana;Lima;2026-11-04T23:30:00Z;DNA;Dana Lee;yes;2;90\n"
        ";Ana;Lima;05/11/2026;Deleted;Dana Lee;;2;90\n", "utf-8")
    code, out, err = run("import", "our-system.yaml", "export.csv", "--workspace", "ws")
    assert (code, err) == (0, "")
    data = yaml.safe_load((tmp_path / "ws/content/imported/our-system-2026.yaml").read_text())
    new = derived_id("Ana Lima")
    assert data == {"source": "our-system", "sessions": [
        {"client": "C-1", "date": dt.date(2026, 11, 3), "status": "attended",
         "note_signed": dt.date(2026, 11, 5)},
        # 23:30 UTC is already the next day in Berlin.
        {"client": new, "date": dt.date(2026, 11, 5), "status": "no_show",
         "note_signed": True},
    ]}
    assert out.splitlines()[:3] == [
        "Our practice system: 1 file (CSV, semicolon-separated), 3 rows, 2 sessions to import.",
        "Range replaced: 2026-11-03 to 2026-11-05 (our-system sessions of the clients in the "
        "export; nothing else is touched).",
        "1 row whose status is not imported.",
    ]
    assert "Columns not read: Fee." in out.splitlines()


@pytest.mark.parametrize(("text", "messages"), [
    ("client: {name: Client}\ndate: {column: D, format: YYYY/MM/DD}\n"
     "status: {column: S, values: {Show: atended}}\ncolour: red\n", [
         "p.yaml:2: date.format: unknown date format 'YYYY/MM/DD'; did you mean 'YYYY-MM-DD'? "
         "(one of: MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY, YYYY-MM-DD)",
         "p.yaml:3: status.values.Show: unknown status 'atended'; did you mean 'attended'? "
         "(one of: scheduled, attended, no_show, late_cancel, cancelled, clinician_cancelled, "
         "skip)",
         "p.yaml:4: colour: unknown key 'colour' (one of: title, format, client, date, status, "
         "clinician, note, ignore)",
     ]),
    ("client: {}\ndate: {format: MM/DD/YYYY}\nstatus: {column: S}\n", [
        "p.yaml:1: client: name the column of the client's id, of its name, or both",
        "p.yaml:2: date: missing required key 'column'",
        "p.yaml:3: status: missing required key 'values' (what each status in the export "
        "means)",
    ]),
    ("client: {name: !!python/name:os.system x}\n", [
        "p.yaml:1: profile: tags are not allowed in a profile"]),
    ("client: &c {name: Client}\ndate: *c\n", [
        "p.yaml:1: profile: anchors and aliases are not allowed in a profile"]),
    ("- a\n", ["p.yaml:1: profile: expected a mapping, got a list"]),
    ("", ["p.yaml:1: the profile is empty"]),
    ("client: [\n", ["p.yaml:2: not valid YAML: did not find expected node content"]),
    ("client: {name: C}\ndate: {column: D, timezone: Mars/Olympus}\n"
     "status: {column: S, values: {a: skip, A: attended}}\nnote: {column: N, values: {x: 1}}\n", [
         "p.yaml:2: date.timezone: unknown time zone 'Mars/Olympus'; write it like "
         "America/Chicago",
         "p.yaml:3: status.values.A: listed twice (values are compared ignoring letter case "
         "and spaces)",
         "p.yaml:4: note.values.x: expected true (signed) or false (not signed)",
     ]),
    ("format: fhir\nclient: {name: C}\nstatus: {values: {booked: scheduled}}\n", [
        "p.yaml:2: client: a FHIR profile reads no columns: only title, status.values and "
        "clinician.values apply"]),
])
def test_profile_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                        messages: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.yaml").write_text(text, "utf-8")
    with pytest.raises(ProfileInvalid) as caught:
        load_profile("p.yaml")
    assert caught.value.problems.lines() == messages


def test_a_profile_whose_name_cannot_name_a_ledger(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("my system.yaml").write_text(CUSTOM, "utf-8")
    with pytest.raises(ProfileInvalid) as caught:
        load_profile("my system.yaml")
    assert caught.value.problems.lines() == [
        "my system.yaml: a profile's file name names its ledger: use letters, digits, - and _ "
        "only (e.g. my-practice-system.yaml)"]


def test_a_clinician_map_naming_no_practice_clinician(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "ws", FILES)
    Path("our-system.yaml").write_text(CUSTOM.replace("Dr. D. Lee: lee", "Dr. D. Lee: leee"))
    Path("export.csv").write_text("Client ID;First;Last;Appointment;Outcome;Therapist;"
                                  "Note signed\nC-1;M;C;03/11/2026;DNA;;\n")
    code, _, err = run("import", "our-system.yaml", "export.csv", "--workspace", "ws")
    assert code == 2
    assert err.splitlines()[0] == (
        "our-system.yaml:19: clinician.values: 'leee' is not a clinician in "
        "site_config/practice.yaml; did you mean 'lee'? (one of: lee, okafor)")


# --- dates and ids --------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "form", "zone", "day"), [
    ("11/03/2026", "MM/DD/YYYY", None, "2026-11-03"),
    ("03/11/2026", "DD/MM/YYYY", None, "2026-11-03"),
    ("3.11.2026 14:00", "DD.MM.YYYY", None, "2026-11-03"),
    ("2026-11-03", "DD/MM/YYYY", None, "2026-11-03"),
    ("11/03/2026 10:00 AM PST", "MM/DD/YYYY", None, "2026-11-03"),
    ("2026-11-04T02:00:00Z", "YYYY-MM-DD", "America/Los_Angeles", "2026-11-03"),
    ("2026-11-04T02:00:00Z", "YYYY-MM-DD", None, "2026-11-04"),
    ("2026-11-03T10:00:00.123-08:00", "YYYY-MM-DD", None, "2026-11-03"),
    (dt.datetime(2026, 11, 3, 23, 0), "MM/DD/YYYY", None, "2026-11-03"),
    (dt.datetime(2026, 11, 4, 2, 0, tzinfo=dt.UTC), "MM/DD/YYYY", "America/Chicago",
     "2026-11-03"),
])
def test_days(cell: str | dt.datetime, form: str, zone: str | None, day: str) -> None:
    assert parse_day(cell, form, zone).isoformat() == day


@pytest.mark.parametrize("cell", ["11/03/2026", "2026-11-3", "2026-13-01", "11-03-2026", "x",
                                  "2026-11-03 x"])
def test_not_days(cell: str) -> None:
    with pytest.raises(NotADate):
        parse_day(cell, "YYYY-MM-DD")


def test_derived_ids_are_pinned_and_ignore_case_and_spacing() -> None:
    assert derived_id("Jordan Avery") == "C-L42P4XCV"
    assert derived_id("  jordan   AVERY ") == "C-L42P4XCV"
    assert compared_name("\uff2a\uff4f\uff52\uff44\uff41\uff4e") == "jordan"  # full-width (NFKC)
    assert derived_id("Jordan Avery") != derived_id("Jordan Averey")


# --- the progress bar -----------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_only_for_large_exports(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    with generator.cli.stderr_progress("Reading 1 file", 100) as advance:
        advance(50)
    assert stream.getvalue() == ""  # small: no bar
    big = generator.cli.LARGE_EXPORT_BYTES
    with generator.cli.stderr_progress("Reading 1 file", big) as advance:
        advance(big)
    assert "Reading 1 file" in stream.getvalue()
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with generator.cli.stderr_progress("Reading 1 file", big) as advance:
        advance(big)
    assert quiet.getvalue() == ""  # not a terminal: no bar


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from(["C-1", "0012", "true", "c-1", "A_b-9", "No", "x: y", "Zoë", "#1"]),
    st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)),
    st.sampled_from(["scheduled", "attended", "no_show", "late_cancel", "cancelled",
                     "clinician_cancelled"]),
    st.one_of(st.none(), st.just(True), st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31))),
    st.one_of(st.none(), st.text(max_size=20)),
), max_size=12))
def test_the_fast_ledger_reader_reads_what_the_event_reader_reads(
        items: list[tuple[str, dt.date, str, object, str | None]]) -> None:
    from generator.importing.ledger import _Events, _fast_ledger, _ledger

    entries = [Entry(c, d, s, n, note) for c, d, s, n, note in items]  # type: ignore[arg-type]
    text = ledger_text("jane", entries)
    problems = Problems()
    slow = _ledger(_Events(text, "x.yaml", problems), "jane")
    assert not problems
    assert slow == entries
    fast = _fast_ledger(text, "jane")
    assert fast is None or fast == entries
    plain = all(e.note is None and emit.text(e.client) == e.client
                and ID_PATTERN.fullmatch(e.client) for e in entries)
    if plain and entries:
        assert fast is not None  # what an import writes takes the fast way


def test_the_fast_ledger_reader_leaves_anything_unusual_to_the_event_reader() -> None:
    from generator.importing.ledger import _fast_ledger

    good = ledger_text("jane", [Entry("C-1", dt.date(2026, 11, 3), "attended", True)])
    assert _fast_ledger(good, "jane") == [Entry("C-1", dt.date(2026, 11, 3), "attended", True)]
    for text in (good.replace("attended", "atended"), good.replace("11-03", "11-31"),
                 good.replace("jane", "other"), good + "  - client: C-2\n",
                 good.replace("    status", "    note: x\n    status"),
                 good.replace("source: jane", "source: jane\nx_a: 1")):
        assert _fast_ledger(text, "jane") is None

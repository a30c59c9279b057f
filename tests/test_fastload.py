"""Differential tests for generator.reading.fast: it may only shortcut to the exact result.

For any text, either the fast path declines, or the exact path (PyYAML nodes and
exact.py's schema) reads the file without a single error and gives the same clients
at the same places. Checked on the demo, on a generated workspace, on a table of
YAML's corner cases and on fuzzed text; and the common forms must be accepted, or
the fast path would be dead weight. For a longer fuzz run:

    CASELOAD_FUZZ_EXAMPLES=5000 CASELOAD_FUZZ_RANDOM=1 python -m pytest tests/test_fastload.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate_workspace
from generator.cli import cli
from generator.importing.ledger import Entry, ledger_text
from generator.model.plain import entry_text
from generator.reading import exact as load
from generator.reading import fast as fastload
from generator.reading.cache import Days, plain_records
from generator.reading.exact import ClientRecord, WorkspaceInvalid, load_workspace
from generator.reading.record import LedgerRecord
from tests.conftest import DEMO_AS_OF
from tests.test_build import copy_demo

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("CASELOAD_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES * 3, deadline=None,
                derandomize=not os.environ.get("CASELOAD_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

pytestmark = pytest.mark.skipif(fastload.ryml is None, reason="rapidyaml is not installed")


@pytest.fixture(autouse=True)
def fast_path_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fastload.DISABLE_VARIABLE, raising=False)


def read_both(root: Path, path: Path) -> tuple[list[ClientRecord] | None, list[ClientRecord],
                                               list[load.InputError]]:
    """(the fast path's records or None when it declined, the exact records, their errors)."""
    fast_errors: list[load.InputError] = []
    read = load._load_content_file(root, path, fast_errors, None, fast=True)
    accepted = read.clients(Days()) if read.plain is not None else None
    exact_errors: list[load.InputError] = []
    exact = load._load_content_file(root, path, exact_errors, None, fast=False).records or []
    if accepted is None:
        assert fast_errors == exact_errors
    else:
        assert not fast_errors
    return accepted, exact, exact_errors


def agrees(root: Path, path: Path) -> bool:
    """Whether the fast path accepted the file; fails if it accepted and disagrees."""
    accepted, exact, errors = read_both(root, path)
    if accepted is None:
        return False
    assert not errors, f"the fast path accepted an invalid file: {errors}"
    assert [_comparable(r) for r in accepted] == [_comparable(r) for r in exact]
    # And it writes the cache entry those clients make, but for the lines it does not know.
    plain = load._load_content_file(root, path, [], None, fast=True).plain
    made = plain_records([ClientRecord(r.client, r.where, 0, 0, 0, 0)
                          if isinstance(r, ClientRecord) else LedgerRecord(r.path, r.ledger)
                          for r in exact])
    assert entry_text(plain or []) == entry_text(made)
    return True


def _comparable(record: Any) -> Any:
    if isinstance(record, LedgerRecord):
        return (record.path, record.ledger)
    return (record.client, record.where)


def write_content(root: Path, data: str | bytes, name: str = "c.yaml") -> Path:
    path = root / "content" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- real workspaces -----------------------------------------------------------------


def test_demo_files_agree_and_are_nearly_all_accepted() -> None:
    files = load.content_files(REPO, [])
    accepted = [agrees(REPO, path) for path in files]
    assert sum(accepted) >= len(files) - 2, "the demo's ordinary files should take the fast path"


def test_generated_workspace_agrees_file_by_file(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    generate_workspace(root, 150, seed=3)
    files = load.content_files(root, [])
    assert all(agrees(root, path) for path in files)


def test_mixed_style_workspace_agrees_file_by_file_and_takes_the_fast_path(
        tmp_path: Path) -> None:
    # Issue #11: ---, CRLF, BOM, comments, '', ~, block summaries and escapes, mixed.
    root = tmp_path / "ws"
    files = generate_workspace(root, 120, seed=4, style="mixed")
    data = [path.read_bytes() for path in files]
    for spelling in (b"---", b"\r\n", b"\xef\xbb\xbf", b"''", b": ~", b": |", b'\\"', b"\\u"):
        assert any(spelling in d for d in data), f"no file has {spelling!r}"
    assert all(agrees(root, path) for path in files)


def test_ledgers_an_import_writes_take_the_fast_path(tmp_path: Path) -> None:
    text = ledger_text("simplepractice", [
        Entry("C-1", date(2026, 11, 3), "attended", True, 'Said "fine"\n\tthen left'),
        Entry("C-2", date(2026, 11, 4), "no_show", None, ""),
        Entry("C-1", date(2026, 11, 5), "attended", date(2026, 11, 6), "caf\u00e9 \u2028 x"),
    ])
    assert '\\"' in text and ': ""' in text  # escapes, and the empty note quoted
    assert agrees(tmp_path, write_content(tmp_path, text, "imported/simplepractice-2026.yaml"))


def test_whole_workspace_is_the_same_with_and_without_the_fast_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    generate_workspace(root, 60, seed=5)
    fast = load_workspace(root)
    monkeypatch.setenv(fastload.DISABLE_VARIABLE, "1")
    assert load_workspace(root) == fast


def test_check_output_is_identical_with_and_without_the_fast_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = copy_demo(tmp_path)
    monkeypatch.setenv("CASELOAD_NO_CACHE", "1")
    outputs = []
    for exact in (False, True):
        if exact:
            monkeypatch.setenv(fastload.DISABLE_VARIABLE, "1")
        result = CliRunner().invoke(cli, ["check", str(workspace), "--as-of", DEMO_AS_OF,
                                          "--format", "json"])
        assert result.exit_code == 1, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


# --- corner cases --------------------------------------------------------------------

CLIENT = "id: C-1\nname: Jordan Avery\nintake_date: 2026-01-05\n"

NOTE = "sessions:\n  - date: 2026-02-01\n    status: attended\n    note: "

# (text after CLIENT's three lines, whether the fast path must accept it)
CASES: dict[str, tuple[str, bool | None]] = {
    "plain": ("payer: aetna\nclinician: lee\n", True),
    "comment first": ("# a comment\npayer: aetna # trailing\n", True),
    "block sessions": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                       "    note: Reviewed goals - sleep, work.\n", True),
    "flow sessions": ("sessions:\n  - {date: 2026-02-01, status: no_show}\n"
                      "  - {date: '2026-02-08', status: \"attended\"}\n", True),
    "sequence at key indent": ("sessions:\n- date: 2026-02-01\n  status: attended\n", True),
    "quoted texts": ("payer: 'aetna'\nsessions:\n  - date: 2026-02-01\n    status: attended\n"
                     "    note: \"She said: fine, \u00e9\"\n", True),
    "escapes": ("payer: \"caf\\u00e9 \\x41\\\\ \\/\"\nclinician: \"\\ud83d\\ude00\"\n", None),
    "escaped quotes": ("payer: \"She said \\\"fine\\\" \\u00e9\"\n", True),
    "multi-line plain": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                         "    note: one\n      two\n\n      three\n", True),
    "multi-line double quoted": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                                 "    note: \"one\n      two \\\n      three\"\n", None),
    "goals text and list": ("treatment_plans:\n  - date: 2026-01-10\n    goals: Sleep better\n"
                            "  - date: 2026-04-10\n    goals:\n      - Walk\n      -\n"
                            "      - ~\n", None),
    "discharge": ("discharge:\n  date: 2026-06-01\n  reason: goals_met\n  summary: Done.\n"
                  "  client_participated: TRUE\n", True),
    "extras": ("x_ref: 0012\nx_list: [1, -0, true, no, ~, 'null', 2026-01-05]\n"
               "x_map: {a: {b: [c]}}\n", None),
    "extras float": ("x_fee: 1.\nx_rate: 1.50\nx_big: 1e999\n", None),
    "extras empty": ("x_a:\nx_b: ''\nx_c: \"\"\n", True),
    "null forms": ("payer: ~\nclinician: null\n", True),
    "quoted null forms": ("payer: '~'\nclinician: \"null\"\n", None),
    "numbers as text": ("payer: 12\nclinician: -0\nx_cpt: 90837\n", True),
    "numbers typed otherwise": ("payer: 1e3\nclinician: 0x1F\nx_a: +5\n", None),
    "booleans as text": ("payer: true\nclinician: No\n", True),
    "key with spaces": ("\"x_a b\": 1\n", None),
    "unicode": ("payer: caf\u00e9\nclinician: \U0001F600\n", True),
    "nbsp": ("payer: a\u00a0b\n", None),
    "nel line break": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                       "    note: one\u0085two\n", None),
    "line separator": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                       "    note: \"one\u2028two\"\n", None),
    "tab in text": ("payer: a\tb\n", None),
    "crlf": ("payer: aetna\r\nclinician: lee\r\n", True),
    "anchor and alias": ("payer: &p aetna\nclinician: *p\n", None),
    "merge key": ("x_a: {b: 1}\n<<: {payer: aetna}\n", None),
    "tag": ("payer: !!str aetna\n", None),
    "literal block": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                      "    note: |\n      one\n       two\n", True),
    "folded block": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                     "    note: >-\n      one\n      two\n\n      three\n", True),
    "document markers": ("---\npayer: aetna\n...\n", None),
    "two documents": ("payer: aetna\n---\nid: C-2\n", None),
    "directive": ("%YAML 1.1\n---\npayer: aetna\n", None),
    "duplicate key": ("payer: aetna\npayer: cigna\n", None),
    "duplicate extra key inside": ("x_a: {b: 1, b: 2}\n", None),
    "unknown key": ("payr: aetna\n", None),
    "bad date": ("sessions:\n  - {date: 2026-02-30, status: attended}\n", None),
    "bad status": ("sessions:\n  - {date: 2026-02-01, status: Attended}\n", None),
    "empty note": ("sessions:\n  - date: 2026-02-01\n    status: attended\n    note:\n", None),
    "sessions null": ("sessions:\ncontacts: ~\n", None),
    "sessions not a list": ("sessions: attended\n", None),
    "deep extras": ("x_a: " + "[" * 70 + "]" * 70 + "\n", None),
    "flow client": ("", None),  # replaced below
    "bad indentation": ("payer: aetna\n clinician: lee\n", None),
    "colon in plain": ("payer: a:b\nclinician: lee # x: y\n", True),
    "hash without space": ("payer: a#b\n", True),
    "question mark inside": ("payer: why?\n", True),
    "reserved at start": ("payer: '@home'\nclinician: \"`x\"\n", None),
    "text after a flow mapping": ("sessions:\n  - {date: 2026-02-01, status: attended}  - {}\n",
                                  None),
    "flow mappings in a flow list": ("sessions: [{date: 2026-02-01, status: attended} ,\n"
                                     "  {date: 2026-02-08, status: attended}] # ok\n", None),
    "text after a quoted item": ("x_a:\n  - \"one\"      - two\n", None),
    "quotes inside plain text": ("payer: Client's own\nclinician: say \"hi\" there\n", None),
    "colon starting a token": ("x_a: [:]\nx_b: {a: 1, : 2}\nx_c: a : b\n", None),
    "ellipsis in text": ("payer: wait...\nclinician: -- lee --\n", True),
    # (v2) fields
    "note signed": ("sessions:\n  - {date: 2026-02-01, status: attended, note_signed: true}\n"
                    "  - {date: 2026-02-08, status: attended, note_signed: 2026-02-09}\n"
                    "  - {date: 2026-02-15, status: attended, note_signed: false}\n"
                    "  - {date: 2026-02-22, status: attended, note_signed: '2026-02-22'}\n"
                    "  - {date: 2026-03-01, status: clinician_cancelled, note_signed: True}\n",
                    True),
    "note signed null": ("sessions:\n  - {date: 2026-02-01, status: attended, note_signed: ~}\n",
                         None),
    "note signed before the session": (
        "sessions:\n  - {date: 2026-02-08, status: attended, note_signed: 2026-02-07}\n", None),
    "note signed not a day": (
        "sessions:\n  - {date: 2026-02-08, status: attended, note_signed: yes}\n", None),
    "note signed bad day": (
        "sessions:\n  - {date: 2026-02-08, status: attended, note_signed: 2026-02-30}\n", None),
    "plan signatures": ("treatment_plans:\n  - date: 2026-01-10\n"
                        "    provider_signed_on: 2026-01-10\n    client_signed_on: 2026-01-12\n"
                        "  - date: 2026-04-10\n    provider_signed_on: 2026-04-11\n"
                        "    client_signature_waived: verbal agreement, telehealth\n", True),
    "plan signed before the plan": ("treatment_plans:\n  - date: 2026-01-10\n"
                                    "    client_signed_on: 2026-01-09\n", None),
    "member id": ("member_id: XJH4471902\n", True),
    "member id as a number": ("member_id: 0012345\n", None),
    "member id quoted": ("member_id: '0012345'\n", True),
    # Issue #11: what people and tools write, on the fast path
    "empty quoted notes": ("sessions:\n  - {date: 2026-02-01, status: attended, note: ''}\n"
                           "  - date: 2026-02-08\n    status: attended\n    note: \"\"\n"
                           "contacts:\n  - {date: 2026-02-01, method: phone, outcome: '', "
                           "note: ''}\n", True),
    "empty quoted goal": ("treatment_plans:\n  - {date: 2026-01-10, goals: ['', \"\"]}\n"
                          "  - {date: 2026-02-10, goals: ''}\n", True),
    "empty quoted name": ("payer: ''\n", None),
    "tildes": ("payer: ~\nsessions:\n  - {date: 2026-02-01, status: attended, note: ~, "
               "note_signed: ~}\n  - date: 2026-02-08\n    status: attended\n    note: ~\n"
               "treatment_plans:\n  - {date: 2026-01-10, goals: [a, ~], note: ~}\n"
               "discharge: ~\nx_a: [~, {b: ~}]\n", True),
    "tilde inside text": ("payer: a~b\nclinician: ~lee\nx_a: 'a ~ b'\n", True),
    "tilde quoted": ("sessions:\n  - {date: 2026-02-01, status: attended, note: '~'}\n", None),
    "tilde double quoted": ("x_a: [\"~\", ~]\n", None),
    "tilde escaped": ("x_a: \"\\x7e\"\nx_b: ~\n", None),
    "tilde block scalar": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                           "    note: |-\n      ~\n", None),
    "tilde on its own line": ("x_a:\n  ~\n", None),
    "tilde after an escaped quote": ("x_a: \"a\\x22~\"\nx_b: [\"\\u0022~\", ~]\nx_c: ~\n", None),
    "tilde and a quote apart": ("x_a: '\"'\nx_b: ~\nx_c: [a ~, b]\n", True),
    "tilde in a required field": ("sessions:\n  - {date: ~, status: attended}\n", None),
    "escapes in notes": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                         "    note: \"Said \\\"no\\\"\\nthen left \\\\ \\/ \\u00e9 \\x41 "
                         "\\U0001F600\\ttab\"\n", True),
    # A control character or bidi override is an error in every text field, free text
    # and extras too; spelled by an escape, or raw (a bidi override is YAML-printable).
    "escaped control in a note": (NOTE + "\"a\\x07b\"\n", None),
    "escaped C1 control in a note": (NOTE + "\"a\\x9bb\"\n", None),
    "escaped NEL in a note": (NOTE + "\"a\\x85b\"\n", None),
    "escaped bidi override in a note": (NOTE + "\"a\\u202Eb\"\n", None),
    "long escaped bidi isolate in a note": (NOTE + "\"a\\U00002066b\"\n", None),
    "raw bidi override in a note": (NOTE + "a\u202eb\n", None),
    "escaped C1 control in an extra": ("x_a: [\"\\x9b2J\"]\n", None),
    "escaped line separator in a note": (NOTE + "\"a\\u2028b\"\n", None),
    "escaped backslash before a control's spelling": (NOTE + "\"a\\\\x07b\"\n", None),
    "escape not read alike": ("x_a: \"a\\_b\"\nx_b: \"a\\ b\"\n", None),
    "escaped line break": ("x_a: \"a\\\n  b\"\n", None),
    "surrogate escape": ("x_a: \"\\ud83d\"\n", None),
    "backslash in plain and single quotes": ("x_a: C:\\temp\\new\nx_b: 'a\\nb'\n", True),
    "literal summary": ("discharge:\n  date: 2026-06-01\n  summary: |\n    Closed after three "
                        "missed sessions.\n    Client moved.\n  reason: other\n", True),
    "folded keep": ("discharge:\n  date: 2026-06-01\n  summary: >+\n    Closed.\n\n"
                    "  reason: other\n", True),
    "literal at the end of the file": ("x_a: |+\n  one\n\n\n", True),
    "literal in a list": ("treatment_plans:\n  - date: 2026-01-10\n    goals:\n      - |\n"
                          "        Sleep\n        better\n      - Walk\n", True),
    "literal with blank lines and spaces": ("x_a: |\n\n  one\n   \n    two  \n\n", None),
    "folded with more indented lines": ("x_a: >\n  one\n    two\n  three\n\n  four\n", None),
    "literal with a leading more indented line": ("x_a: |\n    one\n  two\n", None),
    "literal at column zero": ("x_a: |\none\n", None),
    "literal with indentation indicator": ("x_a: |2\n   one\n", None),
    "literal header with a comment": ("x_a: | # c\n  one\n", None),
    "literal inside a flow mapping": ("x_a: {b: 1,\n  c: |\n   d}\n", None),
    "literal name": ("member_id: |\n  X1\n", None),
    "literal name stripped": ("member_id: |-\n  X1\n", True),
    "comment after text in a flow mapping": (
        "sessions:\n  - {date: 2026-04-15, status: attended, note: C #lient, x_pos: '11'}\n"
        "  - {date: 2026-04-22, status: attended}\n", None),
    "comment after a flow mapping": (
        "sessions:\n  - {date: 2026-04-15, status: attended, note: \"C\"}  # ok\n"
        "  - [date, 2026] # \n  - {date: 2026-04-22, status: attended}   # fine\n", None),
    "comments after flow mappings": (
        "sessions:\n  - {date: 2026-04-15, status: attended, note: \"C\"}  # ok\n"
        "  - {date: 2026-04-22, status: attended}   # fine\n", True),
    "block sessions with a literal note": (
        "sessions:\n  - date: 2026-02-01\n    status: attended\n    note: |\n      a: b\n"
        "      - c\n      [d]\n  - {date: 2026-02-08, status: no_show}\n", None),
}

# The same client, written the ways people and tools write it (issue #11): each must
# take the fast path and read the same.
SPELLINGS: dict[str, bytes] = {
    "leading document marker": b"---\n" + CLIENT.encode(),
    "marker after comments": b"# made by a tool\n\n--- # the client\n" + CLIENT.encode(),
    "byte order mark": b"\xef\xbb\xbf" + CLIENT.encode(),
    "all three": b"\xef\xbb\xbf# c\r\n---\r\n" + CLIENT.replace("\n", "\r\n").encode(),
    "crlf with a literal note": (CLIENT + "sessions:\n  - date: 2026-02-01\n    status: attended"
                                 "\n    note: |\n      one\n      two\n").replace(
                                     "\n", "\r\n").encode(),
}
# ... and what they must not be taken for.
NOT_SPELLINGS: dict[str, bytes] = {
    "marker and a value": b"--- x\n" + CLIENT.encode(),
    "marker glued to a comment": b"---#x\n" + CLIENT.encode(),
    "bare carriage return": CLIENT.replace("\n", "\r", 1).encode(),
    "mixed line ends": CLIENT.replace("\n", "\r\n", 1).replace("e: 2026", "e: \r2026").encode(),
    "second marker": b"---\n" + CLIENT.encode() + b"---\n",
    "utf-16": ("---\n" + CLIENT).encode("utf-16"),
}


@pytest.mark.parametrize("name", sorted(SPELLINGS))
def test_ordinary_spellings_take_the_fast_path(tmp_path: Path, name: str) -> None:
    assert agrees(tmp_path, write_content(tmp_path, SPELLINGS[name]))


@pytest.mark.parametrize("name", sorted(NOT_SPELLINGS))
def test_what_only_looks_like_them_agrees(tmp_path: Path, name: str) -> None:
    agrees(tmp_path, write_content(tmp_path, NOT_SPELLINGS[name]))

LEDGER_CASES: dict[str, tuple[str, bool | None]] = {
    "as import writes it": (ledger_text("simplepractice", [
        Entry("C-1", date(2026, 11, 3), "attended", True),
        Entry("0012", date(2026, 11, 4), "clinician_cancelled", True, "Called: moved"),
        Entry("C-1", date(2026, 11, 5), "no_show", date(2026, 11, 6), None,
              (("x_code", "{a: 1, b: [x, 'no']}"),)),
    ]), True),
    "empty": (ledger_text("jane", []), True),
    "no source, flow items": ("sessions:\n  - {client: C-1, date: 2026-02-01, status: attended}\n",
                              True),
    "x keys at the top": ("x_by: me\nsource: x\nsessions:\n"
                          "  - {client: C-1, date: 2026-02-01, status: attended}\n", True),
    "sessions null": ("source: x\nsessions:\n", None),
    "source null": ("source: ~\nsessions: []\n", None),
    "entry without client": ("sessions:\n  - {date: 2026-02-01, status: attended}\n", None),
    "bad client id": ("sessions:\n  - {client: 'C 1', date: 2026-02-01, status: attended}\n",
                      None),
    "numeric client id": ("sessions:\n  - {client: 0012, date: 2026-02-01, status: attended}\n",
                          None),
    "signed before": ("sessions:\n  - {client: C-1, date: 2026-02-01, status: attended, "
                      "note_signed: 2026-01-01}\n", None),
    "unknown top key": ("source: x\nsessions: []\nfoo: 1\n", None),
}


@pytest.mark.parametrize("name", sorted(LEDGER_CASES))
def test_ledger_case_agrees(tmp_path: Path, name: str) -> None:
    text, must_accept = LEDGER_CASES[name]
    accepted = agrees(tmp_path, write_content(tmp_path, text, "imported/x-2026.yaml"))
    if must_accept and fastload.ryml is not None:
        assert accepted, "the fast path should read this ledger"


@pytest.mark.parametrize("name", sorted(CASES))
def test_corner_case_agrees(tmp_path: Path, name: str) -> None:
    extra, must_accept = CASES[name]
    text = "{id: C-1, name: Jordan, intake_date: 2026-01-05}\n" if name == "flow client" \
        else CLIENT + extra
    accepted = agrees(tmp_path, write_content(tmp_path, text))
    if must_accept:
        assert accepted, "the fast path should read this ordinary file"


# A duplicate key inside a user's `x_` value: (the text after CLIENT, the line of
# the second key, of the first, and where). A mapping keeps one value per key, so
# one of the two would be lost without a word.
DUPLICATE_EXTRAS = {
    "flow": ("x_meta: {a: 1, a: 2}\n", 4, 4, "x_meta.a"),
    "block": ("x_meta:\n  a: 1\n  b: 2\n  a: 3\n", 7, 5, "x_meta.a"),
    "deeper": ("x_meta:\n  a:\n    - {b: 1}\n    - {c: 1, c: 1}\n", 7, 7, "x_meta.a[1].c"),
    "in a session": ("sessions:\n  - date: 2026-02-01\n    status: attended\n"
                     "    x_codes: {cpt: 90837,\n      cpt: 90834}\n", 8, 7,
                     "sessions[0].x_codes.cpt"),
}


@pytest.mark.parametrize("name", sorted(DUPLICATE_EXTRAS))
def test_a_duplicate_key_inside_an_extra_value_is_an_error_on_both_paths(
        tmp_path: Path, name: str) -> None:
    extra, line, first, where = DUPLICATE_EXTRAS[name]
    path = write_content(tmp_path, CLIENT + extra)
    data = path.read_bytes()
    assert fastload.read_clients(data, data.decode("utf-8"), "content/c.yaml") is None
    accepted, _, errors = read_both(tmp_path, path)
    assert accepted is None  # declined, so that the exact path reports it
    assert [str(e) for e in errors] == [
        f"content/c.yaml:{line}: {where}: duplicate key (first given on line {first})"]


@pytest.mark.parametrize("text", [
    "clients:\n  - id: C-1\n    name: A\n    intake_date: 2026-01-05\n"
    "  # a comment between clients\n\n  - id: C-2\n    name: B\n    intake_date: 2026-01-06\n",
    "# header\n\nclients:\n- id: C-1\n  name: A\n  intake_date: 2026-01-05\n"
    "- name: B\n  id: C-2\n  intake_date: 2026-01-06\n",
    "clients:\n  - {id: C-1, name: A, intake_date: 2026-01-05}\n",
    "clients: []\n",
    "clients:\n",
    "x_note: hi\nclients:\n  - id: C-1\n    name: A\n    intake_date: 2026-01-05\n",
    "\n\n\n# only the client below\n\nid: C-1\nname: A\nintake_date: 2026-01-05\n",
    "",
    "# nothing\n",
    "- id: C-1\n",
    "just text\n",
    "%x\nid: C-1\nname: A\nintake_date: 2026-01-05\n",
    "&a id: C-1\nname: A\nintake_date: 2026-01-05\n",
    "}id: C-1\nname: A\nintake_date: 2026-01-05\n",
])
def test_documents_agree(tmp_path: Path, text: str) -> None:
    agrees(tmp_path, write_content(tmp_path, text))


@pytest.mark.parametrize(("sessions", "kept"), [(1_500, True), (2_500, False)])
def test_a_file_whose_json_outgrows_the_kept_buffer_is_read_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: int, kept: bool) -> None:
    # The JSON is written into a buffer kept from file to file (64 KiB at first); a
    # larger file's needs a larger one, kept up to a limit (1 MiB; 128 KiB here, so
    # that a file of a few thousand sessions goes past it). Each is read whole by
    # the same reused tree, and a small file after it too.
    monkeypatch.setattr(fastload, "_REUSED", threading.local())
    monkeypatch.setattr(fastload, "_KEPT_JSON_BUFFER", 128 * 1024)
    lines = [CLIENT, "sessions:\n"]
    lines += [f"  - {{date: 2026-01-{1 + day % 28:02d}, status: attended, note: n{day}}}\n"
              for day in range(sessions)]
    big = write_content(tmp_path, "".join(lines), "big.yaml")
    small = write_content(tmp_path, CLIENT, "small.yaml")
    for path in (big, small, big):
        assert agrees(tmp_path, path)
    accepted, _, _ = read_both(tmp_path, big)
    assert accepted is not None and len(accepted[0].client.sessions) == sessions
    buffer = len(fastload._REUSED.out)
    assert (buffer > 64 * 1024) is kept and buffer <= 128 * 1024


def test_a_client_list_is_accepted_with_each_clients_own_line(tmp_path: Path) -> None:
    text = ("# header\nclients:\n  - id: C-1\n    name: A\n    intake_date: 2026-01-05\n"
            "\n  - name: B\n    id: C-2\n    intake_date: 2026-01-06\n")
    path = write_content(tmp_path, text)
    assert agrees(tmp_path, path)
    accepted, _, _ = read_both(tmp_path, path)
    assert accepted is not None
    assert [(r.client.source.line, r.where) for r in accepted] == [(3, "clients[0]"),
                                                                    (7, "clients[1]")]


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbfid: C-1\nname: A\nintake_date: 2026-01-05\n",
    "id: C-1\nname: A\nintake_date: 2026-01-05\n".encode("utf-16"),
    b"id: C-1\nname: \xff\nintake_date: 2026-01-05\n",
    b"id: C-1\nname: A\x07\nintake_date: 2026-01-05\n",
    b"id: C-1\nname: \"A\\x07\"\nintake_date: 2026-01-05\n",
    b"id: C-1\nname: A\x7f\nintake_date: 2026-01-05\n",
])
def test_encodings_and_control_characters_agree(tmp_path: Path, data: bytes) -> None:
    agrees(tmp_path, write_content(tmp_path, data))


# --- errors found across files still point at the exact lines ------------------------


def test_cross_file_errors_name_the_same_lines_with_and_without_the_fast_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "site_config" / "payers").mkdir(parents=True)
    (tmp_path / "site_config" / "payers" / "aetna.yaml").write_text("name: Aetna\n")
    (tmp_path / "site_config" / "practice.yaml").write_text(
        "name: P\nclinicians:\n  lee: Dr Lee\n")
    write_content(tmp_path, "# first\n\nid: C-1\nname: A\nintake_date: 2026-01-05\n", "a.yaml")
    write_content(tmp_path, textwrap.dedent("""\
        clients:
          - id: C-2
            name: B
            intake_date: 2026-01-05
          - name: C
            intake_date: 2026-03-05
            id: c-1
            payer:
              aetnna
            clinician: leee
            discharge:
              reason: goals_met
              date: 2026-01-01
        """), "b.yaml")
    assert all(agrees(tmp_path, path) for path in load.content_files(tmp_path, []))
    with pytest.raises(WorkspaceInvalid) as fast:
        load_workspace(tmp_path)
    monkeypatch.setenv(fastload.DISABLE_VARIABLE, "1")
    with pytest.raises(WorkspaceInvalid) as exact:
        load_workspace(tmp_path)
    assert fast.value.errors == exact.value.errors
    assert [(e.line, e.where) for e in exact.value.errors] == [
        (7, "clients[1].id"), (9, "clients[1].payer"), (10, "clients[1].clinician"),
        (13, "clients[1].discharge.date"),
    ]
    assert "also used at content/a.yaml:3" in exact.value.errors[0].what


def test_rapidyaml_diagnostics_never_reach_the_terminal(tmp_path: Path) -> None:
    # rapidyaml prints its own message to stderr before raising; the user must
    # only see ours, one line per problem.
    (tmp_path / "content").mkdir()
    write_content(tmp_path, CLIENT + "payer: a: b\n")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "check", str(tmp_path), "--as-of", "2026-11-28"],
        capture_output=True, text=True, cwd=REPO, check=False,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("content/c.yaml:4: YAML: ")
    assert lines[-1].startswith("caseload: ")
    assert len(lines) == 2, result.stderr


# Another thread writes numbered lines to stderr while this one reads files that
# rapidyaml fails to parse (and prints a diagnostic for), as under `caseload serve`.
OTHER_THREAD_WRITES = r"""
import ctypes, os, sys, threading
sys.setswitchinterval(1e-6)  # switch threads as often as possible
from generator.reading import fast
how, count = sys.argv[1], int(sys.argv[2])
libc = ctypes.CDLL(None)
libc.fputs.argtypes = (ctypes.c_char_p, ctypes.c_void_p)
libc.fflush.argtypes = (ctypes.c_void_p,)
c_stderr = ctypes.c_void_p.in_dll(libc, "stderr")
bad = b"id: C-1\nname: A\nintake_date: 2026-01-05\npayer: a: b\n"
done = threading.Event()

def other():
    for i in range(count):
        line = f"{how} {i}\n"
        if how == "python":
            sys.stderr.write(line)
            sys.stderr.flush()
        elif how == "descriptor":
            os.write(2, line.encode())
        else:  # through C's stderr stream, as C code does
            stream = c_stderr.value
            libc.fputs(line.encode(), stream)
            libc.fflush(stream)
    done.set()

thread = threading.Thread(target=other)
thread.start()
calls = 0
while not done.is_set() or calls < 200:
    assert fast.read_clients(bad, bad.decode(), "content/c.yaml") is None
    calls += 1
thread.join()
print(calls)
"""


@pytest.mark.parametrize("how", ["python", "descriptor", "c stdio"])
def test_another_threads_errors_still_appear_during_fast_parsing(how: str) -> None:
    # The fast path silences rapidyaml's diagnostics; it must not silence anyone else.
    count = 3000
    result = subprocess.run(
        [sys.executable, "-c", OTHER_THREAD_WRITES, how, str(count)], capture_output=True,
        text=True, cwd=REPO, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    written = [f"{how} {i}" for i in range(count)]
    assert sorted(line for line in lines if line.startswith(how)) == sorted(written)
    if how != "c stdio":
        # (C output can land between the pieces of a diagnostic, which is then passed
        # on whole: nothing is lost, but the diagnostic shows.)
        assert not [line for line in lines if not line.startswith(how)], lines[:5]


CRASH_INSIDE_RAPIDYAML = r"""
import ctypes, faulthandler
from generator.reading import fast
faulthandler.enable()
def crash(*args):
    ctypes.string_at(0)  # a segmentation fault, as a bug in C++ would make
fast.ryml.parse_substr = crash
data = b"id: C-1\nname: A\nintake_date: 2026-01-05\n"
fast.read_clients(data, data.decode(), "content/c.yaml")
"""


def test_a_crash_inside_rapidyaml_is_reported() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CRASH_INSIDE_RAPIDYAML], capture_output=True, text=True,
        cwd=REPO, check=False, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode != 0
    assert "Fatal Python error: Segmentation fault" in result.stderr


def test_what_is_not_a_rapidyaml_diagnostic_is_passed_on(capfd: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes

    from generator.reading import cstderr

    libc = ctypes.CDLL(None)
    libc.fputs.argtypes = (ctypes.c_char_p, ctypes.c_void_p)
    libc.fflush.argtypes = (ctypes.c_void_p,)
    c_stderr = ctypes.c_void_p.in_dll(libc, "stderr")

    def parse(*args: object) -> None:
        libc.fputs(b"line=1 col=1 (0B): ERROR: [parse] looks like one\n", c_stderr.value)
        libc.fputs(b"something else\n", c_stderr.value)
        raise RuntimeError("not a parse error of rapidyaml")

    monkeypatch.setattr(fastload.ryml, "parse_substr", parse)
    data = CLIENT.encode()
    with pytest.raises(RuntimeError):
        fastload.read_clients(data, data.decode(), "content/c.yaml")
    with pytest.raises(ValueError), cstderr.quiet((ValueError,)):
        for diagnostic in (b"line=1 col=1 (0B): ERROR: [parse] dropped\n"
                           b"/src/c4/yml/parse.hpp:12: (detected here)\n",
                           b"/src/c4/yml/emit.def.hpp:1325: ERROR: [visit] max depth exceeded\n"
                           b"/src/c4/yml/emit.def.hpp:1325: ERROR: (node=68 tree=0x55ca82)\n"):
            libc.fputs(diagnostic, c_stderr.value)
        libc.fputs(b"kept\n", c_stderr.value)
        raise ValueError("a parse error, as expected")
    libc.fflush(c_stderr.value)
    assert capfd.readouterr().err.splitlines() == [
        "line=1 col=1 (0B): ERROR: [parse] looks like one", "something else", "kept"]


def test_without_rapidyaml_every_file_is_read_exactly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    generate_workspace(root, 20, seed=2)
    fast = load_workspace(root)
    monkeypatch.setattr(fastload, "ryml", None)
    assert not fastload.available()
    assert load_workspace(root) == fast


# --- fuzzing -------------------------------------------------------------------------

ALPHABET = st.sampled_from([*"abXY09 -:#,[]{}&*!|>'\"%@`?~\\.\t\n\r",
                            "\u00e9", "\U0001F600", "\u2028", "\x85", "\u00a0", "\ufeff"])
WORDS = st.sampled_from(["", "null", "~", "Null", "NULL", "true", "True", "no", "0012", "1e3",
                         "1.", "-0", "+5", ".5", "0x1F", "2026-01-05", "2026-02-30",
                         "attended", "no_show", "phone", "goals_met", "C-7", "x: y", "- a"])
# Mostly ordinary text, so that many documents are valid and the fast path's
# accepting side is exercised, not only its declining one.
ORDINARY = st.text(st.sampled_from([*"abcXYZ019 .,-'", "\u00e9"]), min_size=1, max_size=12)
TRICKY = st.one_of(WORDS, st.text(ALPHABET, max_size=10))
TEXTS = st.one_of(ORDINARY, TRICKY)


def texts(tricky: int) -> st.SearchStrategy[str]:
    """Text that is tricky about once in 40 values (tricky=1), or more often."""
    return st.one_of(*[ORDINARY] * 40, *[TRICKY] * tricky)


# Escapes in double quotes: those both parsers read alike, and those they do not.
ESCAPES = st.sampled_from(["\\\"", "\\\\", "\\/", "\\n", "\\t", "\\r", "\\x41", "\\u00e9",
                           "\\U0001F600", "\\e", "\\x9b", "\\u202e", "\\ud83d", "\\_", "\\ ",
                           "\\N", "\\L", "\\0", "\\x7e", "\\u007E", "\\x", "\\q"])
# Where a block scalar's lines start: `indented` puts each at the right indentation
# once the line holding its key is known.
LINE = "\x01"


@st.composite
def scalars(draw: st.DrawFn, value: st.SearchStrategy[str] = TEXTS, blocks: bool = False) -> str:
    """`value` written in one of YAML's styles; block scalars only with `blocks` (for
    text: a date or a status is rarely written so, and would mostly make errors)."""
    text = draw(value)
    style = draw(st.sampled_from(["plain", "plain", "single", "double", "json", "escaped",
                                  *(["literal", "folded"] if blocks else [])]))
    if style == "plain":
        return text
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if style == "escaped":  # some characters spelled as escapes, now and then another escape
        pieces = []
        for character in text:
            if character in '"\\':
                pieces.append("\\" + character)
            elif draw(st.integers(0, 4)) == 0:
                code = ord(character)
                pieces.append(f"\\x{code:02x}" if code < 0x100 else
                              f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
            else:
                pieces.append(character)
        if draw(st.integers(0, 3)) == 0:
            pieces.insert(draw(st.integers(0, len(pieces))), draw(ESCAPES))
        return '"' + "".join(pieces) + '"'
    if style in ("literal", "folded"):
        return block_scalar(draw, style, text)
    return json.dumps(text, ensure_ascii=draw(st.booleans()))


def block_scalar(draw: st.DrawFn, style: str, text: str) -> str:
    """`|` or `>` and its lines, mostly ordinary, now and then with blank lines,
    lines indented further, trailing spaces or blank lines at the end."""
    header = ("|" if style == "literal" else ">") + draw(st.sampled_from(["", "", "-", "+"]))
    lines = [text, *draw(st.lists(st.one_of(ORDINARY, st.just(""), TEXTS), max_size=3))]
    shaped = []
    for line in lines:
        shape = draw(st.sampled_from(["", "", "", "", "more", "trailing", "spaces"]))
        shaped.append({"more": "  " + line, "trailing": line + "  ", "spaces": "   "}.get(
            shape, line))
    return header + "".join(LINE + line for line in shaped)


def indented(text: str) -> str:
    """Each block scalar's lines indented two past the key whose value it is."""
    out = []
    for line in text.split("\n"):
        if LINE in line:
            head = line.split(LINE, 1)[0]
            column = len(head) - len(head.lstrip(" -"))
            line = line.replace(LINE, "\n" + " " * (column + 2))
        out.append(line)
    return "\n".join(out)


def dates() -> st.SearchStrategy[str]:
    return scalars(st.sampled_from(["2026-01-05", "2026-02-01", "2025-12-31"] * 8
                                   + ["2026-02-30", "26-1-5", "null"]))


@st.composite
def mappings(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[str]],
             required: tuple[str, ...] = ("date",)) -> list[tuple[str, str]]:
    keys = [key for key in required if draw(st.integers(0, 9))]  # now and then one is missing
    keys += draw(st.lists(st.sampled_from(sorted(set(fields) - set(required))), unique=True))
    keys = draw(st.permutations(keys)) if keys else ["date"]
    pairs = [(key, draw(fields[key])) for key in keys]
    if draw(st.integers(0, 4)) == 0:
        pairs.append((draw(st.sampled_from(["x_a", "x_b", "note", "bogus"])), draw(scalars())))
    return pairs


def block(pairs: list[tuple[str, str]], indent: str, first: str) -> str:
    lines = []
    for i, (key, value) in enumerate(pairs):
        lines.append(f"{first if i == 0 else indent}{key}: {value}".rstrip(" "))
    return "\n".join(lines)


def flow(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"


@st.composite
def item_lists(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[str]], indent: str,
               required: tuple[str, ...]) -> str:
    """A list of mappings, as the value after `key:`: block, flow items or one flow list."""
    items = draw(st.lists(mappings(fields, required), max_size=3))
    style = draw(st.sampled_from(["block", "flow items", "flow list", "null"]))
    if style == "null" or not items:
        return draw(st.sampled_from(["", " []", " ~"]))
    if style == "flow list":
        return " [" + ", ".join(map(flow, items)) + "]"
    if style == "flow items":
        return "".join(f"\n{indent}  - {flow(item)}" for item in items)
    return "".join("\n" + block(item, indent + "    ", indent + "  - ") for item in items)


@st.composite
def extras(draw: st.DrawFn) -> str:
    value = draw(st.recursive(scalars(), lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.sampled_from(["a", "b", "x y"]), inner), max_size=2)
        .map(lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
    ), max_leaves=5))
    return value


@st.composite
def clients(draw: st.DrawFn, indent: str = "", first: str = "", tricky: int = 1) -> str:
    text_value = scalars(texts(tricky), blocks=True)
    ids = st.sampled_from(["C-1", "C-2", "C-3"] * 5 + ["c 1", "007", "~"])
    pairs = [("id", draw(scalars(ids))),
             ("name", draw(text_value)), ("intake_date", draw(dates()))]
    pairs += draw(st.lists(st.tuples(st.sampled_from(["payer", "clinician", "member_id", "x_ref",
                                                      "x_more"]),
                                     st.one_of(text_value, extras())),
                           max_size=3, unique_by=lambda p: p[0]))
    status = scalars(st.sampled_from(["attended", "no_show", "cancelled", "clinician_cancelled"]
                                     * 3 + ["Attended", ""]))
    signed = st.one_of(dates(), scalars(st.sampled_from(["true", "false", "True", "yes", "~"])))
    lists = {
        "sessions": {"date": dates(), "status": status, "note": text_value,
                     "note_signed": signed},
        "treatment_plans": {"date": dates(), "note": text_value,
                            "goals": st.one_of(text_value, st.lists(text_value, max_size=3)
                                               .map(lambda g: "[" + ", ".join(g) + "]")),
                            "provider_signed_on": dates(), "client_signed_on": dates(),
                            "client_signature_waived": text_value},
        "contacts": {"date": dates(), "note": text_value, "outcome": text_value,
                     "method": scalars(st.sampled_from(["phone", "letter", "fax"]))},
    }
    for key in draw(st.lists(st.sampled_from(sorted(lists)), unique=True)):
        required = ("date", "method") if key == "contacts" else \
            ("date", "status") if key == "sessions" else ("date",)
        pairs.append((key, "\x00" + draw(item_lists(lists[key], indent, required))))
    if draw(st.booleans()):
        discharge = draw(mappings(required=(), fields={
            "date": dates(), "planned_on": dates(), "summary": text_value,
            "reason": scalars(st.sampled_from(["goals_met", "other", "moved"])),
            "client_participated": scalars(st.sampled_from(["true", "False", "yes", "~"]))}))
        pairs.append(("discharge", " " + flow(discharge)))
    pairs = list(draw(st.permutations(pairs)))
    lines = []
    for i, (key, value) in enumerate(pairs):
        lead = first if i == 0 else indent
        if value.startswith("\x00"):  # a list, already laid out after the key
            lines.append(f"{lead}{key}:{value[1:]}")
        elif value.startswith(" {"):
            lines.append(f"{lead}{key}:{value}")
        else:
            lines.append(f"{lead}{key}: {value}".rstrip(" "))
    return "\n".join(lines)


@st.composite
def documents(draw: st.DrawFn) -> str:
    tricky = draw(st.sampled_from([0, 1, 10]))
    if draw(st.booleans()):
        text = draw(clients(tricky=tricky)) + "\n"
    else:
        items = draw(st.lists(clients("    ", "  - ", tricky), min_size=1, max_size=3))
        text = "clients:\n" + "\n".join(items) + "\n"
    text = indented(text)
    if draw(st.booleans()):  # comments between lines, at the next line's indentation
        lines = text.split("\n")
        for at in sorted(draw(st.lists(st.integers(0, len(lines) - 1), max_size=3)),
                         reverse=True):
            indent = len(lines[at]) - len(lines[at].lstrip(" "))
            lines.insert(at, " " * indent + "# " + draw(st.sampled_from(["note", "a: b", "'x'"])))
        text = "\n".join(lines)
    if draw(st.booleans()):
        text = "# a comment\n" + text
    return text


@st.composite
def spelled(draw: st.DrawFn) -> bytes:
    """A fuzzed document in the spellings of issue #11, mixed: a leading `---`, CRLF
    line ends, a byte order mark (and now and then what only looks like them)."""
    text = draw(documents())
    marker = draw(st.sampled_from(["", "", "---\n", "--- # doc\n", "---  \n", "--- x\n",
                                   "---\n---\n"]))
    if marker and text.startswith("#") and draw(st.booleans()):
        head, _, rest = text.partition("\n")
        text = head + "\n" + marker + rest
    else:
        text = marker + text
    ends = draw(st.sampled_from(["\n", "\n", "\r\n", "\r\n", "mixed"]))
    if ends == "mixed":
        text = text.replace("\n", "\r\n", 1).replace("\n", "\r", 1)
    else:
        text = text.replace("\n", ends)
    bom = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf"]))
    return bom + text.encode("utf-8", "surrogatepass")


@FUZZ
@given(text=documents())
def test_fuzzed_documents_agree(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    root = tmp_path_factory.mktemp("fast")
    event("accepted" if agrees(root, write_content(root, text)) else "declined")


@FUZZ
@given(data=spelled())
def test_fuzzed_spellings_agree(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    root = tmp_path_factory.mktemp("spelled")
    event("accepted" if agrees(root, write_content(root, data)) else "declined")


@FUZZ
@given(data=st.data())
def test_mutated_mixed_style_files_agree(tmp_path_factory: pytest.TempPathFactory,
                                         data: Any) -> None:
    root = tmp_path_factory.mktemp("mixed")
    files = generate_workspace(root / "ws", 1, seed=data.draw(st.integers(0, 10_000)),
                               style="mixed")
    raw = files[0].read_bytes()
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(raw)))
        cut = data.draw(st.integers(0, 2))
        piece = data.draw(st.text(ALPHABET, max_size=2)).encode("utf-8", "surrogatepass")
        raw = raw[:at] + piece + raw[at + cut:]
    event("accepted" if agrees(root, write_content(root, raw)) else "declined")


@FUZZ
@given(data=st.data())
def test_mutated_demo_files_agree(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    files = load.content_files(REPO, [])
    text = data.draw(st.sampled_from(files)).read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 2))
        text = text[:at] + data.draw(st.text(ALPHABET, max_size=2)) + text[at + cut:]
    root = tmp_path_factory.mktemp("mutated")
    agrees(root, write_content(root, text))

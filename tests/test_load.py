"""Tests for generator.reading.exact: reading and validating a workspace (contract sections 1-3, 5).

Every invalid input must come back as ``FILE:LINE: where: what`` with the path
relative to the workspace, the line of the offending node, a ``where`` such as
``clients[1].sessions[0].status``, and the key words of the message. All errors
are reported in one run; the CLI exits 2 without a traceback.

``where`` indices are 0-based (``clients[0]`` is the first client), as the
implementation writes them; the contract's example does not fix the base.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import date
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.model.records import Caseload
from generator.reading.exact import InputError, WorkspaceInvalid, load_workspace

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-28"

# A valid client, as the body of a single-client file (lines 1-3).
CLIENT = "id: C-1\nname: Jordan Avery\nintake_date: 2026-01-05\n"


def with_client(extra: str = "") -> str:
    """CLIENT followed by `extra` (dedented): extra's first line is line 4."""
    return CLIENT + textwrap.dedent(extra)


# --- helpers --------------------------------------------------------------------------


def write_ws(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write a workspace under `root`: relpath -> text (dedented) or raw bytes.

    `content/` always exists, so a dict without content files is an empty caseload.
    """
    (root / "content").mkdir(parents=True, exist_ok=True)
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(textwrap.dedent(body), encoding="utf-8", newline="")
    return root


def load(root: Path, files: dict[str, str | bytes] | None = None) -> Caseload:
    return load_workspace(write_ws(root, files or {}))


def errors_of(root: Path, files: dict[str, str | bytes] | None = None) -> list[InputError]:
    with pytest.raises(WorkspaceInvalid) as info:
        load(root, files)
    errors = info.value.errors
    assert errors, "WorkspaceInvalid raised without errors"
    for error in errors:
        assert isinstance(error, InputError)
        assert str(error) == f"{error.path}:{error.line}: {error.where}: {error.what}"
    return errors


def one_error(root: Path, files: dict[str, str | bytes] | None = None) -> InputError:
    errors = errors_of(root, files)
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


def check_error(error: InputError, path: str, line: int, where: str, *words: str) -> None:
    assert (error.path, error.line, error.where) == (path, line, where), str(error)
    for word in words:
        assert word in error.what, f"{word!r} not in {error}"


def only_client(caseload: Caseload):
    assert len(caseload.clients) == 1
    return caseload.clients[0]


def run_cli(workspace: Path, *extra: str):
    return CliRunner().invoke(cli, ["check", str(workspace), "--as-of", AS_OF, *extra])


def run_subprocess(workspace: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "check", str(workspace), "--as-of", AS_OF],
        cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False,
    )


def alias_bomb(indent: str = "") -> str:
    """Billion laughs: 9 levels of 10 aliases (10**9 leaves once expanded)."""
    lines = [f"{indent}x_a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{indent}x_{name}: &{name} [{', '.join(['*' + previous] * 10)}]")
        previous = name
    return "\n".join(lines) + "\n"


def alias_list_bomb() -> str:
    """The same bomb as anchored items of a list (sessions): 9 levels of 10 aliases."""
    lines = ["  - &a {date: 2026-02-01, status: attended}"]
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"  - &{name} [{', '.join(['*' + previous] * 10)}]")
        previous = name
    return "\n".join(lines) + "\n"


# --- bad YAML -------------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": """\
        id: C-1
        name: Jordan
          intake_date: 2026-01-05
        """})
    check_error(error, "content/a.yaml", 3, "YAML", "not allowed")


def test_yaml_syntax_error_in_flow_collection(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": CLIENT + "x_tags: [a, b}\n"})
    check_error(error, "content/a.yaml", 4, "YAML", "flow sequence")


def test_tab_indentation_is_a_syntax_error(tmp_path):
    text = "id: C-1\nname: Jordan\n\tintake_date: 2026-01-05\n"
    error = one_error(tmp_path, {"content/a.yaml": text})
    check_error(error, "content/a.yaml", 3, "YAML", "tab")


def test_two_documents_in_one_file(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": CLIENT + "---\nid: C-2\nname: B\n"})
    check_error(error, "content/a.yaml", 4, "YAML", "single document")


# --- wrong types, missing and unknown keys --------------------------------------------


def test_list_where_text_is_expected(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": """\
        clients:
          - id: C-1
            name: [Jordan, Avery]
            intake_date: 2026-01-05
        """})
    check_error(error, "content/a.yaml", 3, "clients[0].name", "expected text", "list")


def test_mapping_where_a_date_is_expected(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": """\
        clients:
          - id: C-1
            name: Jordan
            intake_date: {year: 2026}
        """})
    check_error(error, "content/a.yaml", 4, "clients[0].intake_date", "date", "mapping")


@pytest.mark.parametrize("missing", ["id", "name", "intake_date"])
def test_missing_required_client_key_points_at_the_mapping(tmp_path, missing):
    second = {"id": "id: C-2", "name": "name: Casey", "intake_date": "intake_date: 2026-02-01"}
    del second[missing]
    body = "\n".join(f"    {line}" if i else f"  - {line}"
                     for i, line in enumerate(second.values()))
    text = "clients:\n  - id: C-1\n    name: Jordan\n    intake_date: 2026-01-05\n" + body + "\n"
    error = one_error(tmp_path, {"content/a.yaml": text})
    check_error(error, "content/a.yaml", 5, "clients[1]", "missing", f"'{missing}'")


@pytest.mark.parametrize(
    ("item", "where", "key"),
    [
        ("sessions:\n  - date: 2026-02-01\n    note: hello\n", "sessions[0]", "status"),
        ("sessions:\n  - status: attended\n", "sessions[0]", "date"),
        ("contacts:\n  - date: 2026-02-01\n    outcome: left a message\n", "contacts[0]",
         "method"),
        ("treatment_plans:\n  - goals: [sleep]\n", "treatment_plans[0]", "date"),
    ],
)
def test_missing_required_key_of_a_list_item(tmp_path, item, where, key):
    error = one_error(tmp_path, {"content/a.yaml": CLIENT + item})
    check_error(error, "content/a.yaml", 5, where, "missing", f"'{key}'")


def test_missing_required_key_in_a_clients_list_names_the_full_path(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": """\
        clients:
          - id: C-1
            name: Jordan
            intake_date: 2026-01-05
            sessions:
              - date: 2026-02-01
                status: attended
              - date: 2026-02-08
        """})
    check_error(error, "content/a.yaml", 8, "clients[0].sessions[1]", "missing", "'status'")


def test_unknown_key_suggests_the_near_one(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        treatment_plan:
          - date: 2026-02-01
        """)})
    check_error(error, "content/a.yaml", 4, "treatment_plan",
                "unknown key", "did you mean 'treatment_plans'?")


def test_unknown_key_in_a_clients_list(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": """\
        clients:
          - id: C-1
            name: Jordan
            intake_date: 2026-01-05
            treatment_plan: []
        """})
    check_error(error, "content/a.yaml", 5, "clients[0].treatment_plan",
                "unknown key", "did you mean 'treatment_plans'?")


# --- enums ------------------------------------------------------------------------------


def test_unknown_session_status_suggests_no_show(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": """\
        clients:
          - id: C-1
            name: Jordan
            intake_date: 2026-01-05
            sessions:
              - date: 2026-02-01
                status: attended
              - date: 2026-02-08
                status: noshow
        """})
    check_error(error, "content/a.yaml", 9, "clients[0].sessions[1].status",
                "'noshow'", "did you mean 'no_show'?")


def test_unknown_contact_method(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        contacts:
          - date: 2026-02-01
            method: fax
        """)})
    check_error(error, "content/a.yaml", 6, "contacts[0].method", "'fax'", "phone", "in_person")


def test_contact_method_near_miss_gets_a_suggestion(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        contacts:
          - date: 2026-02-01
            method: in person
        """)})
    check_error(error, "content/a.yaml", 6, "contacts[0].method", "did you mean 'in_person'?")


def test_unknown_discharge_reason(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        discharge:
          date: 2026-06-01
          reason: goal_met
        """)})
    check_error(error, "content/a.yaml", 6, "discharge.reason",
                "'goal_met'", "did you mean 'goals_met'?")


# --- dates and ids ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["2026-02-30", "28/11/2026", "2026-11-28T10:00", "'2026-13-01'"])
def test_unparseable_date(tmp_path, bad):
    error = one_error(tmp_path, {"content/a.yaml": f"id: C-1\nname: J\nintake_date: {bad}\n"})
    check_error(error, "content/a.yaml", 3, "intake_date", bad.strip("'"), "not a date")


def test_unparseable_session_date(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        sessions:
          - date: 2026-02-30
            status: attended
        """)})
    check_error(error, "content/a.yaml", 5, "sessions[0].date", "2026-02-30", "not a date")


@pytest.mark.parametrize("bad", ["-abc", "C 1", "A" * 65, "_x", "C.1"])
def test_id_breaking_the_pattern(tmp_path, bad):
    text = f"name: J\nid: '{bad}'\nintake_date: 2026-01-05\n"
    error = one_error(tmp_path, {"content/a.yaml": text})
    check_error(error, "content/a.yaml", 2, "id", "not a valid id")


def test_id_of_64_characters_is_valid(tmp_path):
    client = only_client(load(tmp_path, {"content/a.yaml": f"id: {'A' * 64}\nname: J\n"
                                                            "intake_date: 2026-01-05\n"}))
    assert client.id == "A" * 64


def test_duplicate_id_ignoring_case_across_files_names_the_other_place(tmp_path):
    error = one_error(tmp_path, {
        "content/a.yaml": "\n# first\nid: C-1\nname: Jordan\nintake_date: 2026-01-05\n",
        "content/b.yaml": """\
            clients:
              - id: C-2
                name: Casey
                intake_date: 2026-01-05
              - id: c-1
                name: Sam
                intake_date: 2026-01-05
            """,
    })
    check_error(error, "content/b.yaml", 5, "clients[1].id", "duplicate", "c-1", "content/a.yaml:3")


def test_duplicate_id_in_one_file(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": """\
        clients:
          - id: C-1
            name: Jordan
            intake_date: 2026-01-05
          - id: C-1
            name: Casey
            intake_date: 2026-01-05
        """})
    check_error(error, "content/a.yaml", 5, "clients[1].id", "duplicate", "content/a.yaml:2")


# --- cross references -------------------------------------------------------------------


def test_payer_without_policy_file_suggests_near_name(tmp_path):
    error = one_error(tmp_path, {
        "site_config/payers/aetna.yaml": "name: Aetna\n",
        "content/a.yaml": CLIENT + "payer: aetan\n",
    })
    check_error(error, "content/a.yaml", 4, "payer", "'aetan'", "site_config/payers",
                "did you mean 'aetna'?")


def test_payer_without_policy_file_and_no_payers_folder(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": CLIENT + "payer: cigna\n"})
    check_error(error, "content/a.yaml", 4, "payer", "'cigna'")
    assert "did you mean" not in error.what


def test_payer_with_policy_file_loads(tmp_path):
    caseload = load(tmp_path, {
        "site_config/payers/aetna.yaml":
            "name: Aetna\ntreatment_plan:\n  review_interval_days: 180\n",
        "site_config/payers/bcbs.yml": "name: Blue Cross\n",
        "content/a.yaml": CLIENT + "payer: aetna\n",
        "content/b.yaml": "id: C-2\nname: Casey\nintake_date: 2026-01-05\npayer: bcbs\n",
    })
    assert [c.payer for c in caseload.clients] == ["aetna", "bcbs"]
    assert caseload.payers["aetna"].name == "Aetna"
    assert caseload.payers["aetna"].policy == {"treatment_plan.review_interval_days": 180}
    assert caseload.payers["bcbs"].name == "Blue Cross"


def test_clinician_not_in_practice_list(tmp_path):
    error = one_error(tmp_path, {
        "site_config/practice.yaml": "name: Calm Practice\nclinicians:\n  lee: Dr. Lee\n",
        "content/a.yaml": CLIENT + "clinician: lea\n",
    })
    check_error(error, "content/a.yaml", 4, "clinician", "'lea'", "clinicians",
                "did you mean 'lee'?")


def test_clinician_in_practice_list_loads(tmp_path):
    caseload = load(tmp_path, {
        "site_config/practice.yaml": "name: Calm Practice\nclinicians:\n  lee: Dr. Lee\n",
        "content/a.yaml": CLIENT + "clinician: lee\n",
    })
    assert only_client(caseload).clinician == "lee"
    assert caseload.clinicians == {"lee": "Dr. Lee"}
    assert caseload.practice_name == "Calm Practice"


@pytest.mark.parametrize("practice", [None, "name: Calm Practice\n"])
def test_clinician_is_free_without_a_clinicians_mapping(tmp_path, practice):
    files = {"content/a.yaml": CLIENT + "clinician: anyone-at-all\n"}
    if practice is not None:
        files["site_config/practice.yaml"] = practice
    caseload = load(tmp_path, files)
    assert only_client(caseload).clinician == "anyone-at-all"
    assert caseload.clinicians is None


def test_discharge_date_before_intake(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        discharge:
          reason: other
          date: 2026-01-04
        """)})
    check_error(error, "content/a.yaml", 6, "discharge.date", "2026-01-04", "2026-01-05", "before")


def test_discharge_on_intake_day_is_fine(tmp_path):
    text = CLIENT + "discharge:\n  date: 2026-01-05\n"
    client = only_client(load(tmp_path, {"content/a.yaml": text}))
    assert client.discharge is not None
    assert client.discharge.date == date(2026, 1, 5)
    assert client.discharge.client_participated is False


# --- policies -----------------------------------------------------------------------------

POLICY_FILES = ["site_config/practice.yaml", "site_config/payers/aetna.yaml"]

BAD_POLICY_VALUES = [
    ("treatment_plan", "review_interval_days", "-5", "at least 1"),
    ("treatment_plan", "review_interval_days", "0", "at least 1"),
    ("treatment_plan", "initial_within_days", "-1", "at least 0"),
    ("attendance", "no_show_limit", "0", "at least 1"),
    ("attendance", "inactive_after_days", "0", "at least 1"),
    ("attendance", "no_show_window_days", "0", "at least 1"),
    ("treatment_plan", "due_soon_days", "ten", "whole number"),
    ("attendance", "no_show_window_days", "1.5", "whole number"),
    ("discharge", "summary_within_days", "[14]", "list"),
    ("attendance", "late_cancel_counts_as_no_show", "yes", "true or false"),
    ("attendance", "late_cancel_counts_as_no_show", "no", "true or false"),
    ("attendance", "late_cancel_counts_as_no_show", "1", "true or false"),
]


@pytest.mark.parametrize("policy_file", POLICY_FILES)
@pytest.mark.parametrize(("section", "key", "value", "words"), BAD_POLICY_VALUES)
def test_bad_policy_value(tmp_path, policy_file, section, key, value, words):
    files = {policy_file: f"name: Somebody\n{section}:\n  {key}: {value}\n"}
    error = one_error(tmp_path, files)
    check_error(error, policy_file, 3, f"{section}.{key}", words)


@pytest.mark.parametrize("policy_file", POLICY_FILES)
def test_unknown_policy_key_and_section(tmp_path, policy_file):
    errors = errors_of(tmp_path, {policy_file: """\
        name: Somebody
        attendance:
          no_show_limt: 2
        discharges:
          summary_within_days: 7
        """})
    assert len(errors) == 2, "\n".join(map(str, errors))
    check_error(errors[0], policy_file, 3, "attendance.no_show_limt",
                "unknown key", "did you mean 'no_show_limit'?")
    check_error(errors[1], policy_file, 4, "discharges", "unknown key", "did you mean 'discharge'?")


def test_boundary_policy_values_are_valid(tmp_path):
    caseload = load(tmp_path, {"site_config/practice.yaml": """\
        name: Calm Practice
        treatment_plan:
          review_interval_days: 1
          initial_within_days: 0
          due_soon_days: 0
        attendance:
          no_show_limit: 1
          consecutive_no_show_limit: 0
          late_cancel_counts_as_no_show: false
        discharge:
          min_outreach_attempts: 0
        """})
    assert caseload.practice_policy == {
        "treatment_plan.review_interval_days": 1,
        "treatment_plan.initial_within_days": 0,
        "treatment_plan.due_soon_days": 0,
        "attendance.no_show_limit": 1,
        "attendance.consecutive_no_show_limit": 0,
        "attendance.late_cancel_counts_as_no_show": False,
        "discharge.min_outreach_attempts": 0,
    }


def test_absurdly_long_day_count_is_an_input_error(tmp_path):
    errors = errors_of(tmp_path, {
        "site_config/practice.yaml": "name: P\ntreatment_plan:\n  review_interval_days: "
                                     + "9" * 5000 + "\n",
    })
    assert errors[0].path == "site_config/practice.yaml"
    assert errors[0].line == 3


# --- duplicate keys, document shape -------------------------------------------------------


def test_duplicate_key_in_a_client_is_an_error_not_last_wins(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": """\
        id: C-1
        name: Jordan
        intake_date: 2026-01-05
        name: Casey
        """})
    check_error(error, "content/a.yaml", 4, "name", "duplicate key", "line 2")


def test_duplicate_key_in_a_session(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        sessions:
          - date: 2026-02-01
            status: attended
            status: no_show
        """)})
    check_error(error, "content/a.yaml", 7, "sessions[0].status", "duplicate key")


@pytest.mark.parametrize("policy_file", POLICY_FILES)
def test_duplicate_key_in_a_policy_file(tmp_path, policy_file):
    error = one_error(tmp_path, {policy_file: """\
        name: Somebody
        attendance:
          no_show_limit: 2
          no_show_limit: 5
        """})
    check_error(error, policy_file, 4, "attendance.no_show_limit", "duplicate key")


def test_duplicate_clinician_key(tmp_path):
    error = one_error(tmp_path, {"site_config/practice.yaml": """\
        name: Calm
        clinicians:
          lee: Dr. Lee
          lee: Dr. Leigh
        """})
    check_error(error, "site_config/practice.yaml", 4, "clinicians.lee", "duplicate key")


@pytest.mark.parametrize("body", ["", "# nothing here yet\n", "\n\n"])
def test_empty_content_file(tmp_path, body):
    error = one_error(tmp_path, {"content/a.yaml": body})
    check_error(error, "content/a.yaml", 1, "document", "empty")


def test_top_level_list(tmp_path):
    text = "- id: C-1\n  name: J\n  intake_date: 2026-01-05\n"
    error = one_error(tmp_path, {"content/a.yaml": text})
    check_error(error, "content/a.yaml", 1, "document", "list")


def test_top_level_scalar(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": "just some text\n"})
    check_error(error, "content/a.yaml", 1, "document", "'clients'")


@pytest.mark.parametrize(
    ("value", "line", "words"),
    # A type error names the type found, never the value (it may be a client's story).
    [("\n  id: C-1\n  name: J\n", 2, "got a mapping"), ("C-1", 1, "got text"),
     ("12", 1, "got a number")],
)
def test_clients_not_a_list(tmp_path, value, line, words):
    error = one_error(tmp_path, {"content/a.yaml": f"clients: {value}\n"})
    check_error(error, "content/a.yaml", line, "clients", "expected a list", words)


def test_clients_file_with_another_key(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": "clients: []\nid: C-1\n"})
    check_error(error, "content/a.yaml", 2, "id", "unknown key")


def test_no_content_folder(tmp_path):
    (tmp_path / "site_config").mkdir()
    with pytest.raises(WorkspaceInvalid) as info:
        load_workspace(tmp_path)
    assert len(info.value.errors) == 1
    assert info.value.errors[0].path == "content"


# --- schema typing ------------------------------------------------------------------------


def test_values_are_typed_by_the_schema_not_yaml_1_1(tmp_path):
    caseload = load(tmp_path, {
        "content/a.yaml": "id: 0012\nname: No\nintake_date: 2026-01-05\n",
        "content/b.yaml": "id: B\nname: 1e3\nintake_date: '2026-01-06'\n",
        "content/c.yaml": 'id: C\nname: yes\nintake_date: "2026-01-07"\n',
        "content/d.yaml": "id: 010\nname: 0x1F\nintake_date: 2026-01-08\npayer: 0012\n",
        "site_config/payers/0012.yaml": "name: 0012\n",
    })
    by_id = {c.id: c for c in caseload.clients}
    assert set(by_id) == {"0012", "B", "C", "010"}
    assert by_id["0012"].name == "No"
    assert by_id["B"].name == "1e3"
    assert by_id["C"].name == "yes"
    assert by_id["010"].name == "0x1F"
    assert by_id["010"].payer == "0012"
    assert caseload.payers["0012"].name == "0012"
    assert [by_id[i].intake_date for i in ("0012", "B", "C", "010")] == [
        date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 7), date(2026, 1, 8)]
    assert all(isinstance(c.id, str) and isinstance(c.name, str) for c in caseload.clients)


def test_quoted_and_bare_dates_in_sessions(tmp_path):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client("""\
        sessions:
          - {date: 2026-02-01, status: attended}
          - {date: '2026-02-08', status: no_show}
          - {date: "2026-02-15", status: late_cancel}
        """)}))
    assert [(s.date, s.status) for s in client.sessions] == [
        (date(2026, 2, 1), "attended"),
        (date(2026, 2, 8), "no_show"),
        (date(2026, 2, 15), "late_cancel"),
    ]


def test_client_participated_yes_is_an_error(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": with_client("""\
        discharge:
          date: 2026-06-01
          client_participated: yes
        """)})
    check_error(error, "content/a.yaml", 6, "discharge.client_participated", "true or false", "yes")


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_client_participated_boolean(tmp_path, value, expected):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client(f"""\
        discharge:
          date: 2026-06-01
          client_participated: {value}
        """)}))
    assert client.discharge.client_participated is expected


def test_x_keys_are_accepted_anywhere_and_carried_into_extras(tmp_path):
    caseload = load(tmp_path, {
        "site_config/practice.yaml": "name: Calm\nx_office: Main St\n"
                                     "attendance:\n  x_note: ours\n  no_show_limit: 2\n",
        "site_config/payers/aetna.yaml": "name: Aetna\nx_contract: 42\n",
        "content/a.yaml": """\
            x_file_owner: lee
            clients:
              - id: C-1
                name: Jordan
                intake_date: 2026-01-05
                payer: aetna
                x_referral: 0012
                x_flags: [No, 1e3]
                x_nested: {a: {b: yes}}
                sessions:
                  - date: 2026-02-01
                    status: attended
                    x_room: 4
                treatment_plans:
                  - date: 2026-02-01
                    x_version: 2
                contacts:
                  - date: 2026-02-02
                    method: phone
                    x_number: 555
                discharge:
                  planned_on: 2026-12-01
                  x_why: moving
            """,
    })
    client = only_client(caseload)
    assert client.extras == {
        "x_referral": "0012",
        "x_flags": ["No", "1e3"],
        "x_nested": {"a": {"b": "yes"}},
    }
    assert len(client.sessions) == 1
    assert len(client.treatment_plans) == 1
    assert len(client.contacts) == 1
    assert client.discharge.planned_on == date(2026, 12, 1)
    assert caseload.practice_policy == {"attendance.no_show_limit": 2}


def test_x_prefix_is_case_sensitive(tmp_path):
    error = one_error(tmp_path, {"content/a.yaml": CLIENT + "X_mine: 1\n"})
    check_error(error, "content/a.yaml", 4, "X_mine", "unknown key")


def test_note_with_only_text_is_kept(tmp_path):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client("""\
        sessions:
          - date: 2026-02-01
            status: attended
            note: No
        """)}))
    assert client.sessions[0].note == "No"


def test_note_with_only_tilde_is_absent(tmp_path):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client("""\
        sessions:
          - date: 2026-02-01
            status: attended
            note: ~
        """)}))
    assert client.sessions[0].note is None


@pytest.mark.parametrize(
    "extra",
    [
        "sessions:\n  - date: 2026-02-01\n    status: attended\n    note: null\n",
        "sessions:\n  - date: 2026-02-01\n    status: attended\n    note:\n",
        "discharge:\n  date: 2026-06-01\n  summary: ~\n",
        "sessions: ~\n",
        "discharge: ~\n",
        "payer: ~\n",
    ],
)
def test_null_optional_values_are_absent(tmp_path, extra):
    client = only_client(load(tmp_path, {"content/a.yaml": CLIENT + extra}))
    assert client.payer is None
    assert all(s.note is None for s in client.sessions)
    assert client.discharge is None or client.discharge.summary is None


# --- all errors in one run ------------------------------------------------------------------


def test_all_errors_reported_sorted_by_file_and_line(tmp_path):
    errors = errors_of(tmp_path, {
        "content/b.yaml": with_client("""\
            sessions:
              - date: 2026-02-01
                status: noshow
            """),
        "content/a.yaml": """\
            id: -x
            name: Casey
            intake_date: 2026-01-05
            treatment_plan: []
            """,
    })
    assert [str(e).split(": ")[0] for e in errors] == [
        "content/a.yaml:1", "content/a.yaml:4", "content/b.yaml:6"]
    assert [e.where for e in errors] == ["id", "treatment_plan", "sessions[0].status"]


def test_errors_in_policy_and_content_files_together(tmp_path):
    errors = errors_of(tmp_path, {
        "site_config/practice.yaml": "name: P\nattendance:\n  no_show_limit: 0\n",
        "site_config/payers/aetna.yaml":
            "name: Aetna\ntreatment_plan:\n  review_interval_days: x\n",
        "content/a.yaml": CLIENT + "payer: aetna\nclinician: []\n",
    })
    assert [(e.path, e.line) for e in errors] == [
        ("content/a.yaml", 5),
        ("site_config/payers/aetna.yaml", 3),
        ("site_config/practice.yaml", 3),
    ]


# --- files ----------------------------------------------------------------------------------


def test_empty_content_folder_is_an_empty_caseload(tmp_path):
    caseload = load(tmp_path)
    assert caseload.clients == ()


def test_non_yaml_files_are_ignored(tmp_path):
    caseload = load(tmp_path, {"content/README.md": "# notes\n", "content/a.yaml.bak": "{{{"})
    assert caseload.clients == ()


def test_files_found_recursively_yaml_and_yml(tmp_path):
    caseload = load(tmp_path, {
        "content/single.yaml": CLIENT,
        "content/2026/spring/team.yml": """\
            clients:
              - id: C-2
                name: Casey
                intake_date: 2026-03-01
              - id: C-3
                name: Sam
                intake_date: 2026-03-02
            """,
        "content/2026/empty-team.yaml": "clients: []\n",
    })
    assert [c.id for c in caseload.clients] == ["C-1", "C-2", "C-3"]
    sources = {c.id: (c.source.path, c.source.line) for c in caseload.clients}
    assert sources["C-1"] == ("content/single.yaml", 1)
    assert sources["C-2"] == ("content/2026/spring/team.yml", 2)
    assert sources["C-3"] == ("content/2026/spring/team.yml", 5)


def test_error_in_a_subfolder_names_the_relative_path(tmp_path):
    error = one_error(tmp_path, {"content/a/b/c.yml": CLIENT + "sessions: yes\n"})
    check_error(error, "content/a/b/c.yml", 4, "sessions", "expected a list")


def test_full_client_loads(tmp_path):
    client = only_client(load(tmp_path, {
        "site_config/payers/aetna.yaml": "name: Aetna\n",
        "site_config/practice.yaml": "name: Calm\nclinicians:\n  lee: Dr. Lee\n",
        "content/a.yaml": with_client("""\
            payer: aetna
            clinician: lee
            sessions:
              - {date: 2026-02-01, status: attended, note: first}
              - {date: 2026-12-01, status: scheduled}
            treatment_plans:
              - date: 2026-02-01
                goals: [sleep, mood]
                note: initial
              - date: 2026-05-01
                goals: sleep
            contacts:
              - {date: 2026-03-01, method: in_person, outcome: reached}
            discharge:
              planned_on: 2026-12-15
              reason: goals_met
              summary: Going well.
              client_participated: true
            """),
    }))
    assert client.payer == "aetna" and client.clinician == "lee"
    assert client.sessions[0].note == "first"
    assert client.sessions[1].status == "scheduled"
    assert client.treatment_plans[0].goals == ("sleep", "mood")
    assert client.treatment_plans[1].goals == ("sleep",)
    assert client.contacts[0].method == "in_person"
    assert client.discharge.reason == "goals_met"
    assert client.discharge.client_participated is True


# --- encodings and line endings -------------------------------------------------------------


def test_non_utf8_bytes_name_file_and_line(tmp_path):
    body = "id: C-1\nname: Zoë\nintake_date: 2026-01-05\n".encode() + b"x_note: caf\xe9\n"
    error = one_error(tmp_path, {"content/sub/a.yaml": body})
    check_error(error, "content/sub/a.yaml", 4, "file", "UTF-8")


@pytest.mark.parametrize(
    "name",
    [
        "Jordan Avery",
        pytest.param("Zoë Ångström"),
    ],
)
def test_nul_character_names_the_line(tmp_path, name):
    body = f"id: C-1\nname: {name}\nintake_date: 2026-01-05\nx_note: a\x00b\nx_more: 1\n"
    error = one_error(tmp_path, {"content/a.yaml": body})
    assert (error.path, error.line) == ("content/a.yaml", 4), str(error)
    assert "U+0000" in error.what


def test_utf8_bom_loads(tmp_path):
    body = b"\xef\xbb\xbf" + "id: C-1\nname: Zoë\nintake_date: 2026-01-05\n".encode()
    client = only_client(load(tmp_path, {"content/a.yaml": body}))
    assert (client.id, client.name) == ("C-1", "Zoë")


def test_utf8_bom_keeps_line_numbers(tmp_path):
    body = b"\xef\xbb\xbf" + (CLIENT + "colour: red\n").encode()
    error = one_error(tmp_path, {"content/a.yaml": body})
    check_error(error, "content/a.yaml", 4, "colour", "unknown key")


def test_crlf_line_endings_load(tmp_path):
    text = CLIENT + "sessions:\n  - date: 2026-02-01\n    status: attended\n"
    client = only_client(load(tmp_path, {"content/a.yaml": text.replace("\n", "\r\n").encode()}))
    assert client.name == "Jordan Avery"
    assert client.sessions[0].status == "attended"


def test_crlf_line_endings_keep_line_numbers(tmp_path):
    text = CLIENT + "\n# comment\nsessions:\n  - date: 2026-02-01\n    status: noshow\n"
    error = one_error(tmp_path, {"content/a.yaml": text.replace("\n", "\r\n").encode()})
    check_error(error, "content/a.yaml", 8, "sessions[0].status", "did you mean 'no_show'?")


def test_crlf_non_utf8_line(tmp_path):
    body = CLIENT.replace("\n", "\r\n").encode() + b"x_a: \x81\r\n"
    error = one_error(tmp_path, {"content/a.yaml": body})
    check_error(error, "content/a.yaml", 4, "file", "UTF-8")


# --- alias bombs and deep nesting -----------------------------------------------------------


def timed_errors(root: Path, files: dict[str, str | bytes]) -> tuple[list[InputError], float]:
    write_ws(root, files)
    start = time.perf_counter()
    with pytest.raises(WorkspaceInvalid) as info:
        load_workspace(root)
    return info.value.errors, time.perf_counter() - start


def test_alias_bomb_in_an_x_key_is_refused_quickly(tmp_path):
    errors, elapsed = timed_errors(tmp_path, {"content/a.yaml": CLIENT + alias_bomb()})
    assert elapsed < 2, f"took {elapsed:.2f} s"
    assert {e.path for e in errors} == {"content/a.yaml"}
    assert any("alias" in e.what for e in errors), "\n".join(map(str, errors))


def test_alias_bomb_in_a_session_x_key_is_refused_quickly(tmp_path):
    text = CLIENT + "sessions:\n  - date: 2026-02-01\n    status: attended\n" + alias_bomb("    ")
    errors, elapsed = timed_errors(tmp_path, {"content/a.yaml": text})
    assert elapsed < 2, f"took {elapsed:.2f} s"
    assert {e.path for e in errors} == {"content/a.yaml"}
    assert any("alias" in e.what for e in errors), "\n".join(map(str, errors))


def test_alias_bomb_as_session_items_is_refused_quickly(tmp_path):
    text = CLIENT + "sessions:\n" + alias_list_bomb()
    errors, elapsed = timed_errors(tmp_path, {"content/a.yaml": text})
    assert elapsed < 2, f"took {elapsed:.2f} s"
    assert {e.path for e in errors} == {"content/a.yaml"}
    assert errors[0].where == "sessions[1]"
    assert errors[0].line == 6


def test_alias_bomb_in_practice_file_is_an_error(tmp_path):
    errors, elapsed = timed_errors(tmp_path, {
        "site_config/practice.yaml": "name: Calm\n" + alias_bomb(),
        "content/a.yaml": CLIENT,
    })
    assert elapsed < 2
    assert "site_config/practice.yaml" in {e.path for e in errors}


def test_alias_bomb_in_payer_file_is_an_error(tmp_path):
    errors, elapsed = timed_errors(tmp_path, {
        "site_config/payers/aetna.yaml": "name: Aetna\n" + alias_bomb(),
        "content/a.yaml": CLIENT + "payer: aetna\n",
    })
    assert elapsed < 2
    assert "site_config/payers/aetna.yaml" in {e.path for e in errors}


def test_aliases_for_ordinary_reuse_are_fine(tmp_path):
    client = only_client(load(tmp_path, {"content/a.yaml": with_client("""\
        x_usual: &usual {date: 2026-02-01, status: attended}
        sessions:
          - *usual
          - {date: 2026-02-08, status: attended}
        """)}))
    assert [s.date for s in client.sessions] == [date(2026, 2, 1), date(2026, 2, 8)]


def test_deeply_nested_flow_lists_are_an_error_not_a_crash(tmp_path):
    deep = "x_deep: " + "[" * 100_000 + "]" * 100_000 + "\n"
    write_ws(tmp_path, {"content/deep.yaml": CLIENT + deep})
    result = run_subprocess(tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "content/deep.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_moderately_nested_x_value_is_an_error(tmp_path):
    deep = "x_deep: " + "[" * 200 + "]" * 200 + "\n"
    error = one_error(tmp_path, {"content/a.yaml": CLIENT + deep})
    assert (error.path, error.line) == ("content/a.yaml", 4), str(error)
    assert error.where.startswith("x_deep[0][0]")
    assert "deep" in error.what


def test_deeply_nested_explicit_keys_are_an_error_not_a_crash(tmp_path):
    write_ws(tmp_path, {"content/deep.yaml": "? " * 100_000 + "x\n"})
    result = run_subprocess(tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "content/deep.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_nested_complex_keys_in_x_value_are_an_error_not_a_traceback(tmp_path):
    write_ws(tmp_path, {"content/a.yaml": CLIENT + "x_keys:\n  " + "? " * 2000 + "x\n"})
    result = run_subprocess(tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "content/a.yaml" in result.stderr
    assert "Traceback" not in result.stderr


# --- symbolic links -------------------------------------------------------------------------


needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt",
                                    reason="symbolic links needed")


@needs_symlinks
def test_symlink_pointing_outside_the_workspace_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(CLIENT, encoding="utf-8")
    real = "id: C-9\nname: Real\nintake_date: 2026-01-05\n"
    ws = write_ws(tmp_path / "ws", {"content/real.yaml": real})
    (ws / "content" / "link.yaml").symlink_to(outside / "secret.yaml")
    with pytest.raises(WorkspaceInvalid) as info:
        load_workspace(ws)
    errors = info.value.errors
    assert len(errors) == 1, "\n".join(map(str, errors))
    assert errors[0].path == "content/link.yaml"
    assert "outside" in errors[0].what


@needs_symlinks
def test_symlink_inside_the_workspace_loads(tmp_path):
    ws = write_ws(tmp_path, {"shared/c.yaml": CLIENT})
    (ws / "content" / "link.yaml").symlink_to(ws / "shared" / "c.yaml")
    assert only_client(load_workspace(ws)).id == "C-1"


@needs_symlinks
def test_symlinked_folder_outside_the_workspace_is_refused(tmp_path):
    outside = tmp_path / "outside"
    (outside / "more").mkdir(parents=True)
    (outside / "more" / "c.yaml").write_text(CLIENT, encoding="utf-8")
    ws = write_ws(tmp_path / "ws", {})
    (ws / "content" / "linked").symlink_to(outside / "more")
    with pytest.raises(WorkspaceInvalid) as info:
        load_workspace(ws)
    assert [e.path for e in info.value.errors] == ["content/linked"]


@needs_symlinks
@pytest.mark.parametrize("links", [
    {"content/x.yaml": "x.yaml"},  # a link to itself
    {"content/a.yaml": "b.yaml", "content/b.yaml": "a.yaml"},  # two links, each to the other
    {"site_config/practice.yaml": "practice.yaml"},
    {"site_config/payers/p.yaml": "p.yaml"},
])
def test_a_loop_of_links_is_an_input_error_with_its_file(tmp_path, links):
    ws = write_ws(tmp_path, {"content/real.yaml": CLIENT})
    for name, target in links.items():
        (ws / name).parent.mkdir(parents=True, exist_ok=True)
        (ws / name).symlink_to(target)
    with pytest.raises(WorkspaceInvalid) as info:
        load_workspace(ws)
    assert [str(e) for e in info.value.errors] == [
        f"{name}:1: file: is a symbolic link in a loop of links (it never reaches a file); "
        "not read" for name in sorted(links)]


@needs_symlinks
def test_a_content_folder_that_is_a_loop_of_links_is_an_input_error(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "content").symlink_to("content")
    with pytest.raises(WorkspaceInvalid) as info:
        load_workspace(ws)
    assert [str(e) for e in info.value.errors] == [
        "content:1: folder: is a symbolic link in a loop of links (it never reaches a file); "
        "not read"]


@needs_symlinks
@pytest.mark.parametrize("command", ["check", "build"])
def test_a_loop_of_links_exits_2_with_file_and_line(tmp_path, command):
    ws = write_ws(tmp_path / "ws", {"content/real.yaml": CLIENT})
    (ws / "content" / "x.yaml").symlink_to("x.yaml")
    if command == "build":
        (ws / "mkdocs.yml").symlink_to("mkdocs.yml")
    result = CliRunner().invoke(cli, [command, str(ws), "--as-of", "2026-02-01"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("content/x.yaml:1: file: is a symbolic link in a loop")
    if command == "build":
        assert lines[1].startswith("mkdocs.yml:1: file: is a symbolic link in a loop")
    assert "internal error" not in result.stderr


# --- the command line -----------------------------------------------------------------------

BROKEN_WORKSPACES = {
    "yaml-syntax": ({"content/a.yaml": "id: C-1\nname: J\n  intake_date: 2026-01-05\n"},
                    "content/a.yaml:3: YAML: "),
    "wrong-type": ({"content/a.yaml": CLIENT + "sessions: {a: 1}\n"},
                   "content/a.yaml:4: sessions: "),
    "missing-key": ({"content/a.yaml": "clients:\n  - id: C-1\n    name: J\n"},
                    "content/a.yaml:2: clients[0]: "),
    "unknown-key": ({"content/a.yaml": CLIENT + "treatment_plan: []\n"},
                    "content/a.yaml:4: treatment_plan: "),
    "enum": ({"content/a.yaml": CLIENT + "sessions:\n  - {date: 2026-02-01, status: noshow}\n"},
             "content/a.yaml:5: sessions[0].status: "),
    "bad-date": ({"content/a.yaml": "id: C-1\nname: J\nintake_date: 2026-02-30\n"},
                 "content/a.yaml:3: intake_date: "),
    "bad-id": ({"content/a.yaml": "id: C 1\nname: J\nintake_date: 2026-02-01\n"},
               "content/a.yaml:1: id: "),
    "duplicate-id": ({"content/a.yaml": CLIENT, "content/b.yaml": CLIENT.replace("C-1", "c-1")},
                     "content/b.yaml:1: id: "),
    "payer": ({"content/a.yaml": CLIENT + "payer: aetna\n"}, "content/a.yaml:4: payer: "),
    "clinician": ({"content/a.yaml": CLIENT + "clinician: lee\n",
                   "site_config/practice.yaml": "name: P\nclinicians: {kim: Dr. Kim}\n"},
                  "content/a.yaml:4: clinician: "),
    "discharge": ({"content/a.yaml": CLIENT + "discharge:\n  date: 2025-01-01\n"},
                  "content/a.yaml:5: discharge.date: "),
    "policy": ({"site_config/payers/aetna.yaml": "name: A\nattendance:\n  no_show_limit: 0\n"},
               "site_config/payers/aetna.yaml:3: attendance.no_show_limit: "),
    "duplicate-key": ({"content/a.yaml": CLIENT + "id: C-2\n"}, "content/a.yaml:4: id: "),
    "empty-file": ({"content/a.yaml": ""}, "content/a.yaml:1: document: "),
    "non-utf8": ({"content/a.yaml": b"id: C-1\nname: \xff\n"}, "content/a.yaml:2: file: "),
    "alias-bomb": ({"content/a.yaml": CLIENT + alias_bomb()}, "content/a.yaml:"),
}


def test_click_version_has_separate_stderr():
    major, minor = (int(part) for part in version("click").split(".")[:2])
    assert (major, minor) >= (8, 2), "these CLI tests read result.stderr separately"


@pytest.mark.parametrize("case", sorted(BROKEN_WORKSPACES))
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_cli_exits_2_without_traceback(tmp_path, case, output_format):
    files, expected_line = BROKEN_WORKSPACES[case]
    ws = write_ws(tmp_path, files)
    result = run_cli(ws, "--format", output_format)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith(expected_line), result.stderr
    assert "input error" in lines[-1]


def test_cli_reports_all_errors_on_stderr_in_order(tmp_path):
    ws = write_ws(tmp_path, {
        "content/b.yaml": CLIENT + "sessions:\n  - {date: 2026-02-01, status: noshow}\n",
        "content/a.yaml": "id: -x\nname: Casey\nintake_date: 2026-01-05\ntreatment_plan: []\n",
    })
    result = run_cli(ws)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert [line.split(": ")[0] for line in lines[:3]] == [
        "content/a.yaml:1", "content/a.yaml:4", "content/b.yaml:5"]
    assert "did you mean 'no_show'?" in lines[2]
    assert "3 input errors" in lines[3]
    assert result.stdout == ""


def test_cli_missing_workspace_exits_2(tmp_path):
    result = run_cli(tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert "nowhere" in result.stderr


def test_cli_empty_workspace_is_valid(tmp_path):
    result = run_cli(write_ws(tmp_path, {}), "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""

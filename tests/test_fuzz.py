"""Property-based fuzzing: mutated workspaces only ever give a report or a clear error.

`check` must exit 0, 1 or 2, never show a traceback or an internal error; with
0 or 1 its JSON is complete, with 2 every error line names FILE:LINE. CI runs a
bounded number of examples; for a longer run:

    CASELOAD_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.cli import cli

EXAMPLES = int(os.environ.get("CASELOAD_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                derandomize=not os.environ.get("CASELOAD_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
ERROR_LINE = re.compile(r"^[^:\n]+:\d+: \S.*$")
CLIENT_KEYS = ["id", "name", "status", "payer", "clinician", "intake_date", "last_session",
               "days_since_last_session", "next_appointment", "plan_date", "plan_age_days",
               "plan_due", "discharge_date", "findings"]

ODD_DATES = st.sampled_from([
    date(2024, 2, 29), date(1, 1, 1), date(9999, 12, 31), date(2026, 11, 28),
    "2026-02-29", "2026-13-01", "0000-00-00", "28/11/2026", "2026-11-28T10:00",
])
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "No", "yes", "0012", "1e3", "~", "null", "\u202eevil",
                     "Z\u0351a\u0352", "🧠", "x" * 5000, "<script>x</script>", "\x00"]),
)
ANY_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
              TEXT, ODD_DATES),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=8,
)


def valid_client(n: int) -> dict[str, Any]:
    return {
        "id": f"C-{n}",
        "name": f"Client {n}",
        "intake_date": date(2026, 1, 10),
        "payer": "aetna",
        "sessions": [
            {"date": date(2026, 9, 1), "status": "attended", "note": "ok"},
            {"date": date(2026, 11, 20), "status": "no_show"},
            {"date": date(2026, 12, 4), "status": "scheduled"},
        ],
        "treatment_plans": [{"date": date(2026, 2, 1), "goals": ["a", "b"]}],
        "contacts": [{"date": date(2026, 11, 21), "method": "phone", "outcome": "voicemail"}],
        "discharge": {"planned_on": date(2026, 12, 20), "reason": "goals_met"},
    }


PATHS = [
    ("id",), ("name",), ("intake_date",), ("payer",), ("clinician",), ("sessions",),
    ("sessions", 0), ("sessions", 0, "date"), ("sessions", 1, "status"), ("sessions", 2, "note"),
    ("treatment_plans",), ("treatment_plans", 0, "date"), ("treatment_plans", 0, "goals"),
    ("contacts", 0, "method"), ("contacts", 0, "date"), ("discharge",), ("discharge", "date"),
    ("discharge", "reason"), ("discharge", "client_participated"), ("x_extra",),
]


@st.composite
def mutated_client(draw: st.DrawFn, n: int) -> dict[str, Any]:
    client = valid_client(n)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(PATHS))
        action = draw(st.sampled_from(["set", "delete", "add"]))
        parent: Any = client
        try:
            for step in path[:-1]:
                parent = parent[step]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the way there
        key = path[-1]
        if not isinstance(parent, dict | list) or (isinstance(parent, list)
                                                   and not isinstance(key, int)):
            continue
        if isinstance(parent, list) and key >= len(parent):
            continue
        if action == "delete" and isinstance(parent, dict):
            parent.pop(key, None)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["treatment_plan", "x_mine", "Sessions", "ID"]))] = \
                draw(ANY_VALUE)
        else:
            parent[key] = draw(ANY_VALUE)
    return client


@st.composite
def workspace_texts(draw: st.DrawFn) -> dict[str, str]:
    clients = [draw(mutated_client(n)) for n in range(draw(st.integers(1, 3)))]
    text = yaml.safe_dump({"clients": clients}, allow_unicode=True, sort_keys=False)
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    if draw(st.booleans()):  # a duplicated key somewhere
        lines = text.splitlines(keepends=True)
        index = draw(st.integers(0, len(lines) - 1))
        text = "".join([*lines[: index + 1], lines[index], *lines[index + 1:]])
    payer = draw(st.sampled_from([
        "name: Aetna\n",
        "name: Aetna\ntreatment_plan:\n  review_interval_days: 180\n",
        "name: Aetna\nattendance:\n  no_show_limit: 0\n",
        "name: Aetna\nattendance: {late_cancel_counts_as_no_show: maybe}\n",
    ]))
    return {"content/clients.yaml": text, "site_config/payers/aetna.yaml": payer}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))


def assert_clear_outcome(code: int, stdout: str, stderr: str) -> None:
    assert code in (0, 1, 2), (code, stderr)
    assert "Traceback" not in stdout + stderr
    assert "internal error" not in stderr
    if code == 2:
        lines = stderr.strip().splitlines()
        assert lines, "exit 2 without a message"
        assert lines[-1].startswith("caseload: ")
        assert all(ERROR_LINE.match(line) for line in lines[:-1]), lines
    else:
        document = json.loads(stdout)
        assert set(document) == {"as_of", "clients", "summary"}
        for client in document["clients"]:
            assert list(client) == CLIENT_KEYS


@FUZZ
@given(files=workspace_texts(), as_of=st.sampled_from(["2026-11-28", "0001-01-01",
                                                      "9999-12-31", "2024-02-29"]))
def test_check_gives_a_report_or_a_clear_error(tmp_path_factory: Any, files: dict[str, str],
                                               as_of: str) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    write(root, files)
    result = CliRunner().invoke(cli, ["check", str(root), "--as-of", as_of, "--format", "json"])
    assert_clear_outcome(result.exit_code, result.stdout, result.stderr)


@settings(max_examples=max(3, EXAMPLES // 20), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(files=workspace_texts())
def test_build_gives_a_site_or_a_clear_error(tmp_path_factory: Any, files: dict[str, str]
                                             ) -> None:
    root = tmp_path_factory.mktemp("fuzzbuild")
    write(root, files)
    (root / "mkdocs.yml").write_text(
        (Path(__file__).parents[1] / "mkdocs.yml").read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(root), "--as-of", "2026-11-28"])
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert (root / "site" / "index.html").exists() == (result.exit_code == 0)

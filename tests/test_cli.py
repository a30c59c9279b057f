"""The command line: exit codes, output shapes and help, through Click's CliRunner."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import cli, paused_gc
from tests.clirun import run, write
from tests.conftest import DEMO_AS_OF, ROOT

CLIENT_KEYS = [
    "id", "name", "status", "payer", "clinician", "intake_date", "last_session",
    "days_since_last_session", "next_appointment", "plan_date", "plan_age_days", "plan_due",
    "discharge_date", "findings",
]


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    """A workspace whose only client has nothing wrong on 2026-11-28."""
    return write(tmp_path, {"content/a.yaml": """\
        id: C-1
        name: Ada Example
        intake_date: 2026-10-01
        treatment_plans: [{date: 2026-10-10}]
        sessions:
          - {date: 2026-11-20, status: attended}
          - {date: 2026-12-04, status: scheduled}
        """})


def test_check_exit_0_without_error_findings(clean: Path) -> None:
    code, out, _ = run("check", str(clean), "--as-of", "2026-11-28")
    assert code == 0
    assert "C-1" in out and "active" in out


def test_check_exit_1_with_error_findings(clean: Path) -> None:
    code, _, _ = run("check", str(clean), "--as-of", "2027-06-01")  # plan long overdue
    assert code == 1


def test_check_exit_2_on_invalid_input(tmp_path: Path) -> None:
    write(tmp_path, {"content/a.yaml": "id: C-1\nname: A\nintake_date: 2026-02-30\n"})
    code, out, err = run("check", str(tmp_path), "--as-of", DEMO_AS_OF)
    assert code == 2
    assert out == ""
    assert err.splitlines()[0] == (
        "content/a.yaml:3: intake_date: '2026-02-30' is not a date; write it like 2026-11-28"
    )
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [
    ["check", "--as-of", "2026-13-01"],
    ["check", "--as-of", "yesterday"],
    ["check", "--format", "xml"],
    ["check", "--payer", "nobody"],
    ["check", "--clinician", "nobody"],
    ["build", "--payer", "nobody"],
])
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, _, err = run(args[0], str(ROOT), *args[1:])
    assert code == 2
    assert "Traceback" not in err


def test_missing_workspace_exits_2(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path / "nowhere"))
    assert code == 2
    assert "Traceback" not in err


def test_folder_without_content_is_not_a_workspace(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path))
    assert code == 2
    assert "no content/ folder" in err


def test_empty_content_is_an_empty_caseload(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    code, out, _ = run("check", str(tmp_path), "--as-of", DEMO_AS_OF, "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "as_of": DEMO_AS_OF, "clients": [],
        "summary": {"clients": 0, "by_status": {},
                    "findings": {"error": 0, "warning": 0, "info": 0}},
    }


def test_json_shape(clean: Path) -> None:
    _, out, _ = run("check", str(clean), "--as-of", DEMO_AS_OF, "--format", "json")
    document = json.loads(out)
    assert list(document) == ["as_of", "clients", "summary"]
    (client,) = document["clients"]
    assert list(client) == CLIENT_KEYS
    assert client == {
        "id": "C-1", "name": "Ada Example", "status": "active", "payer": None,
        "clinician": None, "intake_date": "2026-10-01", "last_session": "2026-11-20",
        "days_since_last_session": 8, "next_appointment": "2026-12-04",
        "plan_date": "2026-10-10", "plan_age_days": 49, "plan_due": "2027-01-08",
        "discharge_date": None, "findings": [],
    }
    assert document["summary"] == {"clients": 1, "by_status": {"active": 1},
                                   "findings": {"error": 0, "warning": 0, "info": 0}}


def test_client_with_intake_after_as_of_is_left_out(clean: Path) -> None:
    code, out, _ = run("check", str(clean), "--as-of", "2026-09-30", "--format", "json")
    assert json.loads(out)["clients"] == []
    assert code == 0


def test_payer_and_clinician_filters_on_demo() -> None:
    _, out, _ = run("check", str(ROOT), "--as-of", DEMO_AS_OF, "--format", "json",
                    "--payer", "northwind-ppo")
    clients = json.loads(out)["clients"]
    assert clients and {c["payer"] for c in clients} == {"northwind-ppo"}
    _, out, _ = run("check", str(ROOT), "--as-of", DEMO_AS_OF, "--format", "json",
                    "--clinician", "lee")
    clients = json.loads(out)["clients"]
    assert clients and {c["clinician"] for c in clients} == {"lee"}
    assert json.loads(out)["summary"]["clients"] == len(clients)


def test_text_output_groups_the_work_first() -> None:
    code, out, _ = run("check", str(ROOT), "--as-of", DEMO_AS_OF)
    assert code == 1
    assert "\x1b[" not in out  # no colour when not on a terminal
    headings = ["What to do", "Reach out", "Plan discharges", "Update treatment plans",
                "Complete discharge records", "Record session outcomes", "Clients"]
    positions = [out.index(h) for h in headings]
    assert positions == sorted(positions)
    assert out.rstrip().splitlines()[-1].startswith("45 clients (")


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "generator", "--help"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "check" in result.stdout


# The console command ends `check` without the interpreter's teardown, once its
# output is flushed and the exit handlers have run (`cli.exit_without_teardown`).
# With -v, Python says "# cleanup ..." as it tears down.
EXIT_PROBE = """
import atexit, sys
import generator.cli

atexit.register(lambda: print("exit handler ran", file=sys.stderr))
sys.argv = ["caseload", *sys.argv[1:]]
generator.cli.main()
"""


def console(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-v", "-c", EXIT_PROBE, *args],
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_check_from_the_console_prints_everything_then_exits_without_teardown(
        output_format: str) -> None:
    args = ["check", str(ROOT), "--as-of", DEMO_AS_OF, "--format", output_format]
    done = console(*args)
    code, out, _ = run(*args)
    assert (done.returncode, done.stdout) == (code, out) == (1, out)
    assert "exit handler ran" in done.stderr
    assert "# cleanup" not in done.stderr  # the teardown was skipped


def test_other_commands_exit_the_ordinary_way() -> None:
    done = console("cache", "--help")
    assert done.returncode == 0
    assert "exit handler ran" in done.stderr and "# cleanup" in done.stderr


def command_names() -> list[str]:
    return sorted(cli.commands)


@pytest.mark.parametrize("command", command_names())
def test_every_command_has_help(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0
    assert cli.commands[command].help, f"{command} has no help text"
    assert f"Usage: cli {command}" in out or f"Usage: caseload {command}" in out


@pytest.mark.parametrize("command", command_names())
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"caseload {command}" in readme


def test_loading_pauses_the_collector_then_freezes_what_it_loaded() -> None:
    assert gc.isenabled()
    try:
        with paused_gc():
            assert not gc.isenabled()
            assert gc.get_freeze_count() == 0
            loaded = [[n] for n in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(loaded)
        with paused_gc():
            # A second load (serve rebuilds) hands the first one back to the collector.
            assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()

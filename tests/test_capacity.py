"""Clinician capacity: `clinicians` in practice.yaml may give each clinician a
capacity, the number of clients (not discharged) they can carry.

Read from practice.yaml next to the old form (key to display name); counted by the
rules (carried, open spots, the spots that open once the planned discharges are
done and once the inactive clients are discharged too); shown on the clinicians
page and each clinician's page. Capacity is not a finding: `check` says nothing
about it.
"""

from __future__ import annotations

import json
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.model.policy import policy_for_payer
from generator.model.records import (
    Caseload,
    Client,
    Discharge,
    Payer,
    Session,
    Source,
    TreatmentPlan,
)
from generator.pages.render import Site, render_pages
from generator.reading.exact import InputError, WorkspaceInvalid, load_workspace
from generator.report.report import Scope, build_report
from generator.rules.engine import clinician_load, evaluate
from tests.conftest import DEMO_AS_OF, ROOT

A = date(2026, 11, 28)
PRACTICE = "site_config/practice.yaml"


# --- reading practice.yaml ------------------------------------------------------------


def workspace(root: Path, practice: str, clients: str = "") -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site_config").mkdir()
    (root / PRACTICE).write_text(textwrap.dedent(practice), encoding="utf-8")
    if clients:
        (root / "content" / "clients.yaml").write_text(textwrap.dedent(clients),
                                                       encoding="utf-8")
    return root


def errors(root: Path, practice: str, clients: str = "") -> list[str]:
    with pytest.raises(WorkspaceInvalid) as info:
        load_workspace(workspace(root, practice, clients))
    assert all(isinstance(e, InputError) for e in info.value.errors)
    return [str(e) for e in info.value.errors]


def test_the_old_form_still_reads_and_gives_no_capacity(tmp_path: Path) -> None:
    caseload = load_workspace(workspace(tmp_path, """\
        name: Calm
        clinicians:
          lee: Dana Lee, LCSW
        """))
    assert caseload.clinicians == {"lee": "Dana Lee, LCSW"}
    assert caseload.capacities == {}


def test_both_forms_in_one_mapping(tmp_path: Path) -> None:
    caseload = load_workspace(workspace(tmp_path, """\
        name: Calm
        clinicians:
          lee: {name: "Dana Lee, LCSW", capacity: 14}
          okafor:
            name: Chidi Okafor
            capacity: 0
          marsh: Rowan Marsh
          kim:
            name: Dr. Kim
            capacity: ~
            x_room: 4
        """, """\
        clients:
          - {id: C-1, name: A, intake_date: 2026-01-05, clinician: lee}
          - {id: C-2, name: B, intake_date: 2026-01-05, clinician: kim}
        """))
    assert caseload.clinicians == {"lee": "Dana Lee, LCSW", "okafor": "Chidi Okafor",
                                   "marsh": "Rowan Marsh", "kim": "Dr. Kim"}
    assert caseload.capacities == {"lee": 14, "okafor": 0}


def test_the_demo_gives_two_of_three_clinicians_a_capacity() -> None:
    caseload = load_workspace(ROOT)
    assert set(caseload.clinicians or {}) == {"lee", "okafor", "marsh"}
    assert caseload.capacities == {"lee": 14, "okafor": 11}


BAD_CAPACITIES = [
    ("-1", "clinicians.lee.capacity: must be 0 or more, got -1"),
    ("1.5", "clinicians.lee.capacity: expected a whole number of clients, got '1.5'"),
    ("true", "clinicians.lee.capacity: expected a whole number of clients, got 'true'"),
    ("no", "clinicians.lee.capacity: expected a whole number of clients, got 'no'"),
    ("twelve", "clinicians.lee.capacity: expected a whole number of clients, got 'twelve'"),
    ("''", "clinicians.lee.capacity: expected a whole number of clients, got ''"),
    ("[12]", "clinicians.lee.capacity: expected a whole number of clients, got a list"),
    ("{n: 12}", "clinicians.lee.capacity: expected a whole number of clients, got a mapping"),
    ("1234567890", "clinicians.lee.capacity: '1234567890' is too large for a number of clients"),
]


@pytest.mark.parametrize(("value", "message"), BAD_CAPACITIES, ids=[v for v, _ in BAD_CAPACITIES])
def test_a_bad_capacity_is_an_input_error_at_its_line(tmp_path: Path, value: str,
                                                      message: str) -> None:
    found = errors(tmp_path, f"""\
        name: Calm
        clinicians:
          okafor: Chidi Okafor
          lee:
            name: Dana Lee
            capacity: {value}
        """)
    assert found == [f"{PRACTICE}:6: {message}"]


@pytest.mark.parametrize(("entry", "message"), [
    ("{capacity: 3}", "3: clinicians.lee: missing required key 'name'"),
    ("{name: '', capacity: 3}", "3: clinicians.lee.name: must not be empty"),
    ("{name: ~, capacity: 3}", "3: clinicians.lee.name: must have a value"),
    ("{name: Dana Lee, capcity: 3}",
     "3: clinicians.lee.capcity: unknown key 'capcity'; did you mean 'capacity'?"),
    ("{name: Dana Lee, capacity: 3, capacity: 4}",
     "3: clinicians.lee.capacity: duplicate key (first given on line 3)"),
    ("[Dana Lee, 3]", "3: clinicians.lee: expected text, got a list"),
])
def test_a_bad_clinician_entry_is_an_input_error(tmp_path: Path, entry: str,
                                                 message: str) -> None:
    found = errors(tmp_path, f"name: Calm\nclinicians:\n  lee: {entry}\n")
    assert found == [f"{PRACTICE}:{message}"]


def test_a_client_of_a_clinician_with_a_bad_entry_is_not_an_error_too(tmp_path: Path) -> None:
    # The entry is wrong, not the client: one error, not a second about the client.
    found = errors(tmp_path, "name: Calm\nclinicians:\n  lee: {capacity: 3}\n",
                   "id: C-1\nname: A\nintake_date: 2026-01-05\nclinician: lee\n")
    assert found == [f"{PRACTICE}:3: clinicians.lee: missing required key 'name'"]


def test_every_bad_capacity_is_reported_in_one_run(tmp_path: Path) -> None:
    found = errors(tmp_path, """\
        name: Calm
        clinicians:
          lee: {name: Dana Lee, capacity: -2}
          okafor: {name: Chidi Okafor, capacity: yes}
          marsh: {capacity: 4}
        """)
    assert found == [
        f"{PRACTICE}:3: clinicians.lee.capacity: must be 0 or more, got -2",
        f"{PRACTICE}:4: clinicians.okafor.capacity: expected a whole number of clients, "
        "got 'yes'",
        f"{PRACTICE}:5: clinicians.marsh: missing required key 'name'",
    ]


@pytest.mark.parametrize("second", ["Kim: Kim Park", "KIM: {name: Kim Park, capacity: 3}"])
def test_clinician_keys_that_differ_only_in_case_are_refused(tmp_path: Path,
                                                             second: str) -> None:
    # Each key names a page; 'kim.html' and 'Kim.html' are one file on macOS and Windows.
    found = errors(tmp_path, f"name: Calm\nclinicians:\n  kim: Kim Lee\n  {second}\n")
    key = second.split(":")[0]
    assert found == [f"{PRACTICE}:4: clinicians.{key}: clinician key '{key}' differs only in "
                     "case from 'kim' (line 3); write it one way: their pages would "
                     "overwrite each other"]


def test_clinicians_named_by_clients_alone_may_not_differ_only_in_case(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", "name: Calm\n")
    for number, clinician in ((1, "kim"), (2, "Kim")):
        (root / "content" / f"C-{number}.yaml").write_text(
            f"id: C-{number}\nname: A\nintake_date: 2026-01-05\nclinician: {clinician}\n",
            encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(root), "--as-of", "2026-11-28"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0] == (
        "content/C-2.yaml:4: clinician: clinician 'Kim' differs only in case from 'kim' "
        "(content/C-1.yaml:4); write it one way: their pages would overwrite each other")
    assert not (root / "site").exists()


@pytest.mark.parametrize("command", ["check", "build"])
def test_the_command_line_exits_2_and_writes_nothing(tmp_path: Path, command: str) -> None:
    root = workspace(tmp_path / "ws", "name: Calm\nclinicians:\n  lee: {name: L, capacity: -1}\n")
    result = CliRunner().invoke(cli, [command, str(root), "--as-of", "2026-11-28"])
    assert result.exit_code == 2, result.output
    assert f"{PRACTICE}:3: clinicians.lee.capacity: must be 0 or more, got -1" in result.stderr
    assert "nothing was written" in result.stderr
    assert not (root / "site").exists()


# --- the numbers ------------------------------------------------------------------------


def _client(cid: str, kind: str, clinician: str | None = "lee") -> Client:
    """A client whose status on A is `kind` (or, for "future", not yet on the caseload)."""
    intake = A + timedelta(days=5) if kind == "future" else date(2026, 1, 5)
    sessions: tuple[Session, ...] = (Session(A - timedelta(days=7), "attended"),
                                      Session(A + timedelta(days=7), "scheduled"))
    discharge = None
    if kind == "inactive":
        sessions = (Session(date(2026, 6, 1), "attended"),)
    elif kind == "planned":
        discharge = Discharge(planned_on=A + timedelta(days=10))
    elif kind == "discharged":
        sessions = (Session(A - timedelta(days=20), "attended"),)
        discharge = Discharge(date=A - timedelta(days=10), reason="goals_met",
                              summary="Done.", client_participated=True)
    return Client(id=cid, name=f"Client {cid}", intake_date=intake,
                  source=Source("content/c.yaml", 1), clinician=clinician, sessions=sessions,
                  treatment_plans=(TreatmentPlan(A - timedelta(days=10)),), discharge=discharge)


def _caseload(clients: list[Client], capacities: dict[str, int],
              clinicians: dict[str, str] | None = None) -> Caseload:
    return Caseload(practice_name="Calm", clinicians=clinicians or {"lee": "Dana Lee",
                                                                    "kim": "Dr. Kim"},
                    practice_policy={}, payers={}, clients=tuple(clients), capacities=capacities)


def test_the_clients_are_what_they_say() -> None:
    caseload = _caseload([], {})
    policy = policy_for_payer(caseload, None)
    kinds = ["active", "inactive", "planned", "discharged"]
    statuses = [evaluate(_client(f"C-{k}", k), policy, A).status for k in kinds]
    assert statuses == ["active", "inactive", "discharge_planned", "discharged"]


def _load(kinds: list[str], capacity: int | None):
    clients = [_client(f"C-{n}", kind) for n, kind in enumerate(kinds)]
    report = build_report(_caseload(clients, {} if capacity is None else {"lee": capacity}), A)
    return report.clinician_loads()["lee"]


MIX = ["active", "active", "inactive", "planned", "planned", "discharged", "future"]


@pytest.mark.parametrize(("capacity", "spots", "after_planned", "after_inactive", "over"), [
    (10, 5, 7, 8, False),   # room to spare
    (5, 0, 2, 3, False),    # exactly at capacity
    (4, -1, 1, 2, True),    # over by one; planned discharges bring it under
    (2, -3, -1, 0, True),   # still over after the planned discharges
    (0, -5, -3, -2, True),  # a capacity of zero: every client is one too many
])
def test_open_spots_against_capacity(capacity: int, spots: int, after_planned: int,
                                     after_inactive: int, over: bool) -> None:
    load = _load(MIX, capacity)
    # Carried: on the caseload and not discharged; a planned discharge still counts.
    assert [e.client.id for e in load.carried] == ["C-0", "C-1", "C-2", "C-3", "C-4"]
    assert [e.client.id for e in load.discharge_planned] == ["C-3", "C-4"]
    assert [e.client.id for e in load.inactive] == ["C-2"]
    assert load.capacity == capacity
    assert (load.open_spots, load.spots_after_planned, load.spots_after_inactive) == \
        (spots, after_planned, after_inactive)
    assert load.over_capacity is over


def test_without_a_capacity_the_load_is_counted_but_has_no_spots() -> None:
    load = _load(MIX, None)
    assert len(load.carried) == 5
    assert load.capacity is None
    assert (load.open_spots, load.spots_after_planned, load.spots_after_inactive) == \
        (None, None, None)
    assert load.over_capacity is False


def test_a_clinician_with_no_clients_has_every_spot_open() -> None:
    report = build_report(_caseload([_client("C-1", "active")], {"lee": 3, "kim": 2}), A)
    loads = report.clinician_loads()
    assert list(loads) == ["kim", "lee"]
    kim = loads["kim"]
    assert (kim.carried, kim.discharge_planned, kim.inactive) == ((), (), ())
    assert (kim.open_spots, kim.spots_after_planned, kim.spots_after_inactive) == (2, 2, 2)
    assert not kim.over_capacity
    zero = clinician_load((), 0)
    assert (zero.open_spots, zero.over_capacity) == (0, False)


def test_only_discharged_clients_leave_every_spot_open() -> None:
    load = _load(["discharged", "discharged", "future"], 1)
    assert (load.carried, load.open_spots) == ((), 1)


def test_a_payers_report_counts_no_capacity_and_a_clinicians_its_own() -> None:
    clients = [_client("C-1", "active"), _client("C-2", "active", "kim")]
    caseload = _caseload(clients, {"lee": 3, "kim": 2})
    caseload.payers["p"] = Payer("p", "P", {}, Source("site_config/payers/p.yaml", 1))
    payer = build_report(caseload, A, Scope(payer="p"))
    assert payer.counts_capacity is False and payer.clinician_loads() == {}
    own = build_report(caseload, A, Scope(clinician="kim")).clinician_loads()
    assert list(own) == ["kim"] and own["kim"].open_spots == 1


def test_capacity_is_not_a_finding_and_check_does_not_mention_it(tmp_path: Path) -> None:
    # The demo's check output is pinned in tests/golden/demo-check.json (test_demo.py);
    # here, the same clients with and without capacities check alike, over capacity too.
    practice = "name: Calm\nclinicians:\n  lee: {name: Dana Lee, capacity: %s}\n"
    clients = "clients:\n" + "".join(
        f"  - {{id: C-{n}, name: A, intake_date: 2026-01-05, clinician: lee}}\n"
        for n in range(3))
    outputs = []
    for capacity in ("1", "~"):
        root = workspace(tmp_path / capacity.strip("~") / "ws", practice % capacity, clients)
        for form in ("text", "json"):
            result = CliRunner().invoke(cli, ["check", str(root), "--as-of", "2026-11-28",
                                              "--format", form])
            outputs.append((result.exit_code, result.stdout))
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]
    assert "capacity" not in outputs[0][1].lower()
    assert "capacity" not in json.dumps(json.loads(outputs[1][1])).lower()


# --- the pages --------------------------------------------------------------------------


def _pages(caseload: Caseload, scope: Scope | None = None) -> dict[str, str]:
    report = build_report(caseload, A, scope or Scope())
    return {p.path: str(p.content) for p in render_pages(report, None, clients=False)
            if p.path.startswith("clinicians")}


def test_the_demo_clinicians_page_shows_who_is_over_capacity() -> None:
    report = build_report(load_workspace(ROOT), date.fromisoformat(DEMO_AS_OF))
    pages = {p.path: str(p.content) for p in render_pages(report, ROOT, clients=False)}
    overview = pages["clinicians.md"]
    assert "**Over capacity: Chidi Okafor&#44; PsyD &#40;by 1&#41;.**" in overview
    rows = [line for line in overview.splitlines() if line.startswith("| [")][-3:]
    assert rows == [
        "| [Dana Lee&#44; LCSW](clinicians/lee.md) | 12 | 14 | 2 spots open "
        "| 2 spots open (0 planned) | 3 spots open (1 inactive) |",
        "| [Rowan Marsh&#44; LMFT](clinicians/marsh.md) | 10 | not set | — | — | — |",
        "| [Chidi Okafor&#44; PsyD](clinicians/okafor.md) | 12 | 11 "
        '| <span class="cl-over">over capacity by 1</span> '
        "| 1 spot open (2 planned) | 2 spots open (1 inactive) |",
    ]
    okafor = pages["clinicians/okafor.md"]
    assert ("Chidi Okafor&#44; PsyD carries 12 clients (on the caseload, not discharged) "
            "against a capacity of 11: <strong><span class=\"cl-over\">over capacity by 1"
            "</span></strong>. With the 2 planned discharges done: 1 spot open; with the "
            "1 inactive client discharged too: 2 spots open.") in okafor
    assert ('| Once the planned discharges are done | <a href="../clients/C-1009.html">'
            'C&#45;1009</a>, <a href="../clients/C-1021.html">C&#45;1021</a> | 1 spot open |'
            ) in okafor
    assert ('| Once the inactive clients are discharged too | '
            '<a href="../clients/C-1024.html">C&#45;1024</a> | 2 spots open |') in okafor
    marsh = pages["clinicians/marsh.md"]
    assert "practice.yaml sets no capacity for them." in marsh
    assert "| When |" not in marsh


def test_at_capacity_and_zero_capacity_in_words() -> None:
    clients = [_client("C-1", "active"), _client("C-2", "planned")]
    pages = _pages(_caseload(clients, {"lee": 2, "kim": 0}))
    lee = pages["clinicians/lee.md"]
    assert "against a capacity of 2: at capacity, no spot open. With the 1 planned " \
           "discharge done: 1 spot open." in lee
    assert "| Once the inactive clients are discharged too | none | 1 spot open |" in lee
    # A clinician with a capacity of zero and no clients has a page too.
    kim = pages["clinicians/kim.md"]
    assert "Dr&#46; Kim carries 0 clients (on the caseload, not discharged) against a capacity " \
           "of 0: at capacity, no spot open. No discharge is planned and no client is " \
           "inactive." in kim
    assert "No clients." in kim
    assert "No clinician is over capacity." in pages["clinicians.md"]


def test_pages_say_nothing_of_capacity_when_the_practice_sets_none() -> None:
    pages = _pages(_caseload([_client("C-1", "active")], {}))
    assert all("apacity" not in page for page in pages.values())
    assert list(pages) == ["clinicians.md", "clinicians/lee.md"]


def test_a_payers_packet_says_why_it_shows_no_capacity() -> None:
    client = _client("C-1", "active")
    caseload = _caseload([Client(**{**{f: getattr(client, f) for f in client.__slots__},
                                    "payer": "p"})], {"lee": 1})
    caseload.payers["p"] = Payer("p", "P", {}, Source("site_config/payers/p.yaml", 1))
    pages = _pages(caseload, Scope(payer="p"))
    assert "Capacity is not counted in a payer's report" in pages["clinicians.md"]
    assert "## Capacity" not in pages["clinicians/lee.md"]


def test_the_site_lists_over_capacity_in_words() -> None:
    clients = [_client(f"C-{n}", "active") for n in range(3)]
    site = Site(build_report(_caseload(clients, {"lee": 1}), A))
    assert site.over_capacity() == ["Dana Lee (by 2)"]

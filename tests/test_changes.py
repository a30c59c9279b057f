"""What changed between two reports: the pure comparison, its page, its text and JSON,
and `caseload diff`'s refusals (its pinned output is in test_snapshot.py)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from generator.archive.changes import (
    InvalidReport,
    changes_json,
    compare,
    parse_report,
    render_changes,
    text_lines,
)
from generator.archive.snapshot import MANIFEST_KIND, MANIFEST_VERSION, dumps, file_entry
from generator.reading.exact import load_workspace
from generator.report.report import build_report, report_json
from tests.clirun import run
from tests.conftest import ROOT

GOLDEN = Path(__file__).parent / "golden"


def finding(code: str, severity: str = "error", message: str = "m") -> dict[str, str]:
    return {"code": code, "severity": severity, "message": message}


def client(client_id: str, status: str = "active", *findings: dict[str, str],
           name: str | None = None) -> dict[str, Any]:
    return {"id": client_id, "name": name or f"Name {client_id}", "status": status,
            "findings": list(findings)}


def report(as_of: str, *clients: dict[str, Any]) -> dict[str, Any]:
    return {"as_of": as_of, "clients": list(clients), "summary": {}}


THEN = report(
    "2026-10-28",
    client("C-1", "active", finding("PLAN-DUE-SOON", "warning", "due in 8 days")),
    client("C-2", "active", finding("PLAN-OVERDUE", "error", "40 days over"),
           finding("NO-UPCOMING", "info")),
    client("C-3", "discharge_planned"),
    client("C-4", "inactive", finding("INACTIVE", "warning")),
)
NOW = report(
    "2026-11-28",
    client("C-1", "active", finding("PLAN-DUE-SOON", "warning", "due in 2 days")),
    client("C-2", "inactive", finding("PLAN-OVERDUE", "error", "71 days over"),
           finding("INACTIVE", "warning", "94 days ago")),
    client("C-3", "discharged", finding("DISCHARGE-SUMMARY-DUE", "warning")),
    client("C-5", "active", finding("PLAN-MISSING")),
)


def test_compare_finds_clients_statuses_and_findings() -> None:
    changes = compare(THEN, NOW)
    assert (changes.before, changes.after) == (date(2026, 10, 28), date(2026, 11, 28))
    assert [c.id for c in changes.added] == ["C-5"]
    assert [f.code for f in changes.added[0].findings] == ["PLAN-MISSING"]
    assert [(c.id, c.status) for c in changes.gone] == [("C-4", "inactive")]
    assert [(s.id, s.before, s.after) for s in changes.status_changes] == [
        ("C-2", "active", "inactive"), ("C-3", "discharge_planned", "discharged")]
    assert [(c.id, [f.code for f in c.opened], [f.code for f in c.resolved])
            for c in changes.findings] == [
        ("C-2", ["INACTIVE"], ["NO-UPCOMING"]),
        ("C-3", ["DISCHARGE-SUMMARY-DUE"], []),
    ]
    assert changes.findings[0].opened[0].message == "94 days ago"  # as it reads now


def test_a_finding_whose_message_changed_is_the_same_finding() -> None:
    changes = compare(THEN, NOW)
    assert "C-1" not in {c.id for c in changes.findings}


def test_counts_then_and_now() -> None:
    rows = {(r.group, r.key): (r.before, r.after, r.change) for r in compare(THEN, NOW).counts}
    assert rows[("clients", "clients")] == (4, 4, "0")
    assert rows[("status", "inactive")] == (1, 1, "0")
    assert rows[("status", "discharged")] == (0, 1, "+1")
    assert rows[("status", "active")] == (2, 2, "0")
    assert rows[("severity", "error")] == (1, 2, "+1")
    assert rows[("severity", "info")] == (1, 0, "-1")
    assert next(iter(rows)) == ("clients", "clients")


def test_identical_reports_have_no_changes() -> None:
    changes = compare(NOW, NOW)
    assert (changes.added, changes.gone, changes.status_changes, changes.findings) \
        == ((), (), (), ())
    assert all(row.change == "0" for row in changes.counts)
    page = render_changes(changes, None)
    assert page.count("None.") == 5


def test_findings_are_listed_in_rule_order() -> None:
    later = report("2026-11-28", client("C-1", "active", finding("NO-UPCOMING", "info"),
                                        finding("PLAN-MISSING")))
    changes = compare(report("2026-10-28", client("C-1")), later)
    assert [f.code for f in changes.findings[0].opened] == ["PLAN-MISSING", "NO-UPCOMING"]


@pytest.mark.parametrize(("document", "message"), [
    ([], "expected a JSON object"),
    ({"as_of": "28/11/2026", "clients": []}, "as_of: expected a date"),
    ({"as_of": "2026-02-30", "clients": []}, "as_of: expected a date"),
    ({"as_of": "2026-11-28"}, "clients: expected a list"),
    (report("2026-11-28", client("../x")), "clients[0].id: not a client id"),
    (report("2026-11-28", client("C-1"), client("C-1")), "duplicate id 'C-1'"),
    (report("2026-11-28", client("C-1", "gone")), "clients[0].status: expected one of"),
    (report("2026-11-28", client("C-1", "active", finding("X", "fatal"))),
     "clients[0].findings[0].severity"),
    (report("2026-11-28", {"id": "C-1", "name": 3, "status": "active", "findings": []}),
     "clients[0].name: expected text"),
])
def test_invalid_report_documents_are_refused(document: Any, message: str) -> None:
    with pytest.raises(InvalidReport, match=re.escape(message)):
        parse_report(document)
    with pytest.raises(InvalidReport, match=r"^later report: "):
        compare(THEN, document)


def test_page_escapes_caseload_text_and_links_only_existing_pages() -> None:
    hostile = "<script>alert(1)</script> | **bold** {{ 7*7 }} [x](javascript:y)"
    then = report("2026-10-28", client("C-1"), client("C-9", name=hostile))
    now = report("2026-11-28", client("C-1", "at_risk", finding("NO-SHOW-PATTERN", "warning",
                                                                hostile), name=hostile),
                 client("C-2", name=hostile))
    page = render_changes(compare(then, now), None)
    assert "<script>" not in page and "**bold**" not in page and "{{" not in page
    assert "](javascript:" not in page and "| **" not in page
    assert "&#60;script&#62;alert&#40;1&#41;" in page
    assert '<a href="clients/C-1.html">C&#45;1</a>' in page
    assert '<a href="clients/C-2.html">C&#45;2</a>' in page
    assert "clients/C-9" not in page  # gone: no page in the new site to link to
    assert "<code>NO&#45;SHOW&#45;PATTERN</code>" in page
    assert "`" not in page
    # Every table row keeps its columns: no cell text added a '|'.
    for line in page.splitlines():
        if line.startswith("| [C"):
            assert line.count("|") in (5, 6)


def test_demo_changes_page_is_pinned(update_golden: bool) -> None:
    caseload = load_workspace(ROOT)
    then = report_json(build_report(caseload, date(2026, 10, 28)))
    now = report_json(build_report(caseload, date(2026, 11, 28)))
    page = render_changes(compare(then, now), ROOT)
    path = GOLDEN / "changes-2026-10-28-to-2026-11-28.md"
    if update_golden:
        path.write_text(page, encoding="utf-8")
    assert page == path.read_text(encoding="utf-8")


def test_text_strips_terminal_control_characters() -> None:
    now = report("2026-11-28", client("C-1", name="Evil\x1b[2J\x07Name\u202e"))
    lines = text_lines(compare(report("2026-10-28"), now))
    assert "  + C-1 Evil\\x1b[2J\\x07Name\\u202e: active" in lines
    assert not any("\x1b" in line for line in lines)


def test_json_shape() -> None:
    document = changes_json(compare(THEN, NOW))
    assert list(document) == ["before", "after", "clients_added", "clients_gone",
                              "status_changes", "findings", "counts"]
    assert document["status_changes"][0] == {"id": "C-2", "name": "Name C-2",
                                              "before": "active", "after": "inactive"}
    assert document["counts"]["clients"] == {"before": 4, "after": 4}
    assert document["counts"]["findings"]["error"] == {"before": 1, "after": 2}
    assert list(document["counts"]["by_status"]) == [
        "discharged", "discharge_planned", "inactive", "at_risk", "active"]
    json.dumps(document)  # plain data


# --- caseload diff ------------------------------------------------------------------


def snapshot_folder(folder: Path, document: Any) -> Path:
    """A minimal snapshot: a report.json and a manifest vouching for it."""
    folder.mkdir(parents=True)
    (folder / "report.json").write_bytes(dumps(document))
    manifest = {"kind": MANIFEST_KIND, "manifest_version": MANIFEST_VERSION,
                "as_of": folder.name, "files": {"report.json": file_entry(folder / "report.json")}}
    (folder / "manifest.json").write_bytes(dumps(manifest))
    return folder


def test_diff_by_dates_and_by_folders(tmp_path: Path) -> None:
    snapshot_folder(tmp_path / "snapshots" / "2026-10-28", THEN)
    snapshot_folder(tmp_path / "snapshots" / "2026-11-28", NOW)
    code, by_date, err = run("diff", "2026-10-28", "2026-11-28", "--workspace", str(tmp_path))
    assert code == 0, err
    assert by_date.splitlines()[0] == "Changes from 2026-10-28 to 2026-11-28"
    assert "  C-2 Name C-2: active -> inactive" in by_date
    _, by_folder, _ = run("diff", str(tmp_path / "snapshots" / "2026-10-28"),
                          str(tmp_path / "snapshots" / "2026-11-28"))
    assert by_folder == by_date
    code, out, _ = run("diff", "2026-10-28", "2026-11-28", "--workspace", str(tmp_path),
                       "--format", "json")
    assert code == 0
    assert json.loads(out) == changes_json(compare(THEN, NOW))


@pytest.mark.parametrize(("damage", "message"), [
    ("missing", "no such snapshot folder"),
    ("no-manifest", "manifest.json:1: missing"),
    ("altered", "altered since the snapshot was taken"),
    ("not-a-report", "not a caseload report"),
])
def test_diff_refuses_a_missing_or_invalid_snapshot(tmp_path: Path, damage: str,
                                                    message: str) -> None:
    snapshot_folder(tmp_path / "snapshots" / "2026-11-28", NOW)
    before = tmp_path / "snapshots" / "2026-10-28"
    if damage != "missing":
        snapshot_folder(before, {"as_of": "2026-10-28"} if damage == "not-a-report" else THEN)
    if damage == "no-manifest":
        (before / "manifest.json").unlink()
    if damage == "altered":
        (before / "report.json").write_bytes(dumps(NOW))
    code, out, err = run("diff", "2026-10-28", "2026-11-28", "--workspace", str(tmp_path))
    assert code == 2 and out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err

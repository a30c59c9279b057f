"""The demo practice end to end, pinned: a change in a rule or a page shows up as a diff.

After an intentional change, rewrite the expected files with
    python -m pytest tests/test_demo.py --update-golden
and review the diff of tests/golden/ before committing it.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli
from generator.reading.exact import load_workspace
from generator.report.report import build_report
from generator.rules.engine import RULES, STATUSES
from generator.site.build import render_docs
from tests.conftest import DEMO_AS_OF

GOLDEN = Path(__file__).parent / "golden"


def demo_check_json(demo: Path) -> dict:
    result = CliRunner().invoke(cli, ["check", str(demo), "--as-of", DEMO_AS_OF,
                                      "--format", "json"])
    assert result.exit_code == 1, result.stderr  # the demo has error findings on purpose
    return json.loads(result.stdout)


def test_demo_shows_every_status_and_every_finding(demo: Path) -> None:
    document = demo_check_json(demo)
    statuses = {c["status"] for c in document["clients"]}
    codes = {f["code"] for c in document["clients"] for f in c["findings"]}
    assert statuses == set(STATUSES)
    assert codes == {rule.code for rule in RULES}


def test_demo_check_json_is_pinned(demo: Path, update_golden: bool) -> None:
    expected_file = GOLDEN / "demo-check.json"
    actual = demo_check_json(demo)
    if update_golden:
        expected_file.parent.mkdir(parents=True, exist_ok=True)
        expected_file.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
    assert actual == json.loads(expected_file.read_text(encoding="utf-8"))


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_demo_markdown_is_pinned(demo: Path, tmp_path: Path, update_golden: bool) -> None:
    report = build_report(load_workspace(demo), date.fromisoformat(DEMO_AS_OF))
    render_docs(report, demo, tmp_path / "docs")
    expected_dir = GOLDEN / "demo-docs"
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(tmp_path / "docs", expected_dir)
    actual, expected = tree(tmp_path / "docs"), tree(expected_dir)
    assert sorted(actual) == sorted(expected)
    changed = [name for name in actual if actual[name] != expected[name]]
    assert not changed, f"pages differ from tests/golden/demo-docs: {changed[:10]}"

"""One evaluation: the outputs read what the rules decided and decide nothing themselves.

The check text and JSON, the calendar, the pages and their templates never
compare a date or a status to work out what something means: what is upcoming,
overdue, counted or in the window is the evaluation's to say
(generator/rules/engine.py), so that no output can disagree with the rules
(as the client page once did about a session scheduled on the report date).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from jinja2 import nodes

from generator.pages.render import builtin_templates, environment

ROOT = Path(__file__).resolve().parent.parent
OUTPUT_MODULES = sorted((ROOT / "generator" / "pages").glob("*.py")) \
    + sorted((ROOT / "generator" / "report").glob("*.py"))
TEMPLATES = sorted(p for p in builtin_templates().iterdir() if p.suffix == ".j2")

# Names that hold a date, a count of days or a status (`day`, a day of the month in
# the calendar's recurrence rule, is left out).
MEANINGFUL = frozenset({
    "as_of", "date", "due", "status", "state", "plan_due", "plan_date", "last_session",
    "next_appointment", "intake_date", "discharge_date", "discharge_planned_day",
    "planned_on", "window_start", "today", "days", "plan_age_days",
    "days_since_last_session",
})
# Comparisons that decide how to write something down, not what it means.
ALLOWED = {
    ("generator/report/ical.py", "item.day < date.max"),  # RFC 5545 DTEND past the calendar
}


def _names(node: ast.AST) -> set[str]:
    found = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            found.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            found.add(sub.attr)
    return found


def _presence_test(ops: list[ast.cmpop]) -> bool:
    return all(isinstance(op, ast.Is | ast.IsNot) for op in ops)


@pytest.mark.parametrize("path", OUTPUT_MODULES, ids=lambda p: p.name)
def test_outputs_compare_no_dates_and_no_statuses(path: Path) -> None:
    where = path.relative_to(ROOT).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        ast.unparse(node) for node in ast.walk(tree)
        if isinstance(node, ast.Compare) and not _presence_test(node.ops)
        and _names(node) & MEANINGFUL and (where, ast.unparse(node)) not in ALLOWED
    ]
    assert found == [], f"{where} decides what a date or status means: {found}"


def _template_names(node: nodes.Node) -> set[str]:
    found = set()
    for sub in [node, *node.find_all((nodes.Name, nodes.Getattr, nodes.Getitem))]:
        if isinstance(sub, nodes.Name):
            found.add(sub.name)
        elif isinstance(sub, nodes.Getattr):
            found.add(sub.attr)
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_compare_no_dates_and_no_statuses(path: Path) -> None:
    tree = environment(None).parse(path.read_text(encoding="utf-8"))
    found = [repr(node) for node in tree.find_all(nodes.Compare)
             if _template_names(node) & MEANINGFUL]
    assert found == [], f"{path.name} decides what a date or status means: {found}"


def test_the_checkers_see_a_date_comparison(tmp_path: Path) -> None:
    # Both checks must be able to fail: the comparisons the client page used to make.
    code = "def f(s, as_of):\n    return s.date > as_of and s.status == 'scheduled'\n"
    compares = [n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Compare)]
    assert len(compares) == 2 and all(_names(n) & MEANINGFUL for n in compares)
    template = "{% if p.date > site.as_of %} (not counted){% endif %}"
    found = list(environment(None).parse(template).find_all(nodes.Compare))
    assert len(found) == 1 and _template_names(found[0]) & MEANINGFUL

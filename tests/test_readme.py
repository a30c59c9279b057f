"""The README's findings and policy tables are the registry's and the settings' own.

They are made by scripts/readme_tables.py from the `@rule` declarations and the
policy `SETTINGS`; when a rule or a setting changes, this fails until the
README is regenerated (``python scripts/readme_tables.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.model.policy import SETTINGS
from generator.rules.engine import RULES
from scripts.readme_tables import README, MissingMarkers, findings_table, policy_table, rewrite


def test_readme_tables_are_up_to_date() -> None:
    text = README.read_text(encoding="utf-8")
    assert rewrite(text) == text, "README.md is stale: run python scripts/readme_tables.py"


def test_the_tables_name_every_rule_and_every_setting_in_order() -> None:
    findings = findings_table().splitlines()[2:]
    assert [row.split(" | ")[0] for row in findings] == [f"| `{r.code}`" for r in RULES]
    settings = policy_table().splitlines()[2:]
    assert [row.split(" | ")[0] for row in settings] == [f"| `{s.key}`" for s in SETTINGS]
    assert all(row.count(" | ") == 3 for row in findings + settings)


def test_a_changed_declaration_shows_as_a_stale_readme(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from generator.rules import engine

    text = README.read_text(encoding="utf-8")
    changed = dataclasses.replace(engine.RULES[0], when="something else")
    monkeypatch.setattr(engine, "RULES", (changed, *engine.RULES[1:]))
    fresh = rewrite(text)
    assert fresh != text and "| something else |" in fresh
    assert rewrite(fresh) == fresh


def test_the_tables_need_their_markers(tmp_path: Path) -> None:
    with pytest.raises(MissingMarkers):
        rewrite("# A README without markers\n")

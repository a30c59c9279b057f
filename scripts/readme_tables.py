"""The README's findings and policy tables, made from the declarations they describe.

    python scripts/readme_tables.py           rewrite them in README.md
    python scripts/readme_tables.py --check   exit 1, saying so, when README.md is stale

The findings table comes from the rule registry (each `@rule` in
generator/rules/engine.py: code, severity, when it is raised, an example), the
policy table from the policy settings (`SETTINGS` in generator/model/policy.py).
Each stands in README.md between a BEGIN and an END marker comment; the text
around them is the README's own. tests/test_readme.py fails when a table
differs from what this script makes, so the README cannot drift from the code.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"


def findings_table() -> str:
    from generator.rules.engine import RULES

    rows = ["| finding | severity | raised when | example message |",
            "| --- | --- | --- | --- |"]
    rows += [f"| `{r.code}` | {r.severity} | {r.when} | {r.example} |" for r in RULES]
    return "\n".join(rows)


def policy_table() -> str:
    from generator.model.policy import SETTINGS

    rows = ["| setting | default | allowed | what it does |", "| --- | ---: | --- | --- |"]
    for setting in SETTINGS:
        if setting.kind == "bool":
            default, allowed = str(setting.default).lower(), "true or false"
        elif setting.kind == "date":
            default, allowed = "not set", "a date"
        else:
            default, allowed = str(setting.default), f"a whole number ≥ {setting.minimum}"
        if setting.default is None:
            default = "not set"
        rows.append(f"| `{setting.key}` | {default} | {allowed} | {setting.meaning} |")
    return "\n".join(rows)


TABLES: dict[str, tuple[str, Callable[[], str]]] = {
    "findings": ("the rules in generator/rules/engine.py", findings_table),
    "policy": ("SETTINGS in generator/model/policy.py", policy_table),
}


class MissingMarkers(ValueError):
    pass


def rewrite(text: str) -> str:
    """`text` (the README) with every generated table made afresh."""
    for name, (source, make) in TABLES.items():
        pattern = re.compile(rf"<!-- BEGIN {name} table[^\n]*-->\n.*?\n<!-- END {name} table -->",
                             re.S)
        found = list(pattern.finditer(text))
        if len(found) != 1:
            raise MissingMarkers(f"README.md needs one '<!-- BEGIN {name} table ... -->' and "
                                 f"'<!-- END {name} table -->' pair")
        fresh = (f"<!-- BEGIN {name} table: made from {source} by "
                 f"python scripts/readme_tables.py -->\n{make()}\n<!-- END {name} table -->")
        text = text[:found[0].start()] + fresh + text[found[0].end():]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only check that README.md is up to date")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))  # this repository's generator, installed or not
    text = README.read_text(encoding="utf-8")
    fresh = rewrite(text)
    if fresh == text:
        return 0
    if args.check:
        print("README.md: the generated tables are out of date; run "
              "python scripts/readme_tables.py", file=sys.stderr)
        return 1
    README.write_text(fresh, encoding="utf-8")
    print("README.md: tables rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

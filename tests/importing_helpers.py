"""Shared set-up for the import tests: a small workspace and exports."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli

PRACTICE = """\
name: Test Practice
clinicians:
  lee: Dana Lee, LCSW
  okafor: Chidi Okafor, PsyD
"""

FILES = {
    "site_config/practice.yaml": PRACTICE,
    "content/lee/C-1.yaml": """\
        id: C-1
        name: Maya Castellanos
        intake_date: 2026-01-05
        clinician: lee
        """,
    "content/okafor/caseload.yaml": """\
        clients:
          - id: C-2
            name: Daniel Reyes
            intake_date: 2026-02-01
            clinician: okafor
          - id: C-3
            name: Samuel Okoro
            intake_date: 2026-03-01
            sessions:
              - {date: 2026-03-01, status: attended}
        """,
}

SP_HEADER = "Date of Service,Client,Clinician,Status,Progress Note Status,Billing Code"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def tree(root: Path) -> dict[str, bytes]:
    """Every file below `root` (relative path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}

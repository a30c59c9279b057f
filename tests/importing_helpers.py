"""Shared set-up for the import tests: a small workspace and exports."""

from __future__ import annotations

from pathlib import Path

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


def tree(root: Path) -> dict[str, bytes]:
    """Every file below `root` (relative path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}

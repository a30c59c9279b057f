"""The two helpers most CLI tests share: run the real command, write a workspace."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from generator.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    """Run ``caseload ARGS`` in-process; the exit code, stdout and stderr, kept apart."""
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(root: Path, files: dict[str, str]) -> Path:
    """Write each file (its text dedented) under ``root``, making folders as needed."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root

"""Shared test set-up: the demo workspace, and regenerating golden files on request."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_AS_OF = "2026-11-28"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true",
        help="Rewrite the expected files under tests/golden/ from the current output.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def demo() -> Path:
    """The repository itself: a workspace holding the demo practice."""
    return ROOT

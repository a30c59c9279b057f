"""Shared test set-up: the demo workspace, and regenerating golden files on request."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_AS_OF = "2026-11-28"


def pytest_configure(config: pytest.Config) -> None:
    # The tests stop `caseload serve` with Ctrl+C (SIGINT), as a person does. A
    # shell script that starts the suite in the background (`pytest &`) hands it
    # SIGINT ignored, every child inherits that, and Python leaves an ignored
    # SIGINT ignored: each serve would then outlive its Ctrl+C. Give the suite,
    # and so its children, a terminal's default.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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


@pytest.fixture(autouse=True)
def private_cache_home(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own user cache folder, so none sees another's cache."""
    home = tmp_path_factory.mktemp("cache-home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo practice's site, built once for every test that only reads it."""
    from click.testing import CliRunner

    from generator.cli import cli

    site = tmp_path_factory.mktemp("demo-site") / "site"
    result = CliRunner().invoke(cli, ["build", str(ROOT), "--as-of", DEMO_AS_OF,
                                      "--site-dir", str(site)])
    assert result.exit_code == 0, result.stderr
    return site

"""A real browser on the built demo site, opened from disk as an auditor would.

Headless Debian Chromium, driven by the playwright package. Screenshots land in
test-artifacts/screenshots/; `--update-golden` also refreshes the ones the
README shows (docs/screenshots/).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
README_SHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not CHROMIUM.exists():
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    return None


missing = _browser_missing()
if missing and os.environ.get("CASELOAD_REQUIRE_BROWSER"):
    raise RuntimeError(f"browser tests are required here, but {missing}")
pytestmark = pytest.mark.skipif(missing is not None, reason=missing or "")


@pytest.fixture(scope="module")
def site(demo_site: Path) -> Path:
    return demo_site


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[tuple[object, list[str]]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    # Anything that is not a local file is refused and remembered, never fetched.
    context.route(lambda url: not url.startswith("file://"), lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page, requests
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def heading(tab: object) -> str:
    # Headings carry a "¶" permalink anchor.
    return tab.locator("h1").first.inner_text().rstrip("¶")  # type: ignore[attr-defined]


def screenshot(page: object, name: str, update_golden: bool) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=False)  # type: ignore[attr-defined]
    if update_golden:
        README_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, README_SHOTS / f"{name}.png")


def test_roster_to_client_page_and_finder_from_file(site: Path, page: tuple, update_golden: bool
                                                    ) -> None:
    tab, requests = page
    tab.goto((site / "index.html").as_uri())
    assert "Riverbend Counseling Collective" in tab.title()
    assert heading(tab) == "Riverbend Counseling Collective"
    screenshot(tab, "overview", update_golden)

    tab.get_by_role("link", name="Roster").first.click()
    tab.wait_for_url("**/roster.html")
    rows = tab.locator("table tbody tr")
    assert rows.count() == 45
    screenshot(tab, "roster", update_golden)

    tab.locator("table tbody tr").first.get_by_role("link").first.click()
    tab.wait_for_url("**/clients/*.html")
    assert heading(tab).startswith("C-1")

    tab.go_back()
    finder = tab.locator("#cl-finder-input")
    finder.fill("wren")
    result = tab.locator("#cl-finder-results a")
    assert result.count() == 1
    assert result.first.inner_text() == "C-1034: Tobias Wren"
    result.first.click()
    tab.wait_for_url("**/clients/C-1034.html")
    assert heading(tab) == "C-1034: Tobias Wren"
    assert "DISCHARGE-OUTREACH-UNDOCUMENTED" in tab.content()
    screenshot(tab, "client", update_golden)

    tab.goto((site / "actions.html").as_uri())
    assert tab.get_by_role("heading", name="Reach out (8)").count() == 1

    outside = [url for url in requests if not url.startswith("file://")]
    assert outside == [], f"requests that left the machine: {outside}"
    assert any(url.endswith("clients.js") for url in requests)


def test_finder_on_the_overview_opens_the_client(site: Path, page: tuple) -> None:
    tab, requests = page
    tab.goto((site / "index.html").as_uri())
    tab.locator("#cl-finder-input").fill("C-1034")
    result = tab.locator("#cl-finder-results a")
    assert result.count() == 1
    result.first.click()
    tab.wait_for_url("**/clients/C-1034.html")
    assert heading(tab) == "C-1034: Tobias Wren"
    assert [url for url in requests if not url.startswith("file://")] == []


def test_finder_says_when_nothing_matches(site: Path, page: tuple) -> None:
    tab, _ = page
    tab.goto((site / "roster.html").as_uri())
    tab.locator("#cl-finder-input").fill("no such person")
    assert tab.get_by_role("status").inner_text() == "No client matches."
    assert tab.locator("#cl-finder-results li").count() == 0


# --- the client finder from the keyboard ---------------------------------------------


def test_finder_works_from_the_keyboard_and_announces_matches(site: Path, page: tuple) -> None:
    tab, requests = page
    tab.goto((site / "roster.html").as_uri())
    field = tab.get_by_role("searchbox", name="Find a client by id or name")
    assert field.count() == 1
    assert tab.get_by_role("search", name="Client finder").count() == 1
    status = tab.get_by_role("status")
    assert status.get_attribute("aria-live") == "polite"
    field.focus()
    # Typed key by key: letters Material uses as page shortcuts ("n", "p") stay in the field.
    tab.keyboard.type("pn")
    assert tab.url.endswith("/roster.html")
    assert field.input_value() == "pn"
    tab.keyboard.press("Escape")
    assert field.input_value() == "" and status.inner_text() == ""

    tab.keyboard.type("wren")
    assert status.inner_text() == "1 match."
    tab.keyboard.press("Enter")  # a single match opens
    tab.wait_for_url("**/clients/C-1034.html")

    tab.go_back()
    field.fill("")
    field.focus()
    tab.keyboard.type("c-10")
    found = tab.locator("#cl-finder-results a")
    assert found.count() == 25
    assert status.inner_text() == "45 matches; the first 25 are shown."
    tab.keyboard.press("Enter")  # many matches: Enter does not guess
    assert tab.url.endswith("/roster.html")

    def focused() -> str:
        return str(tab.evaluate("document.activeElement.textContent"))

    tab.keyboard.press("ArrowDown")
    assert focused() == found.nth(0).inner_text()
    tab.keyboard.press("ArrowDown")
    assert focused() == found.nth(1).inner_text()
    tab.keyboard.press("ArrowUp")
    tab.keyboard.press("ArrowUp")
    assert tab.evaluate("document.activeElement.id") == "cl-finder-input"
    tab.keyboard.press("Tab")  # Tab reaches the matches too
    assert focused() == found.nth(0).inner_text()
    tab.keyboard.press("Escape")
    assert tab.evaluate("document.activeElement.id") == "cl-finder-input"
    tab.keyboard.press("ArrowDown")
    tab.keyboard.press("Enter")
    tab.wait_for_url("**/clients/C-1001.html")
    assert [url for url in requests if not url.startswith("file://")] == []

"""A real browser on the built demo site, opened from disk as an auditor would,
and served as `caseload serve` serves it (its Content-Security-Policy, its refusal
of other host names and of other origins).

Headless Debian Chromium, driven by the playwright package. Screenshots land in
test-artifacts/screenshots/; `--update-golden` also refreshes the ones the
README shows (docs/screenshots/).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    assert tab.locator("#cl-finder-results").inner_text() == "No client matches."


# --- the same site under `caseload serve`, with its Content-Security-Policy ---------------

# Reports every Content-Security-Policy violation a page hears to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.caseloadReportViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`);
});
"""


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[tuple[str, object]]:
    """The demo site under the server `caseload serve` runs: (its base URL, the server)."""
    import threading

    from generator.site.serve import make_server

    server = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class ServedTab:
    tab: Any
    base: str
    requests: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def served_tab(browser: object, served: tuple[str, object]) -> Iterator[ServedTab]:
    """A tab for the served site, hearing every request, policy violation and error.

    Any request not to the server is refused and remembered, never sent.
    """
    base, _ = served
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    this = ServedTab(context.new_page(), base)
    context.on("request", lambda request: this.requests.append(request.url))
    context.route(lambda url: not url.startswith(base), lambda route: route.abort())
    context.expose_function("caseloadReportViolation", lambda text: this.violations.append(text))
    context.add_init_script(REPORT_VIOLATIONS)
    this.tab.on("pageerror", lambda error: this.errors.append(str(error)))
    # Chromium also prints every violation (in the page or a worker) to the console.
    this.tab.on("console", lambda message: this.violations.append(message.text)
                  if "Content Security Policy" in message.text else None)
    yield this
    context.close()
    assert this.errors == [], f"JavaScript errors: {this.errors}"


def test_served_pages_and_search_run_under_the_policy(served_tab: ServedTab) -> None:
    tab, base = served_tab.tab, served_tab.base
    tab.goto(base)
    assert heading(tab) == "Riverbend Counseling Collective"

    tab.goto(base + "roster.html")
    assert tab.locator("table tbody tr").count() == 45
    tab.locator("#cl-finder-input").fill("wren")  # the finder's script files run too
    assert tab.locator("#cl-finder-results a").count() == 1

    tab.goto(base + "clients/C-1034.html")
    assert heading(tab) == "C-1034: Tobias Wren"

    # Search: Material starts its worker (a file of the site), which fetches the index.
    tab.goto(base + "index.html")
    search = tab.locator("input.md-search__input")
    search.click()
    search.press_sequentially("payer", delay=20)  # Material listens for key presses
    results = tab.locator("ol.md-search-result__list > li")
    results.first.wait_for(timeout=15_000)
    assert results.first.locator("h1").inner_text() == "Payers"
    requests = served_tab.requests
    assert any(url.endswith("search/search_index.json") for url in requests)
    assert any("/workers/search." in url for url in requests)

    assert served_tab.violations == [], \
        f"Content-Security-Policy violations: {served_tab.violations}"
    outside = [url for url in requests if not url.startswith(base)]
    assert outside == [], f"requests that left the machine: {outside}"


def test_a_script_the_policy_does_not_list_is_heard(served_tab: ServedTab,
                                                    served: tuple[str, object]) -> None:
    # The test above can hear a violation: the same page under a policy without the
    # theme's hashes has its inline scripts refused, and the test is told.
    from generator.site.serve import content_security_policy

    scripts = served[1].scripts  # type: ignore[attr-defined]
    original = scripts.policy
    scripts.policy = lambda: content_security_policy(())
    try:
        served_tab.tab.goto(served_tab.base + "roster.html")
        served_tab.tab.wait_for_timeout(200)
    finally:
        scripts.policy = original
    heard = served_tab.violations
    assert any(text.startswith("script-src-elem blocked inline") for text in heard), heard  # event
    assert any("Content Security Policy directive 'script-src" in text for text in heard), heard
    assert served_tab.errors  # the theme's later scripts miss what the refused one defines
    served_tab.errors.clear()


def test_a_page_of_another_origin_cannot_read_the_served_site(
        browser: object, served: tuple[str, object], tmp_path: Path) -> None:
    # Any web page can put <script src="http://127.0.0.1:PORT/..."> on itself; the
    # request carries the right Host, so only Cross-Origin-Resource-Policy stops it
    # from reading clients.js (every client's name) or the search index.
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    base, _ = served
    (tmp_path / "attack.html").write_text(
        f'<script src="{base}assets/clients.js"></script>'
        f'<script src="{base}search/search_index.js"></script>', encoding="utf-8")
    quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    other = ThreadingHTTPServer(("127.0.0.1", 0), partial(quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=other.serve_forever, daemon=True)
    thread.start()
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        tab = context.new_page()
        failed: dict[str, str | None] = {}
        tab.on("requestfailed", lambda request: failed.update({request.url: request.failure}))
        tab.goto(f"http://127.0.0.1:{other.server_port}/attack.html")
        tab.wait_for_load_state("load")
        blocked = "net::ERR_BLOCKED_BY_RESPONSE.NotSameOrigin"  # the header, not the network
        assert failed == {f"{base}assets/clients.js": blocked,
                          f"{base}search/search_index.js": blocked}
        assert tab.evaluate("typeof window.CASELOAD_CLIENTS") == "undefined"
        assert tab.evaluate("typeof window.__index") == "undefined"
    finally:
        context.close()
        other.shutdown()
        other.server_close()
        thread.join(timeout=10)


def test_dns_rebinding_gets_nothing(browser: object, served: tuple[str, object]) -> None:
    # The attack: a page on rebind.test, whose name the attacker then resolves to
    # 127.0.0.1, reads the site as its own origin. Here the browser resolves the name
    # to 127.0.0.1 from the start; the server sees Host: rebind.test:PORT and refuses.
    base, _ = served
    port = base.rstrip("/").rsplit(":", 1)[1]
    rebinding = browser.browser_type.launch(  # type: ignore[attr-defined]
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP rebind.test 127.0.0.1"])
    try:
        tab = rebinding.new_page()
        reply = tab.goto(f"http://rebind.test:{port}/clients/C-1034.html")
        assert reply is not None and reply.status == 403
        assert "Tobias" not in tab.content() and "C-1034" not in tab.content()
        assert tab.evaluate("fetch('/assets/clients.js').then(r => r.status)") == 403
        # The same browser, by a loopback name, is answered.
        reply = tab.goto(f"{base}clients/C-1034.html")
        assert reply is not None and reply.status == 200
    finally:
        rebinding.close()

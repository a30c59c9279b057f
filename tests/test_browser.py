"""A real browser on the built demo site, opened from disk as an auditor would,
and served as `caseload serve` serves it (its Content-Security-Policy, its refusal
of other host names and of other origins).

Headless Debian Chromium, driven by the playwright package: the pages work, the
client finder works from the keyboard, axe-core finds nothing serious on any
kind of page in either colour scheme, and tables fit the screen and the paper.
Screenshots land in test-artifacts/screenshots/; `--update-golden` also
refreshes the ones the README shows (docs/screenshots/).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_AS_OF, ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
README_SHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}  # the README's screenshots, and the width tables fit
CHROMIUM_ARGS = [
    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    try:
        import axe_playwright_python.sync_playwright  # noqa: F401
    except ImportError:
        return "the axe-playwright-python package is not installed"
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
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
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
    # The roster has three live regions: the finder's, the filter's and the sorting's.
    assert tab.locator("#cl-finder-status[role=status]").inner_text() == "No client matches."
    assert tab.locator("#cl-finder-results li").count() == 0


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
        f'<script src="{base}assets/roster.js"></script>'
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
                          f"{base}assets/roster.js": blocked,
                          f"{base}search/search_index.js": blocked}
        assert tab.evaluate("typeof window.CASELOAD_CLIENTS") == "undefined"
        assert tab.evaluate("typeof window.CASELOAD_ROSTER") == "undefined"
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


# --- the client finder from the keyboard ---------------------------------------------


def test_finder_works_from_the_keyboard_and_announces_matches(site: Path, page: tuple) -> None:
    tab, requests = page
    tab.goto((site / "roster.html").as_uri())
    field = tab.get_by_role("searchbox", name="Find a client by id or name")
    assert field.count() == 1
    assert tab.get_by_role("search", name="Client finder").count() == 1
    status = tab.locator("#cl-finder-status[role=status]")
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


# --- accessibility: axe-core on every kind of page, in both colour schemes -----------

# axe-core ships inside the axe-playwright-python package and is put into the page
# by the test itself: nothing is fetched.
SCHEMES = {"light": "default", "dark": "slate"}
BLOCKING = ("serious", "critical")
INIT_AS_OF = date(2026, 11, 28)


def build_with_changes_and_pages(workspace: Path, site: Path, as_of: date, before: date,
                                 page_size: int, preview: int) -> None:
    """The site as `caseload snapshot` builds it after an earlier snapshot (so with a
    Changes page), with long lists cut short so that it has paged pages."""
    from generator.archive.changes import PAGE, compare, render_changes
    from generator.pages import render
    from generator.reading.exact import load_workspace
    from generator.reading.sitesettings import read_site_settings
    from generator.report.report import build_report, report_json
    from generator.site.build import build

    caseload = load_workspace(workspace)
    report = build_report(caseload, as_of)
    changes = compare(report_json(build_report(caseload, before)), report_json(report))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "ROSTER_PAGE_SIZE", page_size)
        patch.setattr(render, "ACTION_PREVIEW", preview)
        build(report, workspace, site, settings=read_site_settings(workspace),
              extra_pages={PAGE: render_changes(changes, workspace)})


@pytest.fixture(scope="module")
def demo_paged_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with a Changes page and its long lists in pages: the pages the
    ordinary demo build has none of (roster page 2, an action group, changes)."""
    site = tmp_path_factory.mktemp("demo-paged") / "site"
    build_with_changes_and_pages(ROOT, site, date.fromisoformat(DEMO_AS_OF),
                                 date(2026, 10, 28), page_size=20, preview=5)
    return site


@pytest.fixture(scope="module")
def init_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of a workspace `caseload init` writes, every kind of page in it."""
    from generator.init import init_workspace

    workspace = tmp_path_factory.mktemp("init") / "practice"
    init_workspace(workspace, INIT_AS_OF)
    site = workspace / "site"
    build_with_changes_and_pages(workspace, site, INIT_AS_OF, INIT_AS_OF - timedelta(days=30),
                                 page_size=2, preview=0)
    return site


@pytest.fixture(scope="module")
def packet_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packet site of the demo's audit request: its checklist, stamped member
    pages and print page (what the payer's auditor opens)."""
    from click.testing import CliRunner

    from generator.cli import cli

    site = tmp_path_factory.mktemp("packet") / "site"
    result = CliRunner().invoke(cli, ["audit", str(ROOT / "audits/summit-2026-11.yaml"),
                                      str(ROOT), "--as-of", DEMO_AS_OF,
                                      "--site-dir", str(site)])
    assert result.exit_code == 1, result.stderr  # the demo request has gaps
    return site


def packet_pages(site: Path) -> list[Path]:
    return [site / "index.html", site / "checklist.html", site / "clients/C-1042.html",
            site / "print.html"]


def first(site: Path, pattern: str) -> str:
    found = sorted(site.glob(pattern))
    assert found, f"no page {pattern} in {site}"
    return found[0].relative_to(site).as_posix()


# Every kind of page the ordinary demo build has; the paged build adds the rest.
DEMO_PAGES = ["index.html", "actions.html", "roster.html", "clients/C-1034.html",
              "clients/C-1021.html", "clients/C-1043.html",
              "payers/summit-health.html", "clinicians/lee.html", "discharged.html",
              "rules.html", "payers.html", "clinicians.html"]


def demo_pages(site: Path, paged: Path) -> list[Path]:
    more = ["roster-2.html", first(paged, "actions-*.html"), "changes.html"]
    return [site / name for name in DEMO_PAGES] + [paged / name for name in more]


def init_pages(site: Path) -> list[Path]:
    names = ["index.html", "actions.html", first(site, "actions-*.html"), "roster.html",
             "roster-2.html", first(site, "clients/*.html"), first(site, "payers/*.html"),
             first(site, "clinicians/*.html"), "discharged.html", "rules.html", "payers.html",
             "clinicians.html", "changes.html"]
    return [site / name for name in names]


@pytest.fixture(scope="module")
def schemes(browser: object) -> Iterator[dict[str, tuple[object, list[str]]]]:
    """One browser context per colour scheme, each at 1280 by 800: the computer's
    preference picks the scheme, as Material's palette (media queries) says."""
    contexts: dict[str, tuple[object, list[str]]] = {}
    for name in SCHEMES:
        context = browser.new_context(viewport=VIEWPORT, color_scheme=name)  # type: ignore[attr-defined]
        requests: list[str] = []
        context.on("request", lambda request, seen=requests: seen.append(request.url))
        context.route(lambda url: not url.startswith("file://"), lambda route: route.abort())
        contexts[name] = (context, requests)
    yield contexts
    for context, requests in contexts.values():
        context.close()  # type: ignore[attr-defined]
        assert [url for url in requests if not url.startswith("file://")] == []


def open_settled(tab: object, path: Path, scheme: str) -> None:
    """Open `path` and wait until the scheme is applied and no transition runs: axe
    measures colours as they are on screen, and Material fades them in."""
    tab.goto(path.as_uri())  # type: ignore[attr-defined]
    tab.wait_for_function("document.getAnimations().length === 0")  # type: ignore[attr-defined]
    assert tab.evaluate("document.body.dataset.mdColorScheme") == SCHEMES[scheme]  # type: ignore[attr-defined]


def start_axe(tab: object) -> None:
    """Start axe-core on the page without waiting for it, so that the pages of both
    schemes are checked at once (each context has its own renderer process)."""
    from axe_playwright_python.sync_playwright import Axe

    tab.evaluate(Axe().axe_script)  # type: ignore[attr-defined]
    tab.evaluate("() => { window.__caseloadAxe = axe.run(document, "  # type: ignore[attr-defined]
                 "{resultTypes: ['violations']}); }")


def blocking_violations(tab: object) -> list[str]:
    """What the axe run started on `tab` found that is serious or critical."""
    violations = tab.evaluate("() => window.__caseloadAxe.then(r => r.violations)")  # type: ignore[attr-defined]
    return [f"{v['id']} ({v['impact']}): {node['target']} {node['failureSummary']}"
            for v in violations if v["impact"] in BLOCKING for node in v["nodes"]]


@pytest.mark.parametrize("which", ["demo", "init", "packet"])
def test_every_kind_of_page_passes_axe_in_both_schemes(which: str, schemes: dict,
                                                       request: pytest.FixtureRequest) -> None:
    if which == "demo":
        pages = demo_pages(request.getfixturevalue("site"),
                           request.getfixturevalue("demo_paged_site"))
    elif which == "packet":
        pages = packet_pages(request.getfixturevalue("packet_site"))
    else:
        pages = init_pages(request.getfixturevalue("init_site"))
    tabs = {scheme: context.new_page() for scheme, (context, _) in schemes.items()}
    problems: dict[str, list[str]] = {}
    try:
        for path in pages:
            for scheme, tab in tabs.items():
                open_settled(tab, path, scheme)
                start_axe(tab)
            for scheme, tab in tabs.items():
                found = blocking_violations(tab)
                if found:
                    problems[f"{path.parent.name}/{path.name} ({scheme})"] = found
    finally:
        for tab in tabs.values():
            tab.close()
    assert problems == {}


def test_palette_toggle_switches_to_dark_and_back(site: Path, page: tuple) -> None:
    tab, _ = page  # a context of its own: the toggle's choice is kept for the next pages
    open_settled(tab, site / "roster.html", "light")
    tab.get_by_title("Switch to dark mode").click()
    assert tab.evaluate("document.body.dataset.mdColorScheme") == "slate"
    tab.goto((site / "clients" / "C-1034.html").as_uri())  # and the choice is kept
    assert tab.evaluate("document.body.dataset.mdColorScheme") == "slate"
    tab.get_by_title("Switch to light mode").click()
    assert tab.evaluate("document.body.dataset.mdColorScheme") == "default"


# --- fit: tables on a laptop screen, on a narrow one, and on paper --------------------

# Each table's scroll box (Material wraps every table in one): how much it holds
# and how much it shows.
TABLE_BOXES = """() => Array.from(document.querySelectorAll('.md-typeset__scrollwrap'))
  .map(box => ({scroll: box.scrollWidth, client: box.clientWidth}))"""


def test_no_report_table_scrolls_at_1280(site: Path, init_site: Path, packet_site: Path,
                                        schemes: dict) -> None:
    context, _ = schemes["light"]
    tab = context.new_page()
    too_wide = {}
    try:
        for path in [*(site / name for name in DEMO_PAGES), *init_pages(init_site),
                     *packet_pages(packet_site)]:
            tab.goto(path.as_uri())
            boxes = tab.evaluate(TABLE_BOXES)
            assert len(boxes) == tab.locator(".md-typeset table").count()
            wide = [box for box in boxes if box["scroll"] > box["client"]]
            if wide:
                too_wide[f"{path.parent.name}/{path.name}"] = wide
    finally:
        tab.close()
    assert too_wide == {}


def test_narrow_screen_scrolls_tables_in_their_box_with_the_client_column_kept(
        site: Path, page: tuple) -> None:
    tab, _ = page
    tab.set_viewport_size({"width": 800, "height": 800})
    tab.goto((site / "roster.html").as_uri())
    # The page itself does not scroll sideways: the table does, inside its box.
    assert tab.evaluate("document.documentElement.scrollWidth") <= 800
    box = tab.locator(".md-typeset__scrollwrap").first
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    for cell in ("thead th:first-child", "tbody tr:first-child > :first-child"):
        assert box.locator(cell).evaluate("c => getComputedStyle(c).position") == "sticky"
    client = box.locator("tbody tr:first-child > :first-child")
    name = box.locator("tbody tr:first-child > :nth-child(2)")
    name_before = name.bounding_box()["x"]
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
    edge = box.bounding_box()["x"]
    assert abs(client.bounding_box()["x"] - edge) <= 1  # pinned to the box's left edge
    assert name.bounding_box()["x"] < name_before - 20  # while the rest scrolled
    # and it is the client cell that shows there, over the scrolled columns.
    shown = tab.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('td').textContent",
                         [edge + 5, client.bounding_box()["y"] + 5])
    assert shown == "C-1001"


@pytest.mark.parametrize("name", ["roster.html", "actions.html", "discharged.html",
                                  "clients/C-1034.html", "payers/summit-health.html"])
def test_print_has_no_scroll_boxes_sticky_cells_or_cut_columns(site: Path, page: tuple,
                                                               name: str) -> None:
    tab, _ = page
    tab.set_viewport_size({"width": 718, "height": 1000})  # A4 less margins, at 96 dpi
    tab.emulate_media(media="print")
    tab.goto((site / name).as_uri())
    layout = tab.evaluate("""() => {
      const right = document.querySelector('.md-content__inner').getBoundingClientRect().right;
      return Array.from(document.querySelectorAll('.md-typeset table')).map(table => ({
        sticky: Array.from(table.querySelectorAll('th, td'))
          .filter(c => getComputedStyle(c).position === 'sticky').length,
        clipped: getComputedStyle(table.closest('.md-typeset__scrollwrap') || table)
          .overflowX !== 'visible',
        cut: table.getBoundingClientRect().right > right + 1,
      }));
    }""")
    assert layout, "no table"
    assert [row for row in layout if row["sticky"] or row["clipped"] or row["cut"]] == []


# --- sorting and filtering (caseload.js), from file:// --------------------------------------


@pytest.fixture(scope="module")
def demo_json() -> dict[str, Any]:
    """The report of the demo, as `check --format json` prints it: what the filters
    and the sorted columns are checked against."""
    from generator.reading.exact import load_workspace
    from generator.report.report import build_report, report_json

    return report_json(build_report(load_workspace(ROOT), date.fromisoformat(DEMO_AS_OF)))


def column(tab: object, number: int, table: str = "table") -> list[str]:
    """The text of column `number` (1-based) of each body row of the first `table`."""
    return tab.locator(table).first.locator(  # type: ignore[attr-defined]
        f"tbody tr > :nth-child({number})").all_inner_texts()


def header(tab: object, name: str) -> Any:
    """The header cell whose sort button is called `name` (of the first such table)."""
    return tab.locator("th").filter(  # type: ignore[attr-defined]
        has=tab.get_by_role("button", name=name, exact=True)).first  # type: ignore[attr-defined]


def roster_ids(tab: object) -> list[str]:
    return column(tab, 1)


def test_roster_sorts_by_a_date_column_and_a_number_column(site: Path, page: tuple,
                                                           demo_json: dict) -> None:
    tab, requests = page
    tab.goto((site / "roster.html").as_uri())
    clients = demo_json["clients"]
    assert roster_ids(tab) == [c["id"] for c in clients]  # as built: in id order
    assert header(tab, "Last session").get_attribute("aria-sort") is None

    # A date column: oldest first, the clients never seen last; equal days keep id order.
    tab.get_by_role("button", name="Last session", exact=True).click()
    dated = sorted((c for c in clients if c["last_session"]), key=lambda c: c["last_session"])
    never = [c for c in clients if not c["last_session"]]
    assert never, "the demo has a client with no attended session"
    assert roster_ids(tab) == [c["id"] for c in dated + never]
    assert header(tab, "Last session").get_attribute("aria-sort") == "ascending"
    # Again: latest first, and still the blanks last.
    tab.get_by_role("button", name="Last session", exact=True).click()
    latest = sorted(dated, key=lambda c: c["last_session"], reverse=True)
    assert roster_ids(tab) == [c["id"] for c in latest + never]
    assert header(tab, "Last session").get_attribute("aria-sort") == "descending"

    # A number column, by value: 3 before 29 before 100 (as text, "100" < "29" < "3").
    # Stable: clients of one age keep the order they had (latest session first).
    before = {c["id"]: c for c in clients}
    shown_before = [before[i] for i in roster_ids(tab)]
    tab.get_by_role("button", name="Plan age (days)", exact=True).click()
    ages = sorted((c for c in shown_before if c["plan_age_days"] is not None),
                  key=lambda c: c["plan_age_days"])
    no_plan = [c for c in shown_before if c["plan_age_days"] is None]
    assert len({c["plan_age_days"] for c in ages}) < len(ages)  # ties to keep
    assert roster_ids(tab) == [c["id"] for c in ages + no_plan]
    shown = [int(text) for text in column(tab, 8) if text != "—"]
    assert shown == sorted(shown) and len(set(map(len, map(str, shown)))) > 1
    assert header(tab, "Plan age (days)").get_attribute("aria-sort") == "ascending"
    assert header(tab, "Last session").get_attribute("aria-sort") is None  # one at a time

    # Text: the reader's order, ignoring case.
    tab.get_by_role("button", name="Name", exact=True).click()
    names = column(tab, 2)
    assert names == sorted(names, key=str.casefold)
    assert [url for url in requests if not url.startswith("file://")] == []


def test_the_action_list_sorts_each_group_by_its_due_date(site: Path, page: tuple) -> None:
    tab, _ = page
    tab.goto((site / "actions.html").as_uri())
    group = "table >> nth=2"  # update treatment plans: dated and overdue findings
    whens = column(tab, 5, group)
    assert len(whens) > 3
    tab.locator(group).get_by_role("button", name="By when", exact=True).click()
    dates = [text.removeprefix("overdue since ") for text in column(tab, 5, group)]
    dated = [d for d in dates if d != "now"]
    assert dated == sorted(dated) and dates[:len(dated)] == dated  # undated ("now") last
    # The other groups keep their order: each table sorts on its own.
    assert tab.locator("th[aria-sort]").count() == 1
    tab.locator(group).get_by_role("button", name="Finding", exact=True).click()
    badges = tab.locator(group).locator("tbody tr td:nth-child(3) .cl-severity").all_inner_texts()
    rank = {"error": 0, "warning": 1, "info": 2}
    assert [rank[b] for b in badges] == sorted(rank[b] for b in badges)


def test_sorting_works_from_the_keyboard(site: Path, page: tuple) -> None:
    tab, _ = page
    tab.goto((site / "roster.html").as_uri())
    tab.locator("#cl-filter-clear").focus()
    tab.keyboard.press("Tab")  # from the filter's last control to the first column
    assert tab.evaluate("document.activeElement.textContent") == "Client"
    for _ in range(5):
        tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.textContent") == "Last session"
    tab.keyboard.press("Enter")
    assert header(tab, "Last session").get_attribute("aria-sort") == "ascending"
    tab.keyboard.press("Space")
    assert header(tab, "Last session").get_attribute("aria-sort") == "descending"
    assert tab.get_by_role("status").filter(has_text="Sorted by").inner_text() == \
        "Sorted by Last session, descending."
    assert column(tab, 6)[0] == "2026-11-25"


def expected_ids(demo_json: dict, **facets: str | None) -> list[str]:
    """The clients the report says match: status, clinician and payer by value (None:
    without one), severity "error", "warning", "info" or None (no open findings)."""
    found = []
    for c in demo_json["clients"]:
        severities = {f["severity"] for f in c["findings"]}
        if all(c[facet] == value for facet, value in facets.items() if facet != "severity") \
                and ("severity" not in facets or (facets["severity"] in severities
                                                  if facets["severity"] else not severities)):
            found.append(c["id"])
    return found


def choose(tab: object, facet: str, value: str | None) -> None:
    """Pick an option of a filter list: by value, or (None) the one for "none"."""
    select = tab.locator(f"#cl-filter-{facet}")  # type: ignore[attr-defined]
    if value is None:
        select.select_option(index=select.locator("option").count() - 1)
        assert select.locator("option").last.get_attribute("value") == ""
    else:
        select.select_option(value)


def filter_count(tab: object) -> str:
    return tab.locator("#cl-filter-count").inner_text()  # type: ignore[attr-defined]


FACETS = {
    "status": ["discharged", "discharge_planned", "inactive", "at_risk", "active"],
    "clinician": ["lee", "okafor", "marsh"],
    "payer": ["cascade-medicaid", "northwind-ppo", "selfpay", "summit-health", None],
    "severity": ["error", "warning", "info", None],
}


def test_the_roster_filters_by_each_facet(site: Path, page: tuple, demo_json: dict) -> None:
    tab, _ = page
    tab.goto((site / "roster.html").as_uri())
    assert tab.get_by_role("search", name="Roster filter").is_visible()
    for facet, values in FACETS.items():
        for value in values:
            choose(tab, facet, value)
            expected = expected_ids(demo_json, **{facet: value})
            assert expected, f"the demo has no client for {facet} {value}"
            assert roster_ids(tab) == expected, (facet, value)
            noun = "client matches" if len(expected) == 1 else "clients match"
            assert filter_count(tab) == f"{len(expected)} {noun}, of 45 on the whole roster."
        tab.locator(f"#cl-filter-{facet}").select_option(index=0)
        assert len(roster_ids(tab)) == 45 and filter_count(tab) == ""


def test_all_inactive_clients_of_dana_lee(site: Path, page: tuple, demo_json: dict) -> None:
    tab, _ = page
    tab.goto((site / "roster.html").as_uri())
    tab.get_by_label("Status").select_option(label="Inactive")
    tab.get_by_label("Clinician").select_option(label="Dana Lee, LCSW")
    expected = expected_ids(demo_json, status="inactive", clinician="lee")
    assert roster_ids(tab) == expected == ["C-1042"]
    assert tab.get_by_role("status").filter(has_text="match").inner_text() == \
        "1 client matches, of 45 on the whole roster."
    # Narrowed further until nothing matches, then cleared.
    tab.get_by_label("Open findings").select_option(label="At least one info")
    assert roster_ids(tab) == []
    assert filter_count(tab) == "No client of the 45 on the roster matches."
    tab.get_by_role("button", name="Clear filters").click()
    assert roster_ids(tab) == [c["id"] for c in demo_json["clients"]]
    assert tab.get_by_label("Status").input_value() == ""


def test_a_matching_row_is_the_row_the_page_has(site: Path, page: tuple) -> None:
    # The filter draws rows in caseload.js; they must be the template's, cell for cell.
    tab, _ = page
    tab.goto((site / "roster.html").as_uri())
    # Each cell as the browser holds it (character references read), its key, its style.
    cells = """() => Array.from(document.querySelectorAll('table tbody tr')).map(tr =>
      Array.from(tr.cells).map(td => [td.innerHTML, td.getAttribute('data-sort'),
        td.style.cssText]))"""
    built = {row[0][0]: row for row in tab.evaluate(cells)}
    drawn = {}
    for status in FACETS["status"]:
        choose(tab, "status", status)
        drawn.update({row[0][0]: row for row in tab.evaluate(cells)})
    assert len(drawn) == 45
    for key, row in built.items():
        assert row == drawn[key], key


def test_the_filter_covers_every_page_of_the_roster(demo_paged_site: Path, page: tuple,
                                                   demo_json: dict) -> None:
    # Roster pages of 20: page 1 holds C-1001 to C-1020, and the filter still finds
    # the active clients of pages 2 and 3, 20 at a time.
    tab, _ = page
    tab.goto((demo_paged_site / "roster.html").as_uri())
    assert len(roster_ids(tab)) == 20
    pager = tab.locator("p", has_text="Pages:")
    assert pager.is_visible()
    active = expected_ids(demo_json, status="active")
    assert len(active) > 20 and active[-1] > "C-1040"
    choose(tab, "status", "active")
    assert roster_ids(tab) == active[:20]
    assert filter_count(tab) == f"{len(active)} clients match, of 45 on the whole roster; " \
        "1 to 20 are shown."
    assert not pager.is_visible()  # its pages are the whole roster's, not the matches'
    tab.get_by_role("button", name="Next clients").click()
    assert roster_ids(tab) == active[20:]
    assert filter_count(tab).endswith(f"; 21 to {len(active)} are shown.")
    assert tab.get_by_role("button", name="Next clients").is_disabled()
    # Sorting sorts every match, not only those shown.
    tab.get_by_role("button", name="Client", exact=True).click()
    tab.get_by_role("button", name="Client", exact=True).click()
    assert roster_ids(tab) == sorted(active, reverse=True)[:20]
    tab.get_by_role("button", name="Clear filters").click()
    assert pager.is_visible()
    # The page's own rows come back, in the order the column now asks for.
    assert roster_ids(tab) == [f"C-10{n:02d}" for n in range(20, 0, -1)]


def test_filters_work_from_the_keyboard(site: Path, page: tuple, demo_json: dict) -> None:
    tab, _ = page
    tab.goto((site / "roster.html").as_uri())
    tab.locator("#cl-finder-input").focus()
    tab.keyboard.press("Tab")  # the finder's field, then the filter's first list
    assert tab.evaluate("document.activeElement.id") == "cl-filter-status"
    tab.keyboard.press("ArrowDown")  # Any status -> Discharged
    assert roster_ids(tab) == expected_ids(demo_json, status="discharged")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.id") == "cl-filter-clinician"
    tab.keyboard.press("ArrowDown")  # Dana Lee
    assert roster_ids(tab) == expected_ids(demo_json, status="discharged", clinician="lee")
    for _ in range(3):
        tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.id") == "cl-filter-clear"
    tab.keyboard.press("Enter")
    assert len(roster_ids(tab)) == 45 and filter_count(tab) == ""


def test_without_javascript_the_pages_read_as_before(browser: object, site: Path) -> None:
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=False)  # type: ignore[attr-defined]
    try:
        tab = context.new_page()
        tab.goto((site / "roster.html").as_uri())
        assert not tab.locator("#cl-filter").is_visible()
        assert tab.locator("th button, [aria-sort]").count() == 0
        assert tab.locator("th").first.inner_text() == "Client"
        assert len(roster_ids(tab)) == 45
        tab.goto((site / "actions.html").as_uri())
        assert tab.locator("th button, [aria-sort]").count() == 0
    finally:
        context.close()


def test_a_sorted_and_filtered_roster_passes_axe(site: Path, schemes: dict) -> None:
    for scheme, (context, _) in schemes.items():
        tab = context.new_page()
        try:
            open_settled(tab, site / "roster.html", scheme)
            tab.get_by_label("Clinician").select_option("okafor")
            tab.get_by_role("button", name="Next appointment", exact=True).click()
            start_axe(tab)
            assert blocking_violations(tab) == [], scheme
        finally:
            tab.close()


def test_sorting_and_filtering_run_under_the_served_policy(served_tab: ServedTab,
                                                          demo_json: dict) -> None:
    tab, base = served_tab.tab, served_tab.base
    tab.goto(base + "roster.html")
    tab.get_by_label("Status").select_option("inactive")
    tab.get_by_label("Clinician").select_option("lee")
    assert roster_ids(tab) == expected_ids(demo_json, status="inactive", clinician="lee")
    tab.get_by_role("button", name="Plan due", exact=True).click()
    assert header(tab, "Plan due").get_attribute("aria-sort") == "ascending"
    for name in ("actions.html", "discharged.html", "clinicians/okafor.html",
                 "payers/summit-health.html"):
        tab.goto(base + name)
        tab.get_by_role("button", name="Client", exact=True).first.click()
        assert tab.locator("th[aria-sort=ascending]").count() == 1, name
    assert served_tab.violations == [], \
        f"Content-Security-Policy violations: {served_tab.violations}"
    assert [url for url in served_tab.requests if not url.startswith(base)] == []


def test_a_clinician_over_capacity_is_said_so_in_words(site: Path, page: tuple,
                                                      update_golden: bool) -> None:
    tab, _ = page
    tab.goto((site / "clinicians.html").as_uri())
    assert tab.get_by_text("Over capacity: Chidi Okafor, PsyD (by 1).").is_visible()
    tab.get_by_role("link", name="Chidi Okafor, PsyD").first.click()
    tab.wait_for_url("**/clinicians/okafor.html")
    over = tab.locator("p", has_text="against a capacity of 11").locator(".cl-over")
    assert over.inner_text() == "over capacity by 1"  # words, not only a colour
    capacity = tab.locator("table", has_text="Once the planned discharges are done")
    assert capacity.locator("tbody tr").all_inner_texts() == [
        "Now\t—\tover capacity by 1",
        "Once the planned discharges are done\tC-1009, C-1021\t1 spot open",
        "Once the inactive clients are discharged too\tC-1024\t2 spots open",
    ]
    screenshot(tab, "clinician", update_golden)
    capacity.get_by_role("link", name="C-1024").click()
    tab.wait_for_url("**/clients/C-1024.html")
    assert heading(tab) == "C-1024: Tamsin Greer"

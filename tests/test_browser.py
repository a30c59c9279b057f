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
    assert tab.get_by_role("status").inner_text() == "No client matches."
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


def first(site: Path, pattern: str) -> str:
    found = sorted(site.glob(pattern))
    assert found, f"no page {pattern} in {site}"
    return found[0].relative_to(site).as_posix()


# Every kind of page the ordinary demo build has; the paged build adds the rest.
DEMO_PAGES = ["index.html", "actions.html", "roster.html", "clients/C-1034.html",
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


@pytest.mark.parametrize("which", ["demo", "init"])
def test_every_kind_of_page_passes_axe_in_both_schemes(which: str, schemes: dict,
                                                       request: pytest.FixtureRequest) -> None:
    if which == "demo":
        pages = demo_pages(request.getfixturevalue("site"),
                           request.getfixturevalue("demo_paged_site"))
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


def test_no_report_table_scrolls_at_1280(site: Path, init_site: Path, schemes: dict) -> None:
    context, _ = schemes["light"]
    tab = context.new_page()
    too_wide = {}
    try:
        for path in [*(site / name for name in DEMO_PAGES), *init_pages(init_site)]:
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

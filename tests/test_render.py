"""Rendering pieces: escaping, ids in paths, page names for free-text clinicians, long
lists cut into pages, and a client page that shows what the rules decided."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import markdown
import pytest
from markupsafe import Markup

from generator.model.records import Caseload, Client, Session, Source, TreatmentPlan
from generator.pages.escape import block, inline
from generator.pages.render import ClientPages, client_url, page_slug, safe_id
from generator.report.report import build_report


@pytest.mark.parametrize("text", [
    "<b>x</b>", "**x**", "[a](javascript:b)", "| a | b |", "# h", "{{ 7*7 }}", "`c`",
    "![i](http://e/x.png)", "&amp;", "x\\*y", "<https://e.example>",
])
def test_inline_text_survives_markdown_as_text(text: str) -> None:
    html = markdown.markdown(f"Note: {inline(text)}", extensions=["tables", "attr_list"])
    assert html.count("<") == 2  # only <p> and </p>
    assert "href" not in html and "src" not in html and "javascript:" not in html


def test_none_and_markup() -> None:
    assert inline(None) == "—"
    assert inline(Markup("<b>ok</b>")) == "<b>ok</b>"


def test_block_keeps_lines_and_drops_control_characters() -> None:
    assert block("one\n\ntwo\x00") == "one<br>two"


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/b", "", "-x", "a b", "x" * 65, "C-1\n"])
def test_ids_never_make_paths_outside_the_site(bad: str) -> None:
    with pytest.raises(ValueError):
        safe_id(bad)
    with pytest.raises(ValueError):
        client_url(bad)


def test_free_text_clinician_gets_a_digest_page_name() -> None:
    assert page_slug("lee") == "lee"
    slug = page_slug("../Dr. Smith")
    assert slug.startswith("x-") and "/" not in slug and "." not in slug
    assert slug == page_slug("../Dr. Smith")


def test_long_lists_are_split_into_pages(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from generator.cli import cli
    from generator.pages import render

    monkeypatch.setattr(render, "ROSTER_PAGE_SIZE", 4)
    monkeypatch.setattr(render, "ACTION_PREVIEW", 3)
    (tmp_path / "content").mkdir()
    for n in range(9):  # nine clients with no plan and no session: PLAN-MISSING and INACTIVE
        (tmp_path / "content" / f"c{n}.yaml").write_text(
            f"id: C-{n}\nname: Client {n}\nintake_date: 2026-01-01\n"
            "payer: acme\nclinician: lee\n", encoding="utf-8")
    for n in range(9, 14):  # and five discharged
        (tmp_path / "content" / f"c{n}.yaml").write_text(
            f"id: C-{n}\nname: Client {n}\nintake_date: 2026-01-01\n"
            "payer: acme\nclinician: lee\ndischarge: {date: 2026-02-01, reason: other}\n",
            encoding="utf-8")
    (tmp_path / "site_config" / "payers").mkdir(parents=True)
    (tmp_path / "site_config" / "payers" / "acme.yaml").write_text("name: Acme\n")
    (tmp_path / "mkdocs.yml").write_text(
        (Path(__file__).parents[1] / "mkdocs.yml").read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(tmp_path), "--as-of", "2026-11-28"])
    assert result.exit_code == 0, result.stderr
    site = tmp_path / "site"
    assert sorted(p.name for p in site.glob("roster*.html")) == [
        "roster-2.html", "roster-3.html", "roster-4.html", "roster.html"]
    assert sorted(p.name for p in site.glob("actions-reach-out*.html")) == [
        "actions-reach-out-2.html", "actions-reach-out-3.html", "actions-reach-out.html"]
    actions = (site / "actions.html").read_text(encoding="utf-8")
    assert actions.count('href="clients/') == 9  # three previews in each of three groups
    assert 'href="actions-reach-out.html"' in actions
    roster = (site / "roster.html").read_text(encoding="utf-8")
    assert 'href="roster-2.html"' in roster and 'href="roster-3.html"' in roster
    # Every long list, not only the roster: 14 clients of one payer and one clinician
    # on four pages each, five discharged on two.
    assert sorted(p.name for p in site.glob("discharged*.html")) == [
        "discharged-2.html", "discharged.html"]
    for folder, stem in (("payers", "acme"), ("clinicians", "lee")):
        pages = sorted(p.name for p in (site / folder).glob(f"{stem}*.html"))
        assert pages == [f"{stem}.html"] + [f"{stem}.page-{n}.html" for n in (2, 3, 4)]
        first = (site / folder / f"{stem}.html").read_text(encoding="utf-8")
        assert first.count('href="../clients/') == 4
        assert f'href="{stem}.page-4.html"' in first
        assert "14 clients" in first  # the count is the whole list's
        last = (site / folder / f"{stem}.page-4.html").read_text(encoding="utf-8")
        assert "page 4 of 4" in last and last.count('href="../clients/') == 2


# --- the client page shows what the rules decided (bug 3) ---------------------------

AS_OF = date(2026, 11, 28)


def _client_page(sessions: tuple[Session, ...], policy: dict[str, Any] | None = None) -> str:
    client = Client(id="C-1", name="Ada Example", intake_date=date(2026, 1, 5),
                    source=Source("content/c.yaml", 1), sessions=sessions,
                    treatment_plans=(TreatmentPlan(date(2026, 10, 30)),))
    caseload = Caseload(practice_name="Practice", clinicians=None,
                        practice_policy=dict(policy or {}), payers={}, clients=(client,))
    return ClientPages.of(build_report(caseload, AS_OF), None).render("C-1")


def _follow_up(page: str, day: str) -> list[str]:
    """The follow-up cells of the session rows dated `day`."""
    return re.findall(rf"<tr><td>{day}</td><td>[^<]*</td><td>([^<]*)</td>", page)


def test_a_session_scheduled_on_the_as_of_date_is_shown_as_upcoming() -> None:
    # The rules count it as an upcoming appointment (no INACTIVE, no NO-UPCOMING);
    # the page said nothing about it.
    sessions = (Session(date(2026, 11, 1), "attended"), Session(AS_OF, "scheduled"),
                Session(date(2026, 11, 20), "scheduled"), Session(date(2026, 12, 5), "scheduled"),
                Session(date(2026, 12, 12), "cancelled"))
    page = _client_page(sessions)
    assert _follow_up(page, "2026-11-28") == ["upcoming"]
    assert _follow_up(page, "2026-12-05") == ["upcoming"]
    assert _follow_up(page, "2026-11-20") == ["never marked held or missed"]
    assert _follow_up(page, "2026-11-01") == [""]
    assert _follow_up(page, "2026-12-12") == [""]  # cancelled: not an appointment


def test_every_session_the_rules_count_as_upcoming_is_shown_so() -> None:
    # An outcome recorded ahead of its day is still an upcoming appointment to the rules.
    page = _client_page((Session(date(2026, 11, 1), "attended"),
                         Session(date(2026, 12, 5), "no_show")))
    assert _follow_up(page, "2026-12-05") == ["upcoming"]


@pytest.mark.parametrize(("window", "start"), [
    (1, "2026-11-28"), (90, "2026-08-31"), (739_947, "0001-01-02"), (739_948, "0001-01-01"),
    (739_949, "0001-01-01"),
    (10**7, "0001-01-01"), (10**12, "0001-01-01"),
])
def test_the_no_show_window_shown_is_the_one_the_rules_use(window: int, start: str) -> None:
    sessions = (Session(date(1, 1, 1), "no_show"), Session(date(2026, 11, 1), "no_show"),
                Session(AS_OF, "no_show"))
    policy = {"attendance.no_show_window_days": window}
    page = _client_page(sessions, policy)
    assert f"In the {window}-day window {start} to 2026-11-28:" in page
    counted = sum(1 for s in sessions if s.date >= date.fromisoformat(start))
    assert f"{counted} no-show, " in page


@pytest.mark.parametrize("counts", [True, False])
def test_a_late_cancellation_says_when_it_counts_as_a_no_show(counts: bool) -> None:
    page = _client_page((Session(date(2026, 11, 2), "late_cancel"),
                         Session(date(2026, 11, 3), "no_show")),
                        {"attendance.late_cancel_counts_as_no_show": counts})
    late = re.findall(r"<tr><td>2026-11-02</td><td>([^<]*)</td>", page)
    assert late == (["late cancel &#40;counts as a no&#45;show&#41;"] if counts
                    else ["late cancel"])
    assert re.findall(r"<tr><td>2026-11-03</td><td>([^<]*)</td>", page) == ["no show"]


# --- (v2) the client page shows each note's state and each plan's signatures ------------

NOTES_FROM_NOVEMBER = {"documentation.note_within_days": 3,
                       "documentation.notes_checked_from": date(2026, 11, 1)}


def _progress_notes(page: str) -> dict[str, str]:
    """The progress-note cell of each session row, by date."""
    return dict(re.findall(
        r"<tr><td>([0-9-]+)</td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td><td>", page))


def test_each_note_state_the_rules_read_is_on_the_client_page() -> None:
    sessions = (
        Session(date(2026, 10, 20), "attended"),  # before notes are checked
        Session(date(2026, 11, 2), "attended", note_signed=date(2026, 11, 4)),  # on time
        Session(date(2026, 11, 9), "attended", note_signed=date(2026, 11, 16)),  # late
        Session(date(2026, 11, 16), "attended", note_signed=True),  # signed, day unknown
        Session(date(2026, 11, 20), "attended"),  # missing: due 11-23
        Session(date(2026, 11, 25), "attended"),  # not yet: due 11-28, the as-of date
        Session(date(2026, 11, 26), "no_show"),  # no note to check
        Session(date(2026, 11, 27), "attended", note_signed=date(2026, 11, 30)),  # after A
        Session(date(2026, 12, 5), "scheduled"),
    )
    notes = _progress_notes(_client_page(sessions, NOTES_FROM_NOVEMBER))
    assert notes == {
        "2026-12-05": "",
        "2026-11-27": "not signed yet&#58; due by 2026&#45;11&#45;30",
        "2026-11-26": "",
        "2026-11-25": "not signed yet&#58; due by 2026&#45;11&#45;28",
        "2026-11-20": "missing&#58; due by 2026&#45;11&#45;23",
        "2026-11-16": "signed &#40;day not recorded&#41;",
        "2026-11-09": "signed 2026&#45;11&#45;16&#58; late&#44; due by 2026&#45;11&#45;12",
        "2026-11-02": "signed 2026&#45;11&#45;04",
        "2026-10-20": "not tracked",
    }


def test_the_note_states_agree_with_the_note_findings() -> None:
    sessions = (Session(date(2026, 11, 20), "attended"),
                Session(date(2026, 11, 9), "attended", note_signed=date(2026, 11, 16)))
    page = _client_page(sessions, NOTES_FROM_NOVEMBER)
    assert "NOTE&#45;MISSING" in page and "NOTE&#45;LATE" in page
    assert "missing&#58;" in page and "late&#44;" in page


def test_without_note_tracking_the_page_has_no_progress_note_column() -> None:
    page = _client_page((Session(date(2026, 11, 2), "attended", note_signed=True),))
    assert "Progress note" not in page
    assert "<th scope=\"col\">Note</th>" in page


def _plan_page(plans: tuple[TreatmentPlan, ...], policy: dict[str, Any] | None = None) -> str:
    client = Client(id="C-1", name="Ada Example", intake_date=date(2026, 1, 5),
                    source=Source("content/c.yaml", 1),
                    sessions=(Session(date(2026, 11, 20), "attended"),
                              Session(date(2026, 12, 4), "scheduled")),
                    treatment_plans=plans)
    caseload = Caseload(practice_name="Practice", clinicians=None,
                        practice_policy=dict(policy or {}), payers={}, clients=(client,))
    return ClientPages.of(build_report(caseload, AS_OF), None).render("C-1")


def _signature_cells(page: str) -> list[str]:
    return re.findall(r"<tr><td>[0-9-]+</td><td>[^<]*</td><td>([^<]*)</td><td>[^<]*</td></tr>",
                      page.split("## Treatment plans")[1].split("## Outreach log")[0])


def test_plan_signatures_are_shown_with_what_a_required_plan_lacks() -> None:
    plans = (TreatmentPlan(date(2026, 6, 1)),
             TreatmentPlan(date(2026, 9, 1), provider_signed_on=date(2026, 9, 2),
                           client_signature_waived="Client declined to sign"),
             TreatmentPlan(date(2026, 11, 10), provider_signed_on=date(2026, 11, 10),
                           client_signed_on=date(2026, 11, 12)))
    page = _plan_page(plans, {"documentation.plan_signatures_required": True})
    assert _signature_cells(page) == [
        "provider signed 2026&#45;11&#45;10; client signed 2026&#45;11&#45;12",
        "provider signed 2026&#45;09&#45;02; client signature waived: Client declined to sign",
        "lacks the provider&#39;s signature and the client&#39;s signature &#40;or a recorded "
        "waiver&#41;",
    ]


def test_signatures_given_but_not_required_are_shown_without_a_verdict() -> None:
    plans = (TreatmentPlan(date(2026, 6, 1)),
             TreatmentPlan(date(2026, 11, 10), provider_signed_on=date(2026, 11, 10)))
    assert _signature_cells(_plan_page(plans)) == [
        "provider signed 2026&#45;11&#45;10", "none recorded"]


def test_no_signature_column_where_none_is_given_or_required() -> None:
    page = _plan_page((TreatmentPlan(date(2026, 11, 10)),))
    assert "Signatures" not in page


def _overview(policy: dict[str, Any] | None) -> str:
    from generator.pages.render import render_pages

    client = Client(id="C-1", name="Ada Example", intake_date=date(2026, 1, 5),
                    source=Source("content/c.yaml", 1),
                    sessions=(Session(date(2026, 11, 20), "attended"),
                              Session(date(2026, 12, 4), "scheduled")),
                    treatment_plans=(TreatmentPlan(date(2026, 11, 1)),))
    caseload = Caseload(practice_name="Practice", clinicians=None,
                        practice_policy=dict(policy or {}), payers={}, clients=(client,))
    pages = {p.path: p.content for p in render_pages(build_report(caseload, AS_OF), None)}
    return str(pages["index.md"])


def test_the_overview_counts_the_documentation_findings_where_they_are_checked() -> None:
    overview = _overview({"documentation.note_within_days": 3,
                          "documentation.plan_signatures_required": True})
    section = overview.split("## Documentation")[1].split("| Status |")[0]
    assert ("progress notes are tracked for 1 client, and signed treatment plans are "
            "required for 1 client.") in section
    rows = re.findall(r"\| <code>([^<]+)</code> \| .* \| (\d+) \|", section)
    assert rows == [("NOTE&#45;MISSING", "1"), ("NOTE&#45;LATE", "0"),
                    ("PLAN&#45;UNSIGNED", "1")]


def test_a_workspace_that_checks_no_documentation_has_no_documentation_section() -> None:
    assert "## Documentation" not in _overview(None)


def test_sessions_the_practice_cancelled_have_their_own_bar_in_the_chart() -> None:
    from generator.pages.charts import attendance
    from generator.rules.engine import evaluate
    from tests.test_rules import make_policy

    def chart(*statuses: str) -> str:
        client = Client(id="C-1", name="Ada Example", intake_date=date(2026, 1, 5),
                        source=Source("content/c.yaml", 1),
                        sessions=tuple(Session(date(2026, 11, 2 + n), status)
                                       for n, status in enumerate(statuses)))
        return attendance((evaluate(client, make_policy(), AS_OF),), AS_OF)

    practice = chart("attended", "clinician_cancelled")
    assert ">clinician cancelled</text>" in practice and 'width="710"' in practice
    assert practice.count('fill="#5d4037"') == 2  # its bar and its legend key
    plain = chart("attended", "cancelled")
    assert "clinician cancelled" not in plain and 'width="580"' in plain

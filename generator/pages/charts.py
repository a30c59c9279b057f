"""Static SVG charts, written at build time: no JavaScript, no fonts, no network.

Three small charts do not justify a plotting dependency; these are plain bars
and ticks, and every label goes through XML escaping.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from generator.rules.engine import STATUSES, Evaluation

if TYPE_CHECKING:
    from generator.pages.render import Site

COLOURS = {
    "active": "#2e7d32",
    "at_risk": "#f9a825",
    "inactive": "#8e24aa",
    "discharge_planned": "#1565c0",
    "discharged": "#757575",
    "attended": "#2e7d32",
    "no_show": "#c62828",
    "late_cancel": "#ef6c00",
    "cancelled": "#9e9e9e",
    "clinician_cancelled": "#5d4037",
}
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" {FONT}>\n'
        f"<title>{escape(title)}</title>\n" + "\n".join(body) + "\n</svg>\n"
    )


def status_mix(counts: dict[str, int]) -> str:
    total = sum(counts.values()) or 1
    width, bar = 560, 360
    body = []
    for row, status in enumerate(STATUSES):
        y = 10 + row * 26
        n = counts.get(status, 0)
        length = round(bar * n / total)
        body.append(f'<text x="0" y="{y + 13}">{escape(status.replace("_", " "))}</text>')
        body.append(f'<rect x="130" y="{y}" width="{length}" height="18" '
                    f'fill="{COLOURS[status]}"/>')
        body.append(f'<text x="{136 + length}" y="{y + 13}">{n}</text>')
    return _svg(width, 10 + len(STATUSES) * 26, "Clients by status", body)


def plan_age(site: Site) -> str:
    """Each client's treatment-plan age as a tick, against its payer's interval."""
    rows: list[tuple[str | None, str]] = []
    if any(e.client.payer is None for e in site.evaluations):
        rows.append((None, "No payer"))
    rows += [(p, site.payer_name(p)) for p in site.payer_ids]
    open_cases = [e for e in site.evaluations if not e.discharged]
    longest = max([e.plan_age_days or 0 for e in open_cases]
                  + [e.policy["treatment_plan.review_interval_days"] for e in open_cases]
                  + [90])
    scale = 380 / longest
    body = []
    for row, (payer_id, name) in enumerate(rows):
        y = 20 + row * 40
        members = [e for e in open_cases if e.client.payer == payer_id]
        body.append(f'<text x="0" y="{y + 14}">{escape(_clip(name))}</text>')
        body.append(f'<line x1="170" y1="{y + 20}" x2="{170 + 380}" y2="{y + 20}" '
                    'stroke="#bdbdbd"/>')
        if members:
            interval = members[0].policy["treatment_plan.review_interval_days"]
            x = 170 + round(interval * scale)
            body.append(f'<line x1="{x}" y1="{y}" x2="{x}" y2="{y + 26}" stroke="#c62828" '
                        'stroke-width="2"/>')
            body.append(f'<text x="{x + 3}" y="{y + 6}" fill="#c62828">{interval} d</text>')
        for e in members:
            if e.plan_age_days is None:
                continue
            x = 170 + round(e.plan_age_days * scale)
            colour = "#c62828" if e.plan_overdue else "#2e7d32"
            body.append(f'<line x1="{x}" y1="{y + 12}" x2="{x}" y2="{y + 28}" '
                        f'stroke="{colour}" stroke-width="2"/>')
    height = 30 + max(len(rows), 1) * 40
    body.append(f'<text x="170" y="{height - 4}">0 days</text>')
    body.append(f'<text x="510" y="{height - 4}">{longest} days</text>')
    return _svg(580, height, "Treatment plan age against each payer's review interval", body)


def attendance(evaluations: tuple[Evaluation, ...], as_of: date) -> str:
    """Recorded sessions per month over the last 12 months, stacked by outcome."""
    months = _last_months(as_of, 12)
    counts: Counter[tuple[str, str]] = Counter()
    for e in evaluations:
        for s in e.recorded:
            key = f"{s.date.year:04d}-{s.date.month:02d}"
            if key in months:
                counts[(key, s.status)] += 1
    outcomes: tuple[str, ...] = ("attended", "no_show", "late_cancel", "cancelled")
    # (v2) Sessions the practice cancelled get a bar and a legend entry of their own
    # when there are any; without them the chart is as it always was.
    if any(counts[(month, "clinician_cancelled")] for month in months):
        outcomes += ("clinician_cancelled",)
    tallest = max([sum(counts[(m, o)] for o in outcomes) for m in months] + [1])
    body = []
    for column, month in enumerate(months):
        x, top = 40 + column * 44, 190
        for outcome in outcomes:
            height = round(160 * counts[(month, outcome)] / tallest)
            if height:
                top -= height
                body.append(f'<rect x="{x}" y="{top}" width="30" height="{height}" '
                            f'fill="{COLOURS[outcome]}"/>')
        body.append(f'<text x="{x}" y="206" font-size="10">{month}</text>')
    body.append(f'<text x="0" y="30">{tallest}</text>')
    for row, outcome in enumerate(outcomes):
        body.append(f'<rect x="{40 + row * 130}" y="222" width="12" height="12" '
                    f'fill="{COLOURS[outcome]}"/>')
        body.append(f'<text x="{56 + row * 130}" y="232">{outcome.replace("_", " ")}</text>')
    width = max(580, 60 + 130 * len(outcomes))
    return _svg(width, 244, "Sessions per month over the last 12 months", body)


def _last_months(as_of: date, count: int) -> list[str]:
    year, month = as_of.year, as_of.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def _clip(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

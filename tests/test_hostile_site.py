"""Hostile text in every field of the model, built into a site: all of it shows as
text, none of it becomes markup, and nothing is loaded from anywhere."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.site.references import external_references
from tests.hostile import HOSTILE, MARKERS

AS_OF = "2026-11-28"
LIVE_TAGS = {"script", "img", "iframe", "object", "embed", "form", "base", "svg", "style",
             "link", "meta", "input"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# Markup that Markdown would make of the corpus, were it not escaped.
MADE_BY_MARKDOWN = (
    ("strong", "XSS17"), ("em", "under"), ("del", "strike"), ("h1", "XSS15"),
    ("h2", "XSS16"), ("code", "indented code block"), ("code", "code"),
    ("li", "a list item"), ("td", "XSS14"), ("script", "alert"), ("style", "evil"),
    ("p", "XSS28 admonition"),
)
HOSTILE_URL = re.compile(r"javascript:|data:text|evil\.example|^x$", re.I)


# Strings 0, 1, 2 and 6 also name the practice, a payer and the clinicians, which a
# redacted site still shows; every other marker comes from client data alone.
CLIENT_ONLY = tuple(m for m in MARKERS if m not in ("XSS01", "XSS02", "XSS03", "XSS07"))


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def hostile_workspace(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site_config" / "payers").mkdir(parents=True)
    (root / "site_config" / "practice.yaml").write_text(
        f"name: {q(HOSTILE[0])}\nclinicians:\n  lee: {q(HOSTILE[1])}\n  kim: {q(HOSTILE[6])}\n",
        encoding="utf-8")
    (root / "site_config" / "payers" / "evil.yaml").write_text(
        f"name: {q(HOSTILE[2])}\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        (Path(__file__).parents[1] / "mkdocs.yml").read_text(encoding="utf-8"), encoding="utf-8")
    for n, text in enumerate(HOSTILE):
        # A name is one line (only free text may hold line breaks): the same text, on one.
        discharged = n % 2 == 0
        (root / "content" / f"c{n:02d}.yaml").write_text(f"""\
id: C-{n:02d}
name: {q(" ".join(text.split()))}
intake_date: 2026-01-05
payer: evil
clinician: {"lee" if n % 3 else "kim"}
x_note: {q(text)}
sessions:
  - {{date: 2026-10-01, status: attended, note: {q(text)}}}
  - {{date: 2026-11-20, status: no_show, note: {q(text)}}}
  - {{date: 2026-11-21, status: scheduled, note: {q(text)}}}
treatment_plans:
  - {{date: 2026-02-01, goals: [{q(text)}, {q(text)}], note: {q(text)}}}
contacts:
  - {{date: 2026-10-20, method: phone, outcome: {q(text)}, note: {q(text)}}}
discharge:
  {"date: 2026-11-01" if discharged else "planned_on: 2026-12-15"}
  reason: other
  summary: {q(text)}
""", encoding="utf-8")
    return root


class Elements(HTMLParser):
    """Every element with its attributes, and the text of each page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.texts_by_tag: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.open:
            self.texts_by_tag.append((self.open[-1], data))


def parse(path: Path) -> Elements:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = hostile_workspace(tmp_path_factory.mktemp("hostile"))
    result = CliRunner().invoke(cli, ["build", str(root), "--as-of", AS_OF])
    assert result.exit_code == 0, result.stderr
    return root / "site"


def test_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 30


def test_no_live_markup_anywhere(site: Path) -> None:
    problems = []
    for page in sorted(site.rglob("*.html")):
        parsed = parse(page)
        for tag, attrs in parsed.elements:
            for name, value in attrs.items():
                if name.startswith("on"):
                    problems.append(f"{page.name}: <{tag} {name}>")
                if name in ("href", "src", "action", "data", "content") \
                        and HOSTILE_URL.search(value):
                    problems.append(f"{page.name}: <{tag} {name}={value!r}>")
            if tag in LIVE_TAGS and any("XSS" in v for v in attrs.values()):
                problems.append(f"{page.name}: live <{tag}> from caseload text")
        for tag, data in parsed.texts_by_tag:
            for made_tag, start in MADE_BY_MARKDOWN:
                if tag == made_tag and data.strip().startswith(start):
                    problems.append(f"{page.name}: <{tag}> holds {data.strip()[:40]!r}")
        if any(cls for tag, attrs in parsed.elements for cls in [attrs.get("class", "")]
               if "admonition danger" in cls):
            problems.append(f"{page.name}: an admonition made from caseload text")
    assert problems == []


def test_every_hostile_string_shows_as_text(site: Path) -> None:
    for n, text in enumerate(HOSTILE):
        shown = " ".join("".join(parse(site / "clients" / f"C-{n:02d}.html").text).split())
        expected = " ".join(text.split())
        # Each field that holds the string shows it whole: name, notes, goals, outcome…
        assert shown.count(expected) >= 6, f"C-{n:02d}: {expected[:40]!r} not shown as text"


def test_nothing_is_loaded_from_anywhere(site: Path) -> None:
    assert external_references(site) == []


def test_practice_payer_and_clinician_names_are_text(site: Path) -> None:
    index = " ".join("".join(parse(site / "index.html").text).split())
    assert HOSTILE[0] in index
    payer = " ".join("".join(parse(site / "payers" / "evil.html").text).split())
    assert HOSTILE[2] in payer
    clinician = " ".join("".join(parse(site / "clinicians" / "lee.html").text).split())
    assert " ".join(HOSTILE[1].split()) in clinician


def test_redacted_site_holds_no_name_or_free_text(tmp_path: Path) -> None:
    root = hostile_workspace(tmp_path)
    result = CliRunner().invoke(cli, ["build", str(root), "--as-of", AS_OF, "--redact"])
    assert result.exit_code == 0, result.stderr
    leaked = []
    for path in (root / "site").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".js", ".json", ".svg"):
            data = path.read_text(encoding="utf-8", errors="replace")
            leaked += [f"{path.name}: {m}" for m in CLIENT_ONLY if m in data]
    assert leaked == []

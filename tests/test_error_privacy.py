"""Input errors never repeat clinical free text.

An error message travels further than the caseload: a terminal scrollback, a CI
log, a screenshot sent for help. So a clinical-looking sentence is put in every
field of every kind of workspace file, in every wrong way (wrong type, wrong
status, bad date, bad id, unknown key with a long value, the sentence as a key,
a duplicate key inside an `x_` value...), and each time the command must exit 2
with only `FILE:LINE: ...` lines, none holding any word of the sentence. A type
error names the type it found; a value is quoted only when it is short (a
status, a date, an id), and the sentences here are not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import cli
from generator.model.policy import SECTIONS
from generator.model.schema import CLIENT, LEDGER_ENTRY, Record
from generator.wording import quotable, quoted

# Every word is one no message of caseload's uses.
SENTENCE = "Marguerite disclosed suicidal ideation, overdose, custody hearing"
WORDS = ("marguerite", "disclosed", "suicidal", "ideation", "overdose", "custody", "hearing")
# The same story over several lines, as a block of text would hold it.
LINES = "Marguerite disclosed suicidal ideation\nafter the custody hearing;\noverdose plan"
AS_OF = "2026-11-28"
ERROR_LINE = re.compile(r"^[A-Za-z0-9_./-]+:[0-9]+: \S")
SUMMARY = re.compile(r"^caseload: [0-9]+ input errors?; nothing was written\.$")

SESSION = {"date": "2026-11-04", "status": "attended", "note": "Fine."}
PLAN = {"date": "2026-10-01", "goals": ["Sleep"], "note": "Reviewed."}
CONTACT = {"date": "2026-11-12", "method": "phone", "outcome": "Voicemail"}
DISCHARGE = {"date": "2026-11-20", "reason": "goals_met", "summary": "Done.",
             "client_participated": True}


def a_client() -> dict[str, Any]:
    return {"id": "C-1", "name": "Jordan Avery", "intake_date": "2026-01-05",
            "payer": "summit", "clinician": "kim", "member_id": "0012",
            "sessions": [dict(SESSION)], "treatment_plans": [dict(PLAN)],
            "contacts": [dict(CONTACT)], "discharge": dict(DISCHARGE)}


def a_practice() -> dict[str, Any]:
    return {"name": "Calm Practice", "clinicians": {"kim": "Kim Lee",
                                                   "lee": {"name": "Dana Lee", "capacity": 3}},
            "treatment_plan": {"review_interval_days": 90},
            "attendance": {"late_cancel_counts_as_no_show": True},
            "documentation": {"notes_checked_from": "2026-01-01"}}


def a_payer() -> dict[str, Any]:
    return {"name": "Summit Health", "treatment_plan": {"review_interval_days": 180}}


def a_request() -> dict[str, Any]:
    return {"payer": "summit", "requested_on": "2026-11-20", "business_days": 10,
            "holidays": ["2026-11-26"], "period": {"from": "2026-05-01", "to": "2026-10-31"},
            "members": ["C-1"]}


def a_ledger() -> dict[str, Any]:
    return {"source": "export", "sessions": [{"client": "C-2", **SESSION}]}


FILES = {"client": "content/c.yaml", "ledger": "content/imported/l.yaml",
         "practice": "site_config/practice.yaml", "payer": "site_config/payers/summit.yaml",
         "request": "audits/request.yaml"}


def documents() -> dict[str, Any]:
    second = {"id": "C-2", "name": "Sam Lee", "intake_date": "2026-01-05"}
    return {"client": a_client(), "ledger": a_ledger(), "practice": a_practice(),
            "payer": a_payer(), "request": a_request(), "second": second}


def write(root: Path, docs: dict[str, Any], raw: dict[str, str]) -> None:
    paths = {**FILES, "second": "content/c2.yaml"}
    for name, path in paths.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        text = raw.get(name)
        if text is None:
            text = yaml.safe_dump(docs[name], sort_keys=False, allow_unicode=True, width=60)
        target.write_text(text, encoding="utf-8")


# --- the wrong ways, each a change to one document ------------------------------------

# Ways to get a value wrong whatever field it is in; a field's own kind decides
# which of them are wrong there (a sentence is fine in a `note`).
WRONG_VALUES: dict[str, Any] = {
    "sentence": SENTENCE,
    "lines": LINES,
    "in a list": [SENTENCE],
    "in a mapping": {"said": SENTENCE},
    "as a key": {SENTENCE: 1},
    "nested list": [[SENTENCE]],
}
TEXT_KINDS = {"text", "nonempty_text"}


def wrong_for(kind: str) -> list[str]:
    """The ways of WRONG_VALUES that are invalid for a field of `kind`."""
    if kind in TEXT_KINDS:
        return ["in a list", "in a mapping", "as a key", "nested list"]
    if kind == "goals":
        return ["in a mapping", "as a key", "nested list"]
    if kind == "records":
        return ["sentence", "lines", "in a list", "in a mapping", "as a key"]
    if kind == "members":  # any text may be a payer's member number: a gap, not an error
        return ["sentence", "lines", "in a mapping", "as a key"]
    if kind == "mapping":
        return ["sentence", "lines", "in a list", "in a mapping", "as a key", "nested list"]
    return list(WRONG_VALUES)  # id, date, bool, enum, signed_day


def field_cases(document: str, record: Record, path: tuple[Any, ...]
                ) -> list[tuple[str, tuple[Any, ...], Any]]:
    """(case id, where in the document, the wrong value) for every field of `record`
    at `path`, and for the records below it."""
    cases = []
    for declared in record.fields:
        at = (*path, declared.name)
        for way in wrong_for(declared.kind.name):
            cases.append((f"{document}:{'.'.join(map(str, at))}:{way}", at,
                          WRONG_VALUES[way]))
        nested = declared.kind.record
        if nested is not None and declared.kind.name == "records":
            cases.extend(field_cases(document, nested, (*at, 0)))
        elif nested is not None:
            cases.extend(field_cases(document, nested, at))
    # And every record takes no unknown key, whatever it holds or is called.
    for way, key, value in (("unknown key", "treatment_plan", SENTENCE),
                            ("sentence as key", SENTENCE, "x"),
                            ("lines as key", LINES, "x"),
                            ("duplicate in x_", "x_story", None)):
        cases.append((f"{document}:{'.'.join(map(str, path)) or 'top'}:{way}",
                      (*path, key), value))
    return cases


def policy_cases(document: str) -> list[tuple[str, tuple[Any, ...], Any]]:
    cases = [(f"{document}:name:{way}", ("name",), WRONG_VALUES[way])
             for way in wrong_for("nonempty_text")]
    for section, keys in SECTIONS.items():
        for way in ("sentence", "lines", "in a list"):
            cases.append((f"{document}:{section}:{way}", (section,), WRONG_VALUES[way]))
        for key in keys:
            for way in ("sentence", "lines", "in a list", "in a mapping"):
                cases.append((f"{document}:{section}.{key}:{way}", (section, key),
                              WRONG_VALUES[way]))
        cases.append((f"{document}:{section}:sentence as key", (section, SENTENCE), 1))
    cases.append((f"{document}:top:sentence as key", (SENTENCE,), 1))
    cases.append((f"{document}:top:unknown key", ("notes",), SENTENCE))
    return cases


def practice_cases() -> list[tuple[str, tuple[Any, ...], Any]]:
    cases = policy_cases("practice")
    for way in ("sentence", "lines", "in a list"):
        cases.append((f"practice:clinicians:{way}", ("clinicians",), WRONG_VALUES[way]))
    for way in wrong_for("nonempty_text"):
        cases.append((f"practice:clinicians.kim:{way}", ("clinicians", "kim"),
                      WRONG_VALUES[way]))
        cases.append((f"practice:clinicians.lee.name:{way}", ("clinicians", "lee", "name"),
                      WRONG_VALUES[way]))
    for way in WRONG_VALUES:
        cases.append((f"practice:clinicians.lee.capacity:{way}",
                      ("clinicians", "lee", "capacity"), WRONG_VALUES[way]))
    cases.append(("practice:clinicians:sentence as key", ("clinicians", SENTENCE),
                  {"name": "A", "capacity": SENTENCE}))
    cases.append(("practice:clinicians.lee:unknown key", ("clinicians", "lee", "notes"),
                  SENTENCE))
    return cases


def request_cases() -> list[tuple[str, tuple[Any, ...], Any]]:
    cases = []
    for key, kind in (("payer", "nonempty_text"), ("requested_on", "date"), ("due", "date"),
                      ("business_days", "number"), ("holidays", "records"),
                      ("period", "mapping"), ("members", "members")):
        cases.extend((f"request:{key}:{way}", (key,), WRONG_VALUES[way])
                     for way in wrong_for(kind))
    for way in ("sentence", "lines", "in a list", "in a mapping"):
        cases.append((f"request:holidays.0:{way}", ("holidays", 0), WRONG_VALUES[way]))
        cases.append((f"request:period.from:{way}", ("period", "from"), WRONG_VALUES[way]))
    cases.append(("request:top:unknown key", ("letter",), SENTENCE))
    cases.append(("request:top:sentence as key", (SENTENCE,), 1))
    cases.append(("request:top:duplicate in x_", ("x_letter",), None))
    cases.append(("request:period:sentence as key", ("period", SENTENCE), 1))
    cases.append(("request:members.0:in a mapping", ("members", 0), {"said": SENTENCE}))
    return cases


CASES = [
    *field_cases("client", CLIENT, ()),
    *field_cases("ledger", LEDGER_ENTRY, ("sessions", 0)),
    ("ledger:source:in a list", ("source",), [SENTENCE]),
    ("ledger:sessions:sentence", ("sessions",), SENTENCE),
    ("ledger:top:sentence as key", (SENTENCE,), 1),
    *practice_cases(),
    *policy_cases("payer"),
    *request_cases(),
]
# A valid value in the wrong place across files: the cross-file checks quote too.
CROSS_FILE = {
    "unknown payer": ("client", ("payer",), SENTENCE),
    "unknown clinician": ("client", ("clinician",), SENTENCE),
    "ledger client unknown": ("ledger", ("sessions", 0, "client"), SENTENCE),
    "request payer unknown": ("request", ("payer",), SENTENCE),
}
DUPLICATE = "{a: %s, a: %s}"


def with_value(docs: dict[str, Any], document: str, at: tuple[Any, ...], value: Any
               ) -> dict[str, str]:
    """Put `value` at `at` in `document` (in place); the raw text of any document that
    YAML's dumper cannot write (a duplicate key), by name."""
    target = docs[document]
    for step in at[:-1]:
        target = target.setdefault(step, {}) if isinstance(target, dict) else target[step]
    last = at[-1]
    if value is None:  # a duplicate key inside an x_ value, the sentence under both
        target[last] = "@DUPLICATE@"
        text = yaml.safe_dump(docs[document], sort_keys=False, width=1000)
        inner = f"'{SENTENCE}'"
        return {document: text.replace("'@DUPLICATE@'", DUPLICATE % (inner, inner))}
    if isinstance(target, list) and last >= len(target):
        target.append(value)
    else:
        target[last] = value
    return {}


def run(root: Path, document: str) -> tuple[int, str, str]:
    if document == "request":
        args = ["audit", str(root / FILES["request"]), str(root), "--as-of", AS_OF]
    else:
        args = ["check", str(root), "--as-of", AS_OF]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.stdout, result.stderr


def assert_private(code: int, out: str, err: str) -> None:
    assert code == 2, (code, out, err)
    lines = err.splitlines()
    assert lines, "no error reported"
    for line in lines:
        assert ERROR_LINE.match(line) or SUMMARY.match(line), line
    leaked = [word for word in WORDS if word in (out + err).lower()]
    assert leaked == [], err


def test_the_untouched_workspace_is_valid(tmp_path: Path) -> None:
    write(tmp_path, documents(), {})
    assert run(tmp_path, "client")[0] in (0, 1)  # findings, not input errors
    assert run(tmp_path, "request")[0] in (0, 1)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_no_error_repeats_a_sentence(tmp_path: Path, case: tuple[str, tuple[Any, ...], Any]
                                     ) -> None:
    name, at, value = case
    document = name.split(":")[0]
    docs = documents()
    raw = with_value(docs, document, at, value)
    write(tmp_path, docs, raw)
    assert_private(*run(tmp_path, document))


@pytest.mark.parametrize("name", sorted(CROSS_FILE))
def test_no_cross_file_error_repeats_a_sentence(tmp_path: Path, name: str) -> None:
    document, at, value = CROSS_FILE[name]
    docs = documents()
    with_value(docs, document, at, value)
    write(tmp_path, docs, {})
    assert_private(*run(tmp_path, document))


def test_a_type_error_names_the_type_not_the_value(tmp_path: Path) -> None:
    docs = documents()
    docs["client"]["sessions"] = SENTENCE
    docs["client"]["contacts"] = 12
    docs["client"]["treatment_plans"] = {"date": "2026-01-01"}
    write(tmp_path, docs, {})
    code, _, err = run(tmp_path, "client")
    assert code == 2
    lines = (tmp_path / FILES["client"]).read_text(encoding="utf-8").splitlines()

    def line(key: str) -> int:  # where the key's value starts: on the key's own line
        return next(n for n, text in enumerate(lines, 1) if text.startswith(f"{key}:"))

    assert err.splitlines()[:3] == [
        f"content/c.yaml:{line('sessions')}: sessions: expected a list, got text",
        # a block mapping starts at its first key, on the line below
        f"content/c.yaml:{line('treatment_plans') + 1}: treatment_plans: expected a list, "
        "got a mapping",
        f"content/c.yaml:{line('contacts')}: contacts: expected a list, got a number",
    ]


def test_a_short_value_that_is_the_problem_is_still_quoted(tmp_path: Path) -> None:
    docs = documents()
    docs["client"]["sessions"][0]["status"] = "noshow"
    docs["client"]["intake_date"] = "2026-02-30"
    write(tmp_path, docs, {})
    code, _, err = run(tmp_path, "client")
    assert code == 2
    assert "intake_date: '2026-02-30' is not a date" in err
    assert "unknown status 'noshow'; did you mean 'no_show'?" in err


@pytest.mark.parametrize(("value", "shown"), [
    ("no_show", "'no_show'"), ("2026-02-30", "'2026-02-30'"), ("Kim Lee, LCSW", "'Kim Lee, LCSW'"),
    ("", "''"), ("four words are many", "a long text"), ("x" * 41, "a long text"),
    ("x" * 40, "'" + "x" * 40 + "'"), ("a\nb", "a text of several lines"),
    (SENTENCE, "a long text"), (LINES, "a text of several lines"),
])
def test_quoted_repeats_only_short_values(value: str, shown: str) -> None:
    assert quoted(value) == shown
    assert quotable(value) == shown.startswith("'")


# YAML that does not parse, around a sentence: the parser's own words only.
BROKEN_YAML = {
    "colon inside plain text": f"sessions:\n  - date: 2026-11-04\n    status: attended\n"
                               f"    note: She said: {SENTENCE}\n",
    "unclosed quote": f"sessions:\n  - {{date: 2026-11-04, status: attended,\n"
                      f"      note: \"{SENTENCE}}}\n",
    "bad indentation": f"sessions:\n  - date: 2026-11-04\n   note: {SENTENCE}\n",
    "unknown escape": f"x_story: \"{SENTENCE} \\q\"\n",
    "undefined alias": f"x_story: *{SENTENCE.split()[0]}\n",
    "tab": f"x_story:\n\t{SENTENCE}\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN_YAML))
def test_a_yaml_error_repeats_no_sentence(tmp_path: Path, name: str) -> None:
    client = "id: C-1\nname: Jordan Avery\nintake_date: 2026-01-05\n"
    write(tmp_path, documents(), {"client": client + BROKEN_YAML[name]})
    assert_private(*run(tmp_path, "client"))

"""Security item 7: no text from a file may steer the terminal (or reorder what it shows).

Every text field refuses C0 and C1 control characters (ESC, CSI, BEL, DEL, ...) and
the bidi overrides and isolates, written in any style: raw in plain, single-quoted
and block scalars, or as escapes in double quotes. Line breaks and tabs are allowed
in free text only (the fields `schema.py` declares `several_lines`). A refusal is one
line `FILE:LINE: field: ...`, exit 2, that never quotes the text; the fast reader
declines such files so that the exact reader reports them. And every line the CLI
prints is escaped, whatever it quotes.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import cli
from generator.model.schema import CLIENT, LEDGER_RECORDS, RECORDS
from generator.reading import exact as load
from generator.reading import fast as fastload
from generator.reading.cache import Days
from generator.reading.exact import WorkspaceInvalid, load_workspace
from generator.wording import for_terminal, one_line, refused_character
from tests.clirun import write
from tests.importing_helpers import FILES, SP_HEADER

ROOT = Path(__file__).resolve().parents[1]

# name -> (the character, whether free text may hold it)
CHARACTERS = {
    "NUL": ("\x00", False), "BEL": ("\x07", False), "BS": ("\x08", False),
    "ESC": ("\x1b", False), "VT": ("\x0b", False), "FF": ("\x0c", False),
    "US": ("\x1f", False), "DEL": ("\x7f", False), "C1-PAD": ("\x80", False),
    "NEL": ("\x85", False), "CSI": ("\x9b", False), "OSC": ("\x9d", False),
    "LRE": ("\u202a", False), "PDF": ("\u202c", False), "RLO": ("\u202e", False),
    "LRI": ("\u2066", False), "PDI": ("\u2069", False),
    "TAB": ("\t", True), "LF": ("\n", True), "CR": ("\r", True), "LS": ("\u2028", True),
}
# Characters YAML itself refuses raw in a file (the YAML reader reports them, at
# their line), or reads raw as a line break: only a double-quoted escape gives them.
RAW_IMPOSSIBLE = {"NUL", "BEL", "BS", "ESC", "VT", "FF", "US", "DEL", "C1-PAD", "NEL", "CSI",
                  "OSC", "CR", "LS"}

# "double" writes the character as \xHH or \uHHHH, "named" as its own escape (\e,
# \t, \N...) where YAML has one.
STYLES = ("plain", "single", "double", "named", "literal", "folded")
NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\x1b": "\\e", "\x07": "\\a", "\x00": "\\0",
         "\x08": "\\b", "\x85": "\\N", "\u2028": "\\L"}

# Where each kind of text field sits in a client file, and whether it is free text.
# (key path as the error names it, the YAML before the value, the YAML after it)
CLIENT_HEAD = "id: C-1\nname: Jordan Avery\nintake_date: 2026-01-05\n"
FIELDS = {
    "name": ("name", "id: C-1\nintake_date: 2026-01-05\nname:", ""),
    "payer": ("payer", CLIENT_HEAD + "payer:", ""),
    "clinician": ("clinician", CLIENT_HEAD + "clinician:", ""),
    "member_id": ("member_id", CLIENT_HEAD + "member_id:", ""),
    "id": ("id", "name: Jordan Avery\nintake_date: 2026-01-05\nid:", ""),
    "status": ("sessions[0].status", CLIENT_HEAD + "sessions:\n  - date: 2026-01-06\n"
               "    status:", ""),
    "session note": ("sessions[0].note", CLIENT_HEAD + "sessions:\n  - date: 2026-01-06\n"
                     "    status: attended\n    note:", ""),
    "plan note": ("treatment_plans[0].note", CLIENT_HEAD + "treatment_plans:\n"
                  "  - date: 2026-01-06\n    note:", ""),
    "goals": ("treatment_plans[0].goals", CLIENT_HEAD + "treatment_plans:\n"
              "  - date: 2026-01-06\n    goals:", ""),
    "a goal": ("treatment_plans[0].goals[0]", CLIENT_HEAD + "treatment_plans:\n"
               "  - date: 2026-01-06\n    goals:\n      -", "      - Sleep well\n"),
    "waiver": ("treatment_plans[0].client_signature_waived", CLIENT_HEAD + "treatment_plans:\n"
               "  - date: 2026-01-06\n    client_signature_waived:", ""),
    "outcome": ("contacts[0].outcome", CLIENT_HEAD + "contacts:\n  - date: 2026-01-06\n"
                "    method: phone\n    outcome:", ""),
    "contact note": ("contacts[0].note", CLIENT_HEAD + "contacts:\n  - date: 2026-01-06\n"
                     "    method: phone\n    note:", ""),
    "summary": ("discharge.summary", CLIENT_HEAD + "discharge:\n  date: 2026-02-01\n"
                "  summary:", ""),
    "x_ value": ("x_referral", CLIENT_HEAD + "x_referral:", ""),
}
FREE = {"session note", "plan note", "goals", "a goal", "waiver", "outcome", "contact note",
        "summary", "x_ value"}
SECRET = "Secretword"  # stands for clinical text: never in a message


def scalar(style: str, character: str, name: str, indent: str) -> str:
    """The value `Secret<character>word` written in `style`, after `key:` (with its
    leading space), lines continued at `indent`."""
    text = f"Secret{character}word"
    if style == "named":
        return f' "Secret{NAMED[character]}word"'
    if style == "double":
        code = f"\\x{ord(character):02x}" if ord(character) < 0x100 else f"\\u{ord(character):04x}"
        return f' "Secret{code}word"'
    if character == "\n":  # a line break as each style writes one
        return {"plain": f" Secret\n\n{indent}word", "single": f" 'Secret\n\n{indent}word'",
                "literal": f" |\n{indent}Secret\n{indent}word", "folded":
                f" >\n{indent}Secret\n\n{indent}word"}[style]
    if style == "plain":
        return f" {text}"
    if style == "single":
        return f" '{text}'"
    return f" {'|' if style == 'literal' else '>'}\n{indent}{text}"


def document(field: str, style: str, character: str) -> tuple[str, int]:
    """A client file with the value in `field`, and the line the value starts on."""
    _, before, after = FIELDS[field]
    indent = " " * (len(before.rsplit("\n", 1)[-1]) - len(before.rsplit("\n", 1)[-1].lstrip())
                    + 2)
    if field == "a goal":
        indent = " " * 8
    line = before.count("\n") + 1
    return before + scalar(style, character, field, indent) + "\n" + after, line


CASES = [(field, style, name) for field in FIELDS for style in STYLES for name in CHARACTERS
         if not (name in RAW_IMPOSSIBLE and style not in ("double", "named"))
         and not (style == "named" and CHARACTERS[name][0] not in NAMED)]


def read(tmp_path: Path, text: str) -> tuple[list[load.InputError], object, list | None]:
    """(the exact reader's errors, its records, what the fast reader made of the file)."""
    path = tmp_path / "content" / "c.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    errors: list[load.InputError] = []
    records = load._load_content_file(tmp_path, path, errors, None, fast=False).records
    fast = None
    if fastload.ryml is not None:
        data = path.read_bytes()
        fast = fastload.read_clients(data, data.decode("utf-8"), "content/c.yaml")
    return errors, records, fast


@pytest.mark.parametrize(("field", "style", "name"), CASES)
def test_every_style_of_every_field_refuses_controls(tmp_path: Path, field: str, style: str,
                                                     name: str) -> None:
    character, free_may = CHARACTERS[name]
    text, line = document(field, style, character)
    errors, records, fast = read(tmp_path, text)
    if free_may and field in FREE:
        assert not errors, errors
        client = records[0].client
        value = {"session note": lambda: client.sessions[0].note,
                 "plan note": lambda: client.treatment_plans[0].note,
                 "goals": lambda: client.treatment_plans[0].goals[0],
                 "a goal": lambda: client.treatment_plans[0].goals[0],
                 "waiver": lambda: client.treatment_plans[0].client_signature_waived,
                 "outcome": lambda: client.contacts[0].outcome,
                 "contact note": lambda: client.contacts[0].note,
                 "summary": lambda: client.discharge.summary,
                 "x_ value": lambda: client.extras["x_referral"]}[field]()
        assert character in value or (character == "\n" and "\n" in value)
        if fast is not None:  # and when the fast path reads it, it reads the same
            assert fastload.read_clients is not None
            made = load._FileRead(None, fast, None).clients(Days())
            assert [r.client for r in made] == [r.client for r in records]
        return
    assert len(errors) == 1, errors
    error = errors[0]
    assert error.line == line
    shown = str(error)
    assert shown.startswith(f"content/c.yaml:{line}: ")
    assert SECRET[:6] not in shown and "word" not in shown.split(": ", 1)[1]
    assert "\n" not in shown and refused_character(shown, several_lines=False) is None
    if error.where != "YAML":  # YAML's own refusal of a raw control character says so
        assert error.where == FIELDS[field][0]
        assert f"U+{ord(character):04X}" in error.what
    assert fast is None, "the fast path must decline what the exact reader refuses"


def test_the_free_text_fields_are_those_declared_in_the_schema() -> None:
    declared = {(record.name, f.name) for record in (*RECORDS, *LEDGER_RECORDS)
                for f in record.fields if f.several_lines}
    assert declared == {
        ("session", "note"), ("treatment plan", "goals"), ("treatment plan", "note"),
        ("treatment plan", "client_signature_waived"), ("contact", "outcome"),
        ("contact", "note"), ("discharge", "summary"), ("ledger session", "note"),
    }
    assert not any(f.several_lines for f in CLIENT.fields)


def test_a_field_of_another_kind_cannot_be_declared_free_text() -> None:
    from generator.model.schema import DATE, Field
    with pytest.raises(ValueError, match="only text and goals"):
        Field("date", DATE, several_lines=True)


LEDGER = ("source: {source}\nsessions:\n  - client: C-1\n    date: 2026-01-06\n"
          "    status: attended\n    note: {note}\n")


@pytest.mark.parametrize(("source", "note", "line", "where"), [
    ('"simple\\epractice"', "fine", 1, "source"),
    ('"simple\\npractice"', "fine", 1, "source"),
    ("simple\u202epractice", "fine", 1, "source"),
    ("simplepractice", '"Secret\\x9bword"', 6, "sessions[0].note"),
    ("simplepractice", "Secret\u2066word", 6, "sessions[0].note"),
])
def test_ledgers_refuse_them_too(tmp_path: Path, source: str, note: str, line: int,
                                 where: str) -> None:
    errors, _, fast = read(tmp_path, LEDGER.format(source=source, note=note))
    assert [(e.line, e.where) for e in errors] == [(line, where)]
    assert fast is None


@pytest.mark.parametrize(("path", "text", "line", "where"), [
    ("site_config/practice.yaml", 'name: "River\\ebend"\n', 1, "name"),
    ("site_config/practice.yaml", "name: Riverbend\nclinicians:\n  lee: \"Dana\\tLee\"\n", 3,
     "clinicians.lee"),
    ("site_config/payers/aetna.yaml", "name: Aet\u202ena\n", 1, "name"),
])
def test_policy_files_refuse_them(tmp_path: Path, path: str, text: str, line: int,
                                  where: str) -> None:
    write(tmp_path, {"content/c.yaml": CLIENT_HEAD, path: text})
    with pytest.raises(WorkspaceInvalid) as caught:
        load_workspace(tmp_path)
    assert [(e.path, e.line, e.where) for e in caught.value.errors] == [(path, line, where)]


# --- the command line --------------------------------------------------------------------


def test_check_refuses_the_terminal_attack_with_one_line_and_exit_2(tmp_path: Path) -> None:
    write(tmp_path, {"content/c.yaml": 'id: C-1\nname: "Evil\\e]0;pwned\\a\\e[2J"\n'
                                       "intake_date: 2026-01-05\n"})
    for output in ("text", "json"):
        result = CliRunner().invoke(cli, ["check", str(tmp_path), "--as-of", "2026-11-28",
                                          "--format", output])
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "content/c.yaml:2: name: holds a control character (U+001B), which text may not "
            "hold; remove it",
            "caseload: 1 input error; nothing was written.",
        ]
        assert "Traceback" not in result.output


def test_for_terminal_escapes_controls_and_bidi_but_keeps_lines() -> None:
    assert for_terminal("a\x1b]0;x\x07b\nc\u202ed\x9b\te") == \
        "a\\u001b]0;x\\u0007b\nc\\u202ed\\u009b\\u0009e"
    assert for_terminal("plain text, é ü") == "plain text, é ü"
    # Colours caseload writes itself survive in a styled report line; nothing else does.
    assert for_terminal("\x1b[1mBold\x1b[0m \x1b]0;x", styled=True) == \
        "\x1b[1mBold\x1b[0m \\u001b]0;x"
    # Escaped text is valid inside a JSON string and means the same.
    import json
    assert json.loads(for_terminal(json.dumps("a\u202eb\x85", ensure_ascii=False))) == \
        "a\u202eb\x85"


def test_one_line_cleans_a_name_from_an_export() -> None:
    assert one_line("Jordan\tAvery\n") == "Jordan Avery"
    assert one_line("\x1b]0;x\x07Jordan\u202e Avery") == "]0;xJordan Avery"
    assert one_line("Jordan Avery") == "Jordan Avery"


def test_a_path_with_an_escape_is_escaped_in_errors(tmp_path: Path) -> None:
    workspace = tmp_path / "ws\x1b]0;pwned\x07"
    workspace.mkdir()
    result = CliRunner().invoke(cli, ["check", str(workspace), "--as-of", "2026-11-28"])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "ws\\x1b]0;p" in result.stderr  # an input error's own escapes (`printable`)


def test_click_usage_errors_are_escaped_too(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "generator", "check", str(tmp_path),
                           "--as-of", "\x1b]0;pwned\x07"], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert "'\\u001b]0;pwned\\u0007' is not a date" in done.stderr


def _echo_calls(path: Path) -> list[str]:
    """Calls in `path` that write to the terminal other than through `cli.echo`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if called in ("print", "click.echo", "click.secho", "sys.stdout.write",
                          "sys.stderr.write"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {called}")
    return found


def test_every_line_the_cli_prints_goes_through_one_function() -> None:
    found = [call for path in sorted((ROOT / "generator").rglob("*.py"))
             for call in _echo_calls(path)]
    # The one call is inside cli.echo itself.
    assert found == [f"generator/cli.py:{_echo_line()}: click.echo"]


def _echo_line() -> int:
    tree = ast.parse((ROOT / "generator/cli.py").read_text(encoding="utf-8"))
    echo = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "echo")
    return next(n.lineno for n in ast.walk(echo) if isinstance(n, ast.Call)
                and ast.unparse(n.func) == "click.echo")


def test_the_check_finds_a_stray_print(tmp_path: Path) -> None:
    stray = ROOT / "generator" / "_stray_for_test.py"
    try:
        stray.write_text("import click\nclick.echo('x')\n", encoding="utf-8")
        assert _echo_calls(stray) == ["generator/_stray_for_test.py:2: click.echo"]
    finally:
        stray.unlink()


# --- caseload import -----------------------------------------------------------------------


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write(tmp_path / "ws", FILES)


def test_import_cleans_an_exports_name_so_the_workspace_reads_back(ws: Path) -> None:
    Path("export.csv").write_bytes(
        f'{SP_HEADER}\n11/03/2026,"Jordan\tAvery\x1b]0;x\x07\u202e",Dana Lee,Show,Locked,\n'
        f'11/04/2026,"Robin\r\nVale",Dana Lee,Show,Locked,\n'.encode())
    result = CliRunner().invoke(cli, ["import", "simplepractice", "export.csv",
                                      "--workspace", "ws"])
    assert result.exit_code == 0, result.output
    names = sorted(yaml.safe_load(p.read_text("utf-8"))["name"]
                   for p in (ws / "content/clients").glob("*.yaml"))
    assert names == ["Jordan Avery]0;x", "Robin Vale"]
    check = CliRunner().invoke(cli, ["check", "ws", "--as-of", "2026-11-28"])
    assert check.exit_code in (0, 1), check.output


def test_a_multi_line_note_kept_by_an_import_reads_back(ws: Path) -> None:
    Path("export.csv").write_bytes(
        f"{SP_HEADER}\n11/03/2026,Maya Castellanos,Dana Lee,Show,Locked,\n".encode())
    run = CliRunner().invoke
    assert run(cli, ["import", "simplepractice", "export.csv", "--workspace", "ws"]).exit_code == 0
    ledger = ws / "content/imported/simplepractice-2026.yaml"
    note = 'Line one: "quoted"\n\tLine two, indented \\ with a backslash'
    text = ledger.read_text("utf-8").replace(
        "    note_signed: true\n",
        "    note_signed: true\n    note: |-\n      Line one: \"quoted\"\n"
        "      \tLine two, indented \\ with a backslash\n")
    ledger.write_text(text, encoding="utf-8")
    assert yaml.safe_load(text)["sessions"][0]["note"] == note
    assert run(cli, ["import", "simplepractice", "export.csv", "--workspace", "ws"]).exit_code == 0
    written = ledger.read_text("utf-8")
    assert yaml.safe_load(written)["sessions"][0]["note"] == note  # kept, and written back
    caseload = load_workspace(ws)
    client = next(c for c in caseload.clients if c.id == "C-1")
    assert client.sessions[0].note == note

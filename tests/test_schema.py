"""The records are declared once (generator/model/schema.py), and every reader and
the parse cache follow the declarations: the exact reader, the fast reader and the
cache's layout each take exactly the declared fields, record by record, and a new
optional field of a session or a plan needs nothing but its declaration and its
model attribute (shown on a copy of the package, below).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.model.plain import Days, client_of, plain_client, plain_entry
from generator.model.schema import (
    CLIENT,
    FORMAT_VERSION,
    KINDS,
    RECORDS,
    Field,
    Record,
)
from generator.reading import exact as load
from generator.reading import fast as fastload

REPO = Path(__file__).resolve().parents[1]


def test_every_record_is_declared_with_known_kinds_and_versions() -> None:
    assert {r.name for r in RECORDS} == {"client", "session", "treatment plan", "contact",
                                         "discharge"}
    for record in RECORDS:
        assert len(set(record.keys)) == len(record.keys), record.name
        for field in record.fields:
            assert field.kind.name in KINDS
            assert 1 <= field.since <= FORMAT_VERSION
            assert (field.kind.name == "enum") == bool(field.kind.choices)
            assert (field.kind.name in ("records", "mapping")) == (field.kind.record is not None)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_the_model_dataclass_has_the_declared_fields_and_defaults(record: Record) -> None:
    attributes = {f.name: f for f in dataclasses.fields(record.model)}
    special = {"source", "extras", "sessions_from"} if record is CLIENT else set()
    assert set(attributes) - special == set(record.keys)
    for field in record.fields:
        attribute = attributes[field.name]
        if field.required:
            continue
        default = attribute.default_factory() \
            if attribute.default_factory is not dataclasses.MISSING else attribute.default
        assert default == field.kind.default, field.name


# --- every reader takes exactly the declared keys -------------------------------------

SAMPLES = {"text": "Some text", "nonempty_text": "lee", "id": "C-1", "date": "2026-01-05",
           "bool": "true", "goals": "[Walk, Sleep]", "signed_day": "2026-01-06"}


def flow(record: Record, drop: str = "", extra: str = "") -> str:
    """A flow mapping with every declared field of `record` (but `drop`), plus `extra`."""
    pairs = [f"{field.name}: {sample(field)}" for field in record.fields if field.name != drop]
    return "{" + ", ".join([*pairs, *([extra] if extra else [])]) + "}"


def sample(field: Field) -> str:
    kind = field.kind
    if kind.name == "enum":
        return kind.choices[0]
    if kind.record is not None:
        return flow(kind.record)
    return SAMPLES[kind.name]


def client_text(change: Record | None = None, drop: str = "", extra: str = "") -> str:
    """A client with every declared field, one item in each list; `drop` a key of, or
    add `extra` to, the record `change`."""
    lines = []
    for field in CLIENT.fields:
        if change is CLIENT and field.name == drop:
            continue
        kind = field.kind
        record = kind.record
        if kind.name == "records" and record is not None:
            item = flow(record, drop, extra) if record is change else flow(record)
            lines.append(f"{field.name}:\n  - {item}")
        elif kind.name == "mapping" and record is not None:
            value = flow(record, drop, extra) if record is change else flow(record)
            lines.append(f"{field.name}: {value}")
        else:
            lines.append(f"{field.name}: {sample(field)}")
    if change is CLIENT and extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"


def read(tmp_path: Path, text: str, fast: bool) -> tuple[Any, list[load.InputError]]:
    path = tmp_path / "content" / "c.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    errors: list[load.InputError] = []
    return load._load_content_file(tmp_path, path, errors, None, fast=fast), errors


@pytest.fixture(autouse=True)
def fast_path_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fastload.DISABLE_VARIABLE, raising=False)


def test_a_client_with_every_declared_field_is_read_alike_by_both_readers(tmp_path: Path
                                                                          ) -> None:
    exact, errors = read(tmp_path, client_text(), fast=False)
    assert errors == []
    [record] = exact.records
    for field in CLIENT.fields:
        assert getattr(record.client, field.name) not in (None, ()), field.name
    fast, _ = read(tmp_path, client_text(), fast=True)
    if fastload.ryml is not None:
        assert fast.plain is not None, "the fast reader declined a plainly valid client"
        assert [r.client for r in fast.clients(Days())] == [record.client]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_an_undeclared_key_is_refused_by_both_readers(tmp_path: Path, record: Record) -> None:
    text = client_text(record, extra="zz_undeclared: 1")
    _, errors = read(tmp_path, text, fast=False)
    assert [e.what for e in errors] == ["unknown key 'zz_undeclared'"]
    fast, _ = read(tmp_path, text, fast=True)
    assert fast.plain is None
    # The user's own keys are welcome everywhere.
    _, errors = read(tmp_path, client_text(record, extra="x_own: 1"), fast=False)
    assert errors == []


@pytest.mark.parametrize(("record", "key"), [
    pytest.param(r, f.name, id=f"{r.name}.{f.name}") for r in RECORDS for f in r.fields
    if f.required])
def test_a_missing_required_key_is_refused_by_both_readers(tmp_path: Path, record: Record,
                                                           key: str) -> None:
    text = client_text(record, drop=key)
    _, errors = read(tmp_path, text, fast=False)
    assert f"missing required key '{key}'" in [e.what for e in errors]
    fast, _ = read(tmp_path, text, fast=True)
    assert fast.plain is None


@pytest.mark.parametrize(("record", "key"), [
    pytest.param(r, f.name, id=f"{r.name}.{f.name}") for r in RECORDS for f in r.fields
    if not f.required])
def test_an_optional_key_may_be_left_out(tmp_path: Path, record: Record, key: str) -> None:
    text = client_text(record, drop=key)
    exact, errors = read(tmp_path, text, fast=False)
    assert errors == []
    fast, _ = read(tmp_path, text, fast=True)
    if fastload.ryml is not None:
        assert fast.plain is not None
        assert [r.client for r in fast.clients(Days())] == [r.client for r in exact.records]


def test_the_cache_layout_has_a_slot_per_client_field_and_a_column_per_listed_field(
        tmp_path: Path) -> None:
    exact, _ = read(tmp_path, client_text(), fast=False)
    client = exact.records[0].client
    entry = plain_client(client)
    header = len(plain_entry("", "", 0, {}, []))
    assert len(entry) == header + len(CLIENT.fields)
    for slot, field in enumerate(CLIENT.fields, start=header):
        record = field.kind.record
        if record is not None:
            # A list: a column per field; a mapping: a value per field.
            assert len(entry[slot]) == len(record.fields), field.name
    assert client_of(json.loads(json.dumps(entry)), Days())[2] == client


# --- a new optional field touches the declaration and the model only -------------------

# The edit a developer makes: one line in each of the two files, nothing else.
NEW_FIELDS = {
    "model/schema.py": [
        ('    Field("note_signed", SIGNED_DAY, since=2, not_before="date"),\n))\n\nTREATMENT_PLAN',
         '    Field("note_signed", SIGNED_DAY, since=2, not_before="date"),\n'
         '    Field("room", TEXT, since=2),\n'
         '    Field("billed", BOOL, since=2),\n))\n\nTREATMENT_PLAN'),
        ('    Field("client_signature_waived", TEXT, since=2, several_lines=True),\n))',
         '    Field("client_signature_waived", TEXT, since=2, several_lines=True),\n'
         '    Field("signed_on", DATE, since=2),\n))'),
    ],
    "model/records.py": [
        ("    # False: not signed.\n    note_signed: datetime.date | bool = False\n",
         "    # False: not signed.\n    note_signed: datetime.date | bool = False\n"
         "    room: str | None = None\n    billed: bool = False\n"),
        ("    client_signature_waived: str | None = None\n",
         "    client_signature_waived: str | None = None\n"
         "    signed_on: datetime.date | None = None\n"),
    ],
}

ROUND_TRIP = r'''
import os, sys
from pathlib import Path
from generator.model.plain import Days
from generator.reading import exact as load
from generator.reading.cache import ParseCache
from generator.reading.exact import WorkspaceInvalid, load_workspace

root = Path(sys.argv[1])
path = root / "content" / "c.yaml"
exact_errors = []
exact = load._load_content_file(root, path, exact_errors, None, fast=False)
assert exact_errors == [], exact_errors
fast = load._load_content_file(root, path, [], None, fast=True)
assert fast.plain is not None, "the fast reader declined the new fields"
clients = [r.client for r in exact.records]
assert [r.client for r in fast.clients(Days())] == clients
sessions = clients[0].sessions
assert [(s.room, s.billed) for s in sessions] == [("Room 2", True), (None, False), ("3", False)]
assert [p.signed_on and p.signed_on.isoformat() for p in clients[0].treatment_plans] \
    == ["2026-01-20", None]

fresh = load_workspace(root)
assert load_workspace(root, ParseCache(root)) == fresh  # cold: fills the cache
warm = ParseCache(root)
assert load_workspace(root, warm) == fresh  # warm: every client rebuilt from it
assert warm._entries() and all(warm.get(key) is not None for key in warm._entries())

path.write_text(path.read_text().replace("room: Room 2", "rooom: Room 2")
                .replace("billed: true", "billed: maybe")
                .replace("signed_on: 2026-01-20", "signed_on: soon"))
try:
    load_workspace(root)
except WorkspaceInvalid as invalid:
    for error in invalid.errors:
        print(error)
'''

NEW_FIELD_CLIENT = """\
id: C-1
name: Jordan Avery
intake_date: 2026-01-05
sessions:
  - date: 2026-01-12
    status: attended
    room: Room 2
    billed: true
  - {date: 2026-01-19, status: no_show}
  - {date: 2026-01-26, status: attended, room: 3, billed: false, note: Fine}
treatment_plans:
  - date: 2026-01-12
    goals: [Sleep]
    signed_on: 2026-01-20
  - {date: 2026-04-12}
"""


def test_a_new_optional_field_needs_only_its_declaration_and_its_model_attribute(
        tmp_path: Path) -> None:
    copy = tmp_path / "package"
    shutil.copytree(REPO / "generator", copy / "generator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name, edits in NEW_FIELDS.items():
        path = copy / "generator" / name
        text = path.read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, f"{name} no longer has {old!r}"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    workspace = tmp_path / "ws"
    (workspace / "content").mkdir(parents=True)
    (workspace / "content" / "c.yaml").write_text(NEW_FIELD_CLIENT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop(fastload.DISABLE_VARIABLE, None)
    if fastload.ryml is None:
        pytest.skip("rapidyaml is not installed")
    result = subprocess.run([sys.executable, "-c", ROUND_TRIP, str(workspace)],
                            capture_output=True, text=True, cwd=tmp_path, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "content/c.yaml:7: sessions[0].rooom: unknown key 'rooom'; did you mean 'room'?",
        "content/c.yaml:8: sessions[0].billed: expected true or false, got 'maybe'",
        "content/c.yaml:14: treatment_plans[0].signed_on: 'soon' is not a date; "
        "write it like 2026-11-28",
    ]

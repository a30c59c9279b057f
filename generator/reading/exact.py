"""Read a workspace from disk and validate it against the caseload schema.

Every problem is collected as an `InputError` naming file, line and field;
`load_workspace` raises `WorkspaceInvalid` once, with all of them, so a user
fixes a whole batch in one go instead of replaying the tool error by error.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.model.plain import entry_text
from generator.model.policy import SECTIONS, SETTINGS_BY_KEY
from generator.model.records import (
    DATE_PATTERN,
    ID_PATTERN,
    Caseload,
    Client,
    Payer,
    Source,
    session_of,
)
from generator.model.schema import (
    CLIENT,
    LEDGER,
    LEDGER_ENTRY,
    LEDGER_RECORDS,
    RECORDS,
    Field,
    Record,
    is_ledger,
)
from generator.parallel import map_slices
from generator.reading import yamlnodes
from generator.reading.cache import Days, plain_records, records_from_plain
from generator.reading.record import ClientRecord, LedgerRecord
from generator.reading.yamlnodes import NULLS
from generator.regularfile import MAX_FILE_BYTES, FileTooLarge, NotRegularFile, read_regular
from generator.wording import (
    character_problem,
    printable,
    quotable,
    quoted,
    refused_character,
    suggest,
)

FileRecord = ClientRecord | LedgerRecord

if TYPE_CHECKING:
    from generator.reading.cache import ParseCache

MAX_EXTRA_DEPTH = 64
MAX_INT_DIGITS = 9

CONTENT_DIR = "content"
PRACTICE_FILE = "site_config/practice.yaml"
PAYERS_DIR = "site_config/payers"

POLICY_FILE_KEYS = ("name", *SECTIONS)
INT_PATTERN = re.compile(r"[+-]?[0-9]+")
NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

T = TypeVar("T")



@dataclass(frozen=True, slots=True, order=True)
class InputError:
    path: str
    line: int
    where: str
    what: str

    def __str__(self) -> str:
        line = f"{self.path}:{self.line}: {self.where}: {self.what}"
        return printable(line)


class WorkspaceInvalid(Exception):
    def __init__(self, errors: list[InputError]) -> None:
        self.errors = sorted(errors, key=_error_order)
        super().__init__("\n".join(map(str, self.errors)))


def _error_order(error: InputError) -> tuple[str, int]:
    return (error.path, error.line)


class _Invalid(Exception):
    """A value that failed validation; its error is already recorded."""


class _TooLarge(Exception):
    """Anchors and aliases expanded the document past its budget."""


@dataclass
class _Doc:
    """One file being validated: where errors go, and the alias-expansion budget."""

    path: str
    errors: list[InputError]
    budget: int

    def error(self, node: Node | None, where: str, what: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.errors.append(InputError(self.path, line, where or "document", what))

    def visit(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge




def _join(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    # A key is any text a person typed (a sentence before a colon is a key to
    # YAML): where an error is, is no place to repeat it.
    key = key if quotable(key) else "(a long key)"
    return f"{where}.{key}" if where else key


def _kind(node: Node) -> str:
    """What type of value a node holds, for "expected X, got Y": never the value
    itself, which may be anything a person typed (see `wording.quoted`)."""
    if isinstance(node, SequenceNode):
        return "a list"
    if not isinstance(node, ScalarNode):
        return "a mapping"
    if _is_null(node):
        return "nothing (null)"
    if not node.style and NUMBER_PATTERN.fullmatch(node.value):
        return "a number"
    if not node.style and node.value.lower() in ("true", "false", "yes", "no"):
        return "a yes/no value"
    return "text"


def _short(text: str, limit: int = 40) -> str:
    # Error messages name the field, not the caseload's content: keep echoes short.
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_null(node: Node) -> bool:
    # A plain (unquoted) scalar: PyYAML marks its style None, libyaml ''.
    return isinstance(node, ScalarNode) and not node.style and node.value in NULLS


# --- scalar types -------------------------------------------------------------------


def _scalar(doc: _Doc, node: Node, where: str, expected: str,
            several_lines: bool = False) -> str:
    """A scalar's text. A control character or bidi override is refused in every
    style (escapes in double quotes make any), and a line break or tab outside free
    text: whatever the field, before its type is judged."""
    if not isinstance(node, ScalarNode):
        doc.error(node, where, f"expected {expected}, got {_kind(node)}")
        raise _Invalid
    refused = refused_character(node.value, several_lines)
    if refused is not None:
        doc.error(node, where, character_problem(refused))
        raise _Invalid
    return node.value


def _text(doc: _Doc, node: Node, where: str) -> str | None:
    if _is_null(node):
        return None
    return _scalar(doc, node, where, "text")


def _free_text(doc: _Doc, node: Node, where: str) -> str | None:
    """Text that may hold several lines (a field declared `several_lines`)."""
    if _is_null(node):
        return None
    return _scalar(doc, node, where, "text", several_lines=True)


def _required_text(doc: _Doc, node: Node, where: str) -> str:
    value = _text(doc, node, where)
    if value is None or not value.strip():
        doc.error(node, where, "must not be empty")
        raise _Invalid
    return value


def _date(doc: _Doc, node: Node, where: str) -> date:
    value = _scalar(doc, node, where, "a date like 2026-11-28")
    if DATE_PATTERN.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    doc.error(node, where, f"{quoted(value)} is not a date; write it like 2026-11-28")
    raise _Invalid


def _bool(doc: _Doc, node: Node, where: str) -> bool:
    value = _scalar(doc, node, where, "true or false")
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    doc.error(node, where, f"expected true or false, got {quoted(value)}")
    raise _Invalid


def _signed_day(doc: _Doc, node: Node, where: str) -> date | bool:
    value = _scalar(doc, node, where, "a date like 2026-11-28, true or false")
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if DATE_PATTERN.fullmatch(value):
        return _date(doc, node, where)
    doc.error(node, where, f"expected the day it was signed (like 2026-11-28), true (signed, "
              f"day not known) or false, got {quoted(value)}")
    raise _Invalid


def _int(doc: _Doc, node: Node, where: str, minimum: int) -> int:
    value = _scalar(doc, node, where, "a whole number of days")
    if INT_PATTERN.fullmatch(value) and len(value) > MAX_INT_DIGITS:
        doc.error(node, where, f"{quoted(value)} is too large for a number of days")
        raise _Invalid
    if not INT_PATTERN.fullmatch(value):
        doc.error(node, where, f"expected a whole number, got {quoted(value)}")
        raise _Invalid
    number = int(value)
    if number < minimum:
        doc.error(node, where, f"must be at least {minimum}, got {number}")
        raise _Invalid
    return number


def _enum(doc: _Doc, node: Node, where: str, choices: tuple[str, ...], what: str) -> str:
    value = _scalar(doc, node, where, f"a {what}")
    if value not in choices:
        doc.error(
            node, where,
            f"unknown {what} {quoted(value)}{suggest(value, choices)} "
            f"(one of: {', '.join(choices)})",
        )
        raise _Invalid
    return value


def _goals(doc: _Doc, node: Node, where: str, several_lines: bool = False) -> tuple[str, ...]:
    if _is_null(node):
        return ()
    read_text = _free_text if several_lines else _text
    if isinstance(node, SequenceNode):
        goals = []
        for index, item in enumerate(node.value):
            doc.visit()
            goal = read_text(doc, item, _join(where, index))
            if goal is not None:
                goals.append(goal)
        return tuple(goals)
    value = _scalar(doc, node, where, "text or a list of texts", several_lines)
    return (value,)


def _free_goals(doc: _Doc, node: Node, where: str) -> tuple[str, ...]:
    return _goals(doc, node, where, several_lines=True)


def _plain(doc: _Doc, node: Node, where: str, depth: int = 0) -> Any:
    """A user's `x_` value as plain data, scalars kept as the text written."""
    doc.visit()
    if depth > MAX_EXTRA_DEPTH:
        doc.error(node, where, f"nested more than {MAX_EXTRA_DEPTH} levels deep")
        raise _Invalid
    if isinstance(node, ScalarNode):  # the user's own: free text, as notes are
        return None if _is_null(node) else _scalar(doc, node, where, "text", several_lines=True)
    if isinstance(node, SequenceNode):
        return [_plain(doc, item, _join(where, i), depth + 1) for i, item in enumerate(node.value)]
    mapping = {}
    first_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            doc.error(key_node, where, f"a key must be text, got {_kind(key_node)}")
            raise _Invalid
        key = key_node.value
        if key in first_lines:  # the later value would silently replace the first
            doc.error(key_node, _join(where, key),
                      f"duplicate key (first given on line {first_lines[key]})")
            raise _Invalid
        first_lines[key] = key_node.start_mark.line + 1
        mapping[key] = _plain(doc, value_node, _join(where, key), depth + 1)
    return mapping


# --- mappings and lists -------------------------------------------------------------


@dataclass
class _Fields:
    node: MappingNode
    values: dict[str, Node] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)


def _fields(
    doc: _Doc, node: Node, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = (),
    expected: str = "a mapping", suggestions: tuple[str, ...] = (), own_keys: bool = True,
) -> _Fields:
    """The keys of a mapping node, checked: no duplicates, no unknown keys.

    With `own_keys`, keys starting with x_ are the user's own (not in mkdocs.yml)."""
    if not isinstance(node, MappingNode):
        doc.error(node, where, f"expected {expected}, got {_kind(node)}")
        raise _Invalid
    fields = _Fields(node)
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        doc.visit()
        if not isinstance(key_node, ScalarNode):
            doc.error(key_node, where, f"a key must be text, got {_kind(key_node)}")
            continue
        key = key_node.value
        key_where = _join(where, key)
        if key in seen:
            doc.error(key_node, key_where, f"duplicate key (first given on line {seen[key]})")
            continue
        seen[key] = key_node.start_mark.line + 1
        if own_keys and key.startswith("x_"):
            with contextlib.suppress(_Invalid):
                fields.extras[key] = _plain(doc, value_node, key_where)
        elif key in allowed:
            fields.values[key] = value_node
        else:
            hint = suggest(key, (*allowed, *suggestions))
            doc.error(key_node, key_where, f"unknown key {quoted(key)}{hint}")
    for key in required:
        if key not in fields.values:
            doc.error(node, where, f"missing required key '{key}'")
    return fields


def _items(doc: _Doc, node: Node | None, where: str) -> Iterator[tuple[int, Node, str]]:
    if node is None or _is_null(node):
        return
    if not isinstance(node, SequenceNode):
        doc.error(node, where, f"expected a list, got {_kind(node)}")
        return
    for index, item in enumerate(node.value):
        doc.visit()
        yield index, item, _join(where, index)


def _each(doc: _Doc, node: Node | None, where: str,
          read: Callable[[_Doc, Node, str], T]) -> tuple[T, ...]:
    """Read every item of a list; an invalid item is recorded and skipped."""
    out = []
    for _, item, item_where in _items(doc, node, where):
        with contextlib.suppress(_Invalid):
            out.append(read(doc, item, item_where))
    return tuple(out)


class _Collect:
    """Read several fields of one mapping, recording every failure, not just the first."""

    def __init__(self, doc: _Doc, fields: _Fields, where: str,
                 required: tuple[str, ...] = ()) -> None:
        self.doc, self.fields, self.where, self.required = doc, fields, where, required
        self.failed = False

    def get(self, key: str, read: Callable[[_Doc, Node, str], T]) -> T | None:
        node = self.fields.values.get(key)
        if node is None:
            self.failed |= key in self.required  # its absence is already reported
            return None
        where = _join(self.where, key)
        if _is_null(node):
            if key in self.required:
                self.doc.error(node, where, "must have a value")
                self.failed = True
            return None
        try:
            return read(self.doc, node, where)
        except _Invalid:
            self.failed = True
            return None


# --- the caseload schema ------------------------------------------------------------
#
# Every record (client, session, plan, contact, discharge) is read by `_values`, from
# its declaration in model/schema.py: keys checked by `_fields`, then each declared
# field in declared order, read by the reader of its kind.


def _values(doc: _Doc, node: Node, where: str, record: Record,
            suggestions: tuple[str, ...] = ()) -> tuple[dict[str, Any], _Fields]:
    """The model's values of one record, each field read by its kind, every failure
    recorded; _Invalid when any of its own fields failed (an invalid item of one of
    its lists is recorded and left out, not a failure of the record)."""
    fields = _fields(doc, node, where, record.keys, record.required, record.expected,
                     suggestions)
    read = _Collect(doc, fields, where, record.required)
    values: dict[str, Any] = {}
    for declared, reader, default in _READERS[record.name]:
        name = declared.name
        if declared.kind.name == "records":
            values[name] = _each(doc, fields.values.get(name), _join(where, name), reader)
        else:
            value = read.get(name, reader)
            values[name] = default if value is None else value
    for declared in record.fields:
        if declared.not_before is not None:
            _check_not_before(doc, fields, where, record, declared, values)
    if read.failed:
        raise _Invalid
    if record.extras:
        values[record.extras] = fields.extras
    return values, fields


def _check_not_before(doc: _Doc, fields: _Fields, where: str, record: Record,
                      declared: Field, values: dict[str, Any]) -> None:
    """A day that may not be before another field's day of the record (a signature
    before the plan it signs): an error at its own line."""
    day, other = values.get(declared.name), values.get(declared.not_before or "")
    if type(day) is not date or type(other) is not date or not day < other:
        return
    name = declared.name
    doc.error(fields.values.get(name), _join(where, name),
              f"{day} is before the {record.name}'s {declared.not_before} {other}")
    raise _Invalid


def _reader(record: Record) -> Callable[[_Doc, Node, str], Any]:
    """Read one `record` mapping as its model dataclass."""
    return lambda doc, node, where: record.model(**_values(doc, node, where, record)[0])


def _enum_reader(field: Field) -> Callable[[_Doc, Node, str], str]:
    choices, what = field.kind.choices, field.kind.what
    return lambda doc, node, where: _enum(doc, node, where, choices, what)


def _readers(record: Record) -> list[tuple[Field, Callable[[_Doc, Node, str], Any], Any]]:
    """Each field of `record` with the reader of its kind and its default."""
    readers: list[tuple[Field, Callable[[_Doc, Node, str], Any], Any]] = []
    for declared in record.fields:
        kind = declared.kind
        if kind.name == "enum":
            reader = _enum_reader(declared)
        elif kind.record is not None:
            reader = _reader(kind.record)
        elif declared.several_lines:
            reader = _SEVERAL_LINE_READERS[kind.name]
        else:
            reader = _SCALAR_READERS[kind.name]
        readers.append((declared, reader, kind.default))
    return readers


def _client(doc: _Doc, node: Node, where: str, suggestions: tuple[str, ...] = ()
            ) -> ClientRecord:
    values, fields = _values(doc, node, where, CLIENT, suggestions)
    discharge_node = fields.values.get("discharge")
    discharge_date_node = None
    if isinstance(discharge_node, MappingNode):
        discharge_date_node = next(
            (v for k, v in discharge_node.value if getattr(k, "value", None) == "date"), None
        )
    client = Client(source=Source(doc.path, fields.node.start_mark.line + 1), **values)
    return ClientRecord(client, where, _line(fields.values["id"]),
                        _line(fields.values.get("payer")), _line(fields.values.get("clinician")),
                        _line(discharge_date_node))


def _client_id(doc: _Doc, node: Node, where: str) -> str:
    value = _scalar(doc, node, where, "an id")
    if not ID_PATTERN.fullmatch(value):
        doc.error(
            node, where,
            f"{quoted(value)} is not a valid id: use 1-64 letters, digits, '-' or '_', "
            "starting with a letter or digit",
        )
        raise _Invalid
    return value


_SCALAR_READERS: dict[str, Callable[[_Doc, Node, str], Any]] = {
    "text": _text, "nonempty_text": _required_text, "id": _client_id, "date": _date,
    "bool": _bool, "goals": _goals, "signed_day": _signed_day,
}
# The readers of the kinds that may be declared `several_lines` (schema.SEVERAL_LINE_KINDS).
_SEVERAL_LINE_READERS: dict[str, Callable[[_Doc, Node, str], Any]] = {
    "text": _free_text, "goals": _free_goals,
}
# Each record's fields with their readers, by the record's name.
_READERS: dict[str, list[tuple[Field, Callable[[_Doc, Node, str], Any], Any]]] = {}
_READERS.update((record.name, _readers(record)) for record in (*RECORDS, *LEDGER_RECORDS))


def _ledger_document(doc: _Doc, root: MappingNode) -> list[ClientRecord | LedgerRecord]:
    fields = _fields(doc, root, "", LEDGER.keys, LEDGER.required, LEDGER.expected)
    read = _Collect(doc, fields, "", LEDGER.required)
    source = read.get("source", _text)
    node = fields.values.get("sessions")
    if node is not None and _is_null(node):
        doc.error(node, "sessions", "must have a value (a list of sessions, or [])")
        raise _Invalid
    entry = _reader(LEDGER_ENTRY)
    entries, lines = [], []
    for _, item, where in _items(doc, node, "sessions"):
        with contextlib.suppress(_Invalid):
            entries.append(entry(doc, item, where))
            lines.append(_line(item))
    if read.failed:
        raise _Invalid
    return [LedgerRecord(doc.path, LEDGER.model(source, tuple(entries)), tuple(lines))]


def _content_document(doc: _Doc, root: Node | None) -> list[ClientRecord | LedgerRecord]:
    if root is None:
        doc.error(None, "document", "the file is empty; it must hold a client or a 'clients' list")
        return []
    if isinstance(root, MappingNode) and is_ledger(
            k.value for k, _ in root.value if isinstance(k, ScalarNode)):
        try:
            return _ledger_document(doc, root)
        except _Invalid:
            return []
    if isinstance(root, MappingNode) and any(
        isinstance(k, ScalarNode) and k.value == "clients" for k, _ in root.value
    ):
        fields = _fields(doc, root, "", ("clients",))
        records: list[FileRecord] = []
        for _, item, where in _items(doc, fields.values.get("clients"), "clients"):
            with contextlib.suppress(_Invalid):
                records.append(_client(doc, item, where))
        return records
    if not isinstance(root, MappingNode):
        doc.error(root, "document",
                  f"expected a client (a mapping with 'id') or a 'clients' list, got {_kind(root)}")
        return []
    try:
        return [_client(doc, root, "", suggestions=("clients",))]
    except _Invalid:
        return []


# --- policy files -------------------------------------------------------------------


def _policy_sections(doc: _Doc, fields: _Fields) -> dict[str, Any]:
    policy: dict[str, Any] = {}
    for section, keys in SECTIONS.items():
        node = fields.values.get(section)
        if node is None or _is_null(node):
            continue
        try:
            section_fields = _fields(doc, node, section, keys)
        except _Invalid:
            continue
        for key, value_node in section_fields.values.items():
            setting = SETTINGS_BY_KEY[f"{section}.{key}"]
            where = f"{section}.{key}"
            if _is_null(value_node):  # not given: the layer below stands
                continue
            try:
                if setting.kind == "bool":
                    policy[setting.key] = _bool(doc, value_node, where)
                elif setting.kind == "date":
                    policy[setting.key] = _date(doc, value_node, where)
                else:
                    policy[setting.key] = _int(doc, value_node, where, setting.minimum)
            except _Invalid:
                pass
    return policy


# A practice's name, its clinicians (key -> name; None: no list), their capacities
# (key -> clients; only those given) and its policy.
_Practice = tuple[str | None, dict[str, str] | None, dict[str, int], dict[str, Any]]


def _practice_document(doc: _Doc, root: Node | None) -> _Practice:
    if root is None:
        return None, None, {}, {}
    try:
        fields = _fields(doc, root, "", (*POLICY_FILE_KEYS, "clinicians"),
                         expected="a mapping of practice settings")
    except _Invalid:
        return None, None, {}, {}
    read = _Collect(doc, fields, "")
    name = read.get("name", _required_text)
    clinicians = None
    capacities: dict[str, int] = {}
    node = fields.values.get("clinicians")
    if node is not None and not _is_null(node):
        with contextlib.suppress(_Invalid):
            clinicians, capacities = _clinicians(doc, node)
    return name, clinicians, capacities, _policy_sections(doc, fields)


def _clinicians(doc: _Doc, node: Node) -> tuple[dict[str, str], dict[str, int]]:
    """`clinicians`: each key to a display name, or to `{name, capacity?}`; the two
    forms may stand side by side. The names, and the capacities given."""
    if not isinstance(node, MappingNode):
        doc.error(node, "clinicians", f"expected a mapping of key to name, got {_kind(node)}")
        raise _Invalid
    clinicians: dict[str, str] = {}
    capacities: dict[str, int] = {}
    seen: dict[str, tuple[str, int]] = {}  # key ignoring case -> (key, line)
    for key_node, value_node in node.value:
        if not isinstance(key_node, ScalarNode):
            doc.error(key_node, "clinicians", f"a key must be text, got {_kind(key_node)}")
            continue
        key = key_node.value
        where = _join("clinicians", key)
        twin = seen.get(key.lower())
        if twin is not None:
            doc.error(key_node, where, "duplicate key" if twin[0] == key
                      else _case_twin("clinician key", key, *twin))
            continue
        seen[key.lower()] = (key, key_node.start_mark.line + 1)
        if not isinstance(value_node, MappingNode):
            with contextlib.suppress(_Invalid):
                clinicians[key] = _required_text(doc, value_node, where)
            continue
        with contextlib.suppress(_Invalid):
            fields = _fields(doc, value_node, where, CLINICIAN_KEYS, required=("name",))
            read = _Collect(doc, fields, where, required=("name",))
            name = read.get("name", _required_text)
            capacity = read.get("capacity", _capacity)
            # Listed even when its name is wrong, so that its clients are not
            # reported as naming an unknown clinician as well.
            clinicians[key] = name if name is not None else key
            if capacity is not None:
                capacities[key] = capacity
    return clinicians, capacities


CLINICIAN_KEYS = ("name", "capacity")


def _case_twin(what: str, value: str, first: str, where_first: str | int) -> str:
    # Each clinician gets a page named by its key, and on a system that ignores
    # case (macOS, Windows) 'kim.html' and 'Kim.html' are one file: one clinician's
    # page would silently replace the other's. Client ids are unique ignoring case
    # for the same reason.
    at = f"line {where_first}" if isinstance(where_first, int) else where_first
    return (f"{what} {quoted(value)} differs only in case from {quoted(first)} ({at}); "
            "write it one way: their pages would overwrite each other")


def _capacity(doc: _Doc, node: Node, where: str) -> int:
    """How many clients a clinician can carry: a whole number, 0 or more."""
    value = _scalar(doc, node, where, "a whole number of clients")
    if not INT_PATTERN.fullmatch(value):
        doc.error(node, where, f"expected a whole number of clients, got {quoted(value)}")
        raise _Invalid
    if len(value.lstrip("+-")) > MAX_INT_DIGITS:
        doc.error(node, where, f"{quoted(value)} is too large for a number of clients")
        raise _Invalid
    number = int(value)
    if number < 0:
        doc.error(node, where, f"must be 0 or more, got {number}")
        raise _Invalid
    return number


def _payer_document(doc: _Doc, root: Node | None, payer_id: str) -> Payer | None:
    if root is None:
        return Payer(payer_id, payer_id, {}, Source(doc.path, 1))
    try:
        fields = _fields(doc, root, "", POLICY_FILE_KEYS, expected="a mapping of payer settings")
    except _Invalid:
        return None
    read = _Collect(doc, fields, "")
    name = read.get("name", _required_text)
    policy = _policy_sections(doc, fields)
    return Payer(payer_id, name or payer_id, policy, Source(doc.path, root.start_mark.line + 1))


# --- files --------------------------------------------------------------------------


def _read_document(root: Path, path: Path, errors: list[InputError]) -> tuple[_Doc, Node | None]:
    doc = _Doc(path.relative_to(root).as_posix(), errors, budget=0)
    data = _read_bytes(root, path, doc, resolve=True)
    text = _decode(data, doc) if data is not None else None
    if text is None:
        raise _Invalid
    return doc, _parse(doc, text)


def _parse(doc: _Doc, text: str) -> Node | None:
    doc.budget = 100_000 + 2 * len(text)
    try:
        return yamlnodes.compose(text)
    except yamlnodes.YamlSyntaxError as exc:
        doc.errors.append(InputError(doc.path, exc.line, "YAML", exc.message))
        raise _Invalid from None


def _read_bytes(root: Path, path: Path, doc: _Doc, resolve: bool = False) -> bytes | None:
    """The file's bytes, unless it leads outside the workspace, is too large or is
    not a regular file.

    Under content/, folders that are links are never walked into and content/
    itself is checked once, so only a file that is a link can lead elsewhere;
    the few policy files are always resolved (`resolve`).
    """
    try:
        if not resolve:
            try:  # a file that is no link (most are) is read with one look less
                return read_regular(path, follow=False, limit=MAX_FILE_BYTES)
            except NotRegularFile:
                pass  # a link, or no file at all: looked at below, as every policy file is
        if (resolve or path.is_symlink()) and not path.resolve().is_relative_to(root.resolve()):
            doc.error(None, "file", "is a link to a place outside the workspace; not read")
            return None
        return read_regular(path, limit=MAX_FILE_BYTES)
    except NotRegularFile as exc:  # a FIFO would hang the read, a device never end it
        doc.error(None, "file", str(exc))
        return None
    except FileTooLarge as exc:
        doc.error(None, "file", f"is {exc.size // (1024 * 1024)} MiB; the limit is "
                  f"{MAX_FILE_BYTES // (1024 * 1024)} MiB a file: split it into several files")
        return None
    except (OSError, RuntimeError) as exc:  # Python 3.11's resolve() raises RuntimeError
        if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:  # for a loop of links
            doc.error(None, "file", _LINK_LOOP)
        else:
            doc.error(None, "file", f"cannot be read ({exc.strerror or exc})")
        return None


_LINK_LOOP = "is a symbolic link in a loop of links (it never reaches a file); not read"


def _decode(data: bytes, doc: _Doc) -> str | None:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        doc.errors.append(InputError(doc.path, line, "file",
                                     f"is not valid UTF-8 (byte 0x{data[exc.start]:02x})"))
        return None


@dataclass(frozen=True, slots=True)
class _FileRead:
    """One content file's clients: as records (the exact path), or in the parse
    cache's layout (the fast path, which does not make clients); and its cache
    key, None unless the file was valid."""

    records: list[FileRecord] | None
    plain: list[Any] | None
    key: str | None
    text: str | None = None  # `plain` as the cache's JSON, when it came that way

    def clients(self, days: Days) -> list[FileRecord]:
        if self.records is not None:
            return self.records
        return records_from_plain(self.plain or [], days)


def _load_content_file(root: Path, path: Path, errors: list[InputError],
                       cache: ParseCache | None, fast: bool = False,
                       rel: str | None = None) -> _FileRead:
    """The clients of one file, and (with a cache) its cache key when it was valid.

    With `fast`, a plainly valid file is read by `fast`; anything else, and
    every file with a problem, is read the exact way, which reports it. `rel` is
    the file's path as the report shows it, when known.
    """
    doc = _Doc(rel or path.relative_to(root).as_posix(), errors, budget=0)
    data = _read_bytes(root, path, doc)
    if data is None:
        return _FileRead([], None, None)
    text = _decode(data, doc)
    if text is None:
        return _FileRead([], None, None)
    key = cache.key(doc.path, data) if cache else None
    accepted = None
    if fast:
        from generator.reading import fast as fast_reader  # (imported when first needed)

        accepted = fast_reader.read_clients(data, text, doc.path)
    if accepted is not None:
        return _FileRead(None, accepted, key)
    errors_before = len(errors)
    try:
        records = _content_document(doc, _parse(doc, text))
    except _Invalid:
        return _FileRead([], None, None)
    except _TooLarge:
        errors.append(_too_large(doc))
        return _FileRead([], None, None)
    valid = len(errors) == errors_before
    return _FileRead(records, None, key if valid else None)


def content_files(root: Path, errors: list[InputError]) -> list[Path]:
    """Every *.yaml/*.yml below content/, in a stable order (of their paths as the
    report shows them, so the same on every system)."""
    return [path for _, path in _content_entries(root, errors)]


def _content_entries(root: Path, errors: list[InputError]) -> list[tuple[str, Path]]:
    """`content_files`, each with its path as the report shows it."""
    found: list[tuple[str, Path]] = []
    for directory, dirnames, filenames in os.walk(root / CONTENT_DIR):
        here = Path(directory)
        shown = here.relative_to(root).as_posix()
        for name in list(dirnames):
            if (here / name).is_symlink():
                errors.append(InputError(f"{shown}/{name}", 1, "folder",
                                         "is a symbolic link; links to folders are not followed"))
        dirnames[:] = sorted(d for d in dirnames if not (here / d).is_symlink())
        found.extend((f"{shown}/{name}", here / name) for name in filenames
                     if name.endswith((".yaml", ".yml")))
    return sorted(found)


PARALLEL_FROM_FILES = 200


def _load_content(root: Path, files: list[tuple[str, Path]], errors: list[InputError],
                  cache: ParseCache | None) -> list[FileRecord]:
    """The clients of every content file (`_content_entries`), in file order: those
    whose bytes were seen valid before from the cache, the others parsed on every
    core when there are many."""
    slots: list[list[FileRecord] | None] = []
    if cache is not None and cache.stored():  # a first run reads every file once
        # Each file's key (its bytes hashed) is worked out on every core, and this
        # process meanwhile reads the cache and makes the clients of each slice of
        # keys as it comes back: a warm check spends most of its time on those two.
        def keys_of(part: Sequence[tuple[str, Path]]) -> list[str | None]:
            return [_cache_key(root, rel, path, cache) for rel, path in part]

        def take(keys: list[str | None]) -> None:
            slots.extend(None if key is None else cache.get(key) for key in keys)

        map_slices(keys_of, files, minimum=PARALLEL_FROM_FILES, on_result=take)
    else:
        slots = [None] * len(files)
    missing = [file for file, slot in zip(files, slots, strict=True) if slot is None]
    fast = bool(missing) and _fast_reader_available()

    def load_slice(part: Sequence[tuple[str, Path]]) -> _ReadFiles:
        found: list[InputError] = []
        return _ReadFiles([_load_content_file(root, path, found, cache, fast, rel)
                           for rel, path in part], found)

    parsed: list[list[FileRecord]] = []
    days = Days()

    def take_files(part: _ReadFiles) -> None:
        # Here, as each slice comes back, while the workers parse the next ones: a
        # cold check at 10,000 clients spends a second of this process's time here.
        for read in part.files:
            records = read.clients(days)
            parsed.append(records)
            if cache and read.key:  # here, not in a worker: the parent keeps the cache
                cache.put(read.key, records, read.plain, read.text)
        errors.extend(part.errors)

    map_slices(load_slice, missing, minimum=PARALLEL_FROM_FILES, on_result=take_files)
    fresh = iter(parsed)
    return [record for slot in slots for record in (slot if slot is not None else next(fresh))]


def _fast_reader_available() -> bool:
    # Imported only when some file must be parsed: rapidyaml and what it loads are
    # a good part of the start-up of a warm run, which parses nothing.
    from generator.reading import fast as fast_reader

    return fast_reader.available()


@dataclass
class _ReadFiles:
    """What one slice of the content files gave: each file's clients and cache key,
    and the errors found.

    A worker sends it to the parent pickled, and frozen dataclasses pickle slowly
    (several Python calls per session), so every file travels as its parse cache
    entry, a line of JSON made in the worker, and the parent makes the clients
    as a warm run makes cached ones, and keeps the line for the cache as it is.
    """

    files: list[_FileRead]
    errors: list[InputError]

    def __reduce__(self) -> tuple[Any, ...]:
        files = [(entry_text(read.plain if read.plain is not None
                             else plain_records(read.records or [])), read.key)
                 for read in self.files]
        return (_ReadFiles.from_texts, (files, self.errors))

    @classmethod
    def from_texts(cls, files: list[tuple[str, str | None]], errors: list[InputError]
                   ) -> _ReadFiles:
        return cls([_FileRead(None, json.loads(text), key, text) for text, key in files], errors)


def _cache_key(root: Path, rel: str, path: Path, cache: ParseCache) -> str | None:
    # Any problem with the file is reported when it is read again for parsing.
    data = _read_bytes(root, path, _Doc(rel, [], budget=0))
    return cache.key(rel, data) if data is not None else None


def load_workspace(root: Path, cache: ParseCache | None = None) -> Caseload:
    """The validated caseload of the workspace at `root`, or WorkspaceInvalid.

    With a `cache`, files whose exact bytes were validated before are not parsed
    again; cross-file checks (unique ids, payers, clinicians) always run.
    """
    errors: list[InputError] = []
    content = root / CONTENT_DIR
    try:
        outside = content.is_symlink() and not content.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a loop of links
        raise WorkspaceInvalid([InputError(CONTENT_DIR, 1, "folder", _LINK_LOOP)]) from None
    if outside:
        raise WorkspaceInvalid([InputError(CONTENT_DIR, 1, "folder",
                                           "is a link to a place outside the workspace; not read")])
    if not content.is_dir():
        raise WorkspaceInvalid([InputError(
            CONTENT_DIR, 1, "workspace",
            f"no content/ folder in {root}; is this a caseload workspace? "
            "(`caseload init DIR` writes a new one)",
        )])
    practice_name, clinicians, capacities, practice_policy = _load_practice(root, errors)
    payers = _load_payers(root, errors)
    records = _load_content(root, _content_entries(root, errors), errors, cache)
    exact = _ExactLines(root)
    clients = _cross_check([r for r in records if isinstance(r, ClientRecord)], payers,
                           clinicians, errors, exact)
    clients = _with_ledgers(clients, [r for r in records if isinstance(r, LedgerRecord)],
                            errors, exact)
    if errors:
        raise WorkspaceInvalid(errors)  # and changes nothing, not even the cache
    if cache:
        cache.save()
    return Caseload(
        practice_name=practice_name or "Caseload report",
        clinicians=clinicians,
        practice_policy=practice_policy,
        payers=payers,
        clients=tuple(sorted(clients, key=lambda c: c.id)),
        capacities=capacities,
    )


def _load_practice(root: Path, errors: list[InputError]) -> _Practice:
    path = root / PRACTICE_FILE
    if not path.exists() and not path.is_symlink():
        return None, None, {}, {}
    try:
        doc, node = _read_document(root, path, errors)
        return _practice_document(doc, node)
    except _Invalid:
        return None, None, {}, {}
    except _TooLarge:
        errors.append(_too_large(doc))
        return None, None, {}, {}


def _payer_paths(root: Path) -> list[Path]:
    """The payer files of a workspace, in name order (each payer's id is its stem)."""
    folder = root / PAYERS_DIR
    if not folder.is_dir():
        return []
    return [path for path in sorted(folder.iterdir())
            if path.suffix in (".yaml", ".yml") and not path.is_dir()]


def payer_ids(root: Path) -> frozenset[str]:
    """The ids of the payers a workspace defines, known from its file names alone: what
    an audit request is checked against when the workspace itself has input errors,
    so that the errors of both are reported together."""
    return frozenset(path.stem for path in _payer_paths(root)
                     if ID_PATTERN.fullmatch(path.stem))


def _load_payers(root: Path, errors: list[InputError]) -> dict[str, Payer]:
    payers: dict[str, Payer] = {}
    seen: dict[str, str] = {}
    for path in _payer_paths(root):
        rel = path.relative_to(root).as_posix()
        payer_id = path.stem
        if not ID_PATTERN.fullmatch(payer_id):
            errors.append(InputError(rel, 1, "file", "a payer file's name must be a valid id "
                                     "(letters, digits, '-' or '_')"))
            continue
        if payer_id.lower() in seen:
            other = seen[payer_id.lower()]
            errors.append(InputError(rel, 1, "file",
                                     f"payer '{payer_id}' is also defined by {other}"))
            continue
        seen[payer_id.lower()] = rel
        try:
            doc, node = _read_document(root, path, errors)
            payer = _payer_document(doc, node, payer_id)
        except _Invalid:
            continue
        except _TooLarge:
            errors.append(_too_large(doc))
            payer = None
        # An invalid payer file is reported once, for the file; its clients still
        # name a payer that exists.
        payers[payer_id] = payer or Payer(payer_id, payer_id, {}, Source(rel, 1))
    return payers


def _cross_check(records: list[ClientRecord], payers: dict[str, Payer],
                 clinicians: dict[str, str] | None, errors: list[InputError],
                 exact: Callable[[ClientRecord], ClientRecord]) -> list[Client]:
    """Checks that need more than one node: unique ids, known payers and clinicians."""
    clients = []
    first_by_id: dict[str, ClientRecord] = {}
    # Without a list in practice.yaml, the clinicians are whatever the clients name:
    # the first spelling of each, ignoring case.
    first_by_clinician: dict[str, ClientRecord] = {}
    for record in records:
        client = record.client
        first = first_by_id.setdefault(client.id.lower(), record)
        duplicate = first is not record
        unknown_payer = client.payer is not None and client.payer not in payers
        unknown_clinician = clinicians is not None and client.clinician is not None \
            and client.clinician not in clinicians
        spelt = first_by_clinician.setdefault(client.clinician.lower(), record) \
            if clinicians is None and client.clinician is not None else record
        clinician_case = spelt.client.clinician != client.clinician
        discharged_on = client.discharge.date if client.discharge else None
        discharged_early = discharged_on is not None and discharged_on < client.intake_date
        if not (duplicate or unknown_payer or unknown_clinician or clinician_case
                or discharged_early):
            clients.append(client)
            continue
        record = exact(record)
        path = client.source.path
        if duplicate:
            first = exact(first)
            errors.append(InputError(
                path, record.id_line, _join(record.where, "id"),
                f"duplicate id '{client.id}' (also used at "
                f"{first.client.source.path}:{first.id_line})"))
        if unknown_payer:
            errors.append(InputError(
                path, record.payer_line, _join(record.where, "payer"),
                f"no policy file for payer {quoted(client.payer or '')} in {PAYERS_DIR}/"
                f"{suggest(client.payer or '', payers)}"))
        if unknown_clinician:
            errors.append(InputError(
                path, record.clinician_line, _join(record.where, "clinician"),
                f"{quoted(client.clinician or '')} is not in the practice's clinicians"
                f"{suggest(client.clinician or '', clinicians or {})}"))
        if clinician_case:
            spelt = exact(spelt)
            errors.append(InputError(
                path, record.clinician_line, _join(record.where, "clinician"),
                _case_twin("clinician", client.clinician or "", spelt.client.clinician or "",
                           f"{spelt.client.source.path}:{spelt.clinician_line}")))
        if discharged_early:
            errors.append(InputError(
                path, record.discharge_date_line, _join(record.where, "discharge.date"),
                f"discharge date {discharged_on} is before the intake date {client.intake_date}"))
    return clients


def _with_ledgers(clients: list[Client], ledgers: list[LedgerRecord], errors: list[InputError],
                  exact: _ExactLines) -> list[Client]:
    """Each client with the sessions the ledgers hold for it, in date order (one day's
    in the order listed, ledger files in path order); an entry naming no client, and
    a client with sessions of its own and in a ledger, are errors."""
    if not ledgers:
        return clients
    by_id = {client.id.lower(): client for client in reversed(clients)}  # the first of an id
    found: dict[str, list[tuple[LedgerRecord, int]]] = {}
    for ledger in ledgers:
        unknown = []
        for index, entry in enumerate(ledger.ledger.sessions):
            key = entry.client.lower()
            if key in by_id:
                found.setdefault(key, []).append((ledger, index))
            else:
                unknown.append(index)
        if unknown:
            lines = exact.ledger(ledger).lines
            for index in unknown:
                name = ledger.ledger.sessions[index].client
                errors.append(InputError(
                    ledger.path, _nth(lines, index), f"sessions[{index}].client",
                    f"no client with id {quoted(name)}{suggest(name, [c.id for c in clients])}"))
    out = []
    for client in clients:
        entries = found.get(client.id.lower())
        if not entries:
            out.append(client)
            continue
        if client.sessions:
            ledger, index = entries[0]
            line = _nth(exact.ledger(ledger).lines, index)
            errors.append(InputError(
                ledger.path, line, f"sessions[{index}].client",
                f"client '{client.id}' also lists sessions of its own "
                f"({client.source.path}:{client.source.line}); keep one source of sessions "
                "per client: move them into the ledger or leave the client out of it"))
            out.append(client)
            continue
        sessions = sorted((session_of(ledger.ledger.sessions[index]) for ledger, index in entries),
                          key=attrgetter("date"))
        labels = tuple(dict.fromkeys(ledger.label for ledger, _ in entries))
        out.append(replace(client, sessions=tuple(sessions), sessions_from=labels))
    return out


def _nth(lines: tuple[int, ...], index: int) -> int:
    return lines[index] if index < len(lines) else 1


class _ExactLines:
    """A record as the exact path reads it, lines and all, for an error message.

    Records from the fast path (or from the cache of one) carry no lines; the few
    that an error is about are read again, once per file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, dict[str, ClientRecord]] = {}

    def __call__(self, record: ClientRecord) -> ClientRecord:
        if record.id_line:
            return record
        path = record.client.source.path
        if path not in self.files:
            found = _load_content_file(self.root, self.root / path, [], None).records or []
            self.files[path] = {exact.where: exact for exact in found
                                if isinstance(exact, ClientRecord)}
        return self.files[path].get(record.where, record)

    def ledger(self, record: LedgerRecord) -> LedgerRecord:
        """The ledger as the exact path reads it, with each entry's line."""
        if record.lines:
            return record
        found = _load_content_file(self.root, self.root / record.path, [], None).records or []
        exact = next((r for r in found if isinstance(r, LedgerRecord)), None)
        return exact if exact is not None else record


def _too_large(doc: _Doc) -> InputError:
    return InputError(doc.path, 1, "document",
                      "anchors and aliases expand this file too far; write the data out instead")


def _line(node: Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1

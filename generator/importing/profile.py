"""Import profiles: which column of an export holds what, and what its values mean.

A profile is a small YAML file. It is read safely and by its own schema, like
the caseload: PyYAML composes the node tree (no tags, anchors or aliases; no
Python object is ever constructed), each value is typed by what its field is,
and every problem is reported as `FILE:LINE: where: what`, all in one run.
The built-in profiles (simplepractice, jane, fhir) are files like any other,
shipped inside the package and read by the same reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.importing.problems import Problems, did_you_mean, normal, quoted
from generator.importing.statuses import SESSION_STATUSES
from generator.model.records import ID_PATTERN

BUILT_IN = ("simplepractice", "jane", "fhir")
MAX_PROFILE_BYTES = 256 * 1024

# How dates may be written in a date column. Every format also takes an ISO
# date (2026-11-03), which nothing else can be mistaken for.
DATE_FORMATS = ("MM/DD/YYYY", "DD/MM/YYYY", "DD.MM.YYYY", "YYYY-MM-DD")
SKIP = "skip"  # a status value mapped to this is not imported (e.g. entered in error)

_NULLS = ("", "~", "null", "Null", "NULL")
_ALLOWED_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in
                          ("str", "int", "float", "bool", "null", "timestamp", "seq", "map"))

TOP_KEYS = ("title", "format", "client", "date", "status", "clinician", "note", "ignore")
FHIR_KEYS = ("title", "format", "status", "clinician")
SECTION_KEYS = {
    "client": ("id", "name"),
    "date": ("column", "format", "timezone"),
    "status": ("column", "values"),
    "clinician": ("column", "values"),
    "note": ("column", "values", "format"),
}

T = TypeVar("T")


@dataclass(frozen=True)
class ValueMap(Generic[T]):
    """Export values (compared ignoring case and spacing) to what they mean."""

    targets: dict[str, T] = field(default_factory=dict)  # normal(value) -> meaning
    written: tuple[str, ...] = ()  # the values as the profile writes them, for suggestions
    lines: dict[str, int] = field(default_factory=dict)  # normal(value) -> profile line

    def get(self, value: str) -> T | None:
        return self.targets.get(normal(value))

    def __contains__(self, value: str) -> bool:
        return normal(value) in self.targets


@dataclass(frozen=True)
class Profile:
    source: str  # the ledger's name: content/imported/<source>-<year>.yaml
    label: str  # where the profile came from, for messages
    kind: Literal["table", "fhir"] = "table"
    title: str = ""
    client_id: str | None = None
    client_name: tuple[str, ...] = ()
    date_column: str = ""
    date_format: str = "YYYY-MM-DD"
    timezone: str | None = None
    status_column: str = ""
    statuses: ValueMap[str] = field(default_factory=ValueMap)
    clinician_column: str | None = None
    clinicians: ValueMap[str] = field(default_factory=ValueMap)
    note_column: str | None = None
    notes: ValueMap[bool] = field(default_factory=ValueMap)
    note_format: str | None = None
    ignore: tuple[str, ...] = ()

    def columns(self) -> list[tuple[str, str]]:
        """(role, column) for every column the profile reads, in a stable order."""
        found = [("client id", self.client_id)] if self.client_id else []
        found += [("client name", c) for c in self.client_name]
        found += [("date", self.date_column), ("status", self.status_column)]
        if self.clinician_column:
            found.append(("clinician", self.clinician_column))
        if self.note_column:
            found.append(("note", self.note_column))
        return found


class ProfileInvalid(Exception):
    def __init__(self, problems: Problems) -> None:
        super().__init__("profile invalid")
        self.problems = problems


def load_profile(source: str) -> Profile:
    """The profile SOURCE names: a built-in name, or the path of a profile file."""
    if source in BUILT_IN:
        text = (resources.files("generator.importing") / "profiles" / f"{source}.yaml"
                ).read_text(encoding="utf-8")
        return parse_profile(text, source, f"{source} (built-in profile)")
    path = Path(source)
    problems = Problems()
    looks_like_a_path = path.suffix in (".yaml", ".yml") or "/" in source or "\\" in source
    if not looks_like_a_path and not path.exists():
        problems.add(f"caseload import: unknown source '{source}'",
                     f"name one of {', '.join(BUILT_IN)}, or the path of a profile file"
                     f"{did_you_mean(source, BUILT_IN)}")
        raise ProfileInvalid(problems)
    if not ID_PATTERN.fullmatch(path.stem):
        problems.add(str(path), "a profile's file name names its ledger: use letters, digits, "
                     "- and _ only (e.g. my-practice-system.yaml)")
        raise ProfileInvalid(problems)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.add(str(path), f"cannot read the profile: {exc.strerror or exc}")
        raise ProfileInvalid(problems) from None
    if len(data) > MAX_PROFILE_BYTES:
        problems.add(str(path), f"a profile is a small file; this one is over "
                     f"{MAX_PROFILE_BYTES // 1024} KiB")
        raise ProfileInvalid(problems)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.add(str(path), "not UTF-8 text")
        raise ProfileInvalid(problems) from None
    return parse_profile(text, path.stem, str(path))


# --- reading --------------------------------------------------------------------------


class _Bad(Exception):
    """A value that failed; its problem is recorded."""


class _Reader:
    def __init__(self, label: str) -> None:
        self.label = label
        self.problems = Problems()
        self._found: list[tuple[int, int, str]] = []

    def error(self, node: Node | None, where: str, what: str) -> None:
        # Reported in line order once the whole profile is read (see `finish`).
        line = node.start_mark.line + 1 if node is not None else 1
        self._found.append((line, len(self._found), f"{where or 'profile'}: {what}"))

    def finish(self) -> Problems:
        for line, _, message in sorted(self._found):
            self.problems.add(f"{self.label}:{line}", message)
        self._found.clear()
        return self.problems

    def fields(self, node: Node, where: str, allowed: tuple[str, ...],
               required: tuple[str, ...] = ()) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.error(node, where, f"expected a mapping, got {_kind(node)}")
            raise _Bad
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, where, f"a key must be text, got {_kind(key_node)}")
                continue
            key = key_node.value
            key_where = f"{where}.{key}" if where else key
            if key in found:
                self.error(key_node, key_where, "duplicate key")
            elif key in allowed:
                found[key] = value_node
            else:
                self.error(key_node, key_where,
                           f"unknown key {quoted(key, 'key')}{did_you_mean(key, allowed)} "
                           f"(one of: {', '.join(allowed)})")
        for key in required:
            if key not in found:
                self.error(node, where, f"missing required key '{key}'")
        return found

    def text(self, node: Node, where: str) -> str:
        if not isinstance(node, ScalarNode) or _is_null(node) or not node.value.strip():
            self.error(node, where, "expected a column name or text"
                       if not isinstance(node, ScalarNode) else "must not be empty")
            raise _Bad
        return str(node.value).strip()

    def choice(self, node: Node, where: str, choices: tuple[str, ...], what: str) -> str:
        value = self.text(node, where)
        if value not in choices:
            self.error(node, where, f"unknown {what} {quoted(value)}"
                       f"{did_you_mean(value, choices)} (one of: {', '.join(choices)})")
            raise _Bad
        return value

    def columns(self, node: Node, where: str) -> tuple[str, ...]:
        if isinstance(node, SequenceNode):
            names = tuple(self.text(item, f"{where}[{i}]") for i, item in enumerate(node.value))
            if not names:
                self.error(node, where, "must name at least one column")
                raise _Bad
            return names
        return (self.text(node, where),)

    def value_map(self, node: Node, where: str, meaning: str,
                  convert: Callable[[_Reader, Node, str], T]) -> ValueMap[T]:
        if not isinstance(node, MappingNode):
            self.error(node, where, f"expected a mapping of export values to {meaning}, "
                       f"got {_kind(node)}")
            raise _Bad
        targets: dict[str, T] = {}
        lines: dict[str, int] = {}
        written: list[str] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, where, f"a value must be text, got {_kind(key_node)}")
                continue
            key = "" if _is_null(key_node) else str(key_node.value)
            key_where = f"{where}.{key}" if key else f'{where}.""'
            if normal(key) in targets:
                self.error(key_node, key_where, "listed twice (values are compared ignoring "
                           "letter case and spaces)")
                continue
            try:
                targets[normal(key)] = convert(self, value_node, key_where)
            except _Bad:
                continue
            lines[normal(key)] = key_node.start_mark.line + 1
            written.append(key)
        return ValueMap(targets, tuple(written), lines)


def _status(reader: _Reader, node: Node, where: str) -> str:
    return reader.choice(node, where, (*SESSION_STATUSES, SKIP), "status")


def _key(reader: _Reader, node: Node, where: str) -> str:
    return reader.text(node, where)


def _signed(reader: _Reader, node: Node, where: str) -> bool:
    value = node.value.lower() if isinstance(node, ScalarNode) else None
    if value not in ("true", "false"):
        reader.error(node, where, "expected true (signed) or false (not signed)")
        raise _Bad
    return value == "true"


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and not node.style and node.value in _NULLS


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return quoted(str(node.value))


def _compose(text: str, reader: _Reader) -> Node | None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reader.problems.add(f"{reader.label}:{mark.line + 1 if mark else 1}",
                            f"not valid YAML: {exc.problem or exc.context or 'syntax error'}")
        return None
    except yaml.YAMLError:
        reader.problems.add(f"{reader.label}:1", "not valid YAML")
        return None
    if root is None:
        return None
    # Plain data only: no tags beyond YAML's own scalars, no anchors or aliases.
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            reader.error(node, "", "anchors and aliases are not allowed in a profile")
            return None
        seen.add(id(node))
        if node.tag not in _ALLOWED_TAGS:
            reader.error(node, "", "tags are not allowed in a profile")
            return None
        if isinstance(node, SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, MappingNode):
            for pair in node.value:
                pending.extend(pair)
    return root


def parse_profile(text: str, source: str, label: str) -> Profile:
    reader = _Reader(label)
    root = _compose(text, reader)
    if root is None:
        problems = reader.finish()
        if not problems:
            problems.add(f"{label}:1", "the profile is empty")
        raise ProfileInvalid(problems)
    try:
        profile = _profile(reader, root, source, label)
    except _Bad:
        profile = None
    problems = reader.finish()
    if problems or profile is None:
        raise ProfileInvalid(problems)
    return profile


def _profile(r: _Reader, root: Node, source: str, label: str) -> Profile:
    """The profile from its node tree; every field is checked even after one fails."""
    top = r.fields(root, "", TOP_KEYS)
    values: dict[str, object] = {"source": source, "label": label, "kind": "table"}
    failed = False

    def put(name: str, read: Callable[..., object], *args: object) -> None:
        nonlocal failed
        try:
            values[name] = read(*args)
        except _Bad:
            failed = True

    def section(key: str, allowed: tuple[str, ...], required: tuple[str, ...]
                ) -> dict[str, Node]:
        nonlocal failed
        if key not in top:
            return {}
        try:
            return r.fields(top[key], key, allowed, required)
        except _Bad:
            failed = True
            return {}

    if "format" in top:
        put("kind", r.choice, top["format"], "format", ("table", "fhir"), "format")
    if "title" in top:
        put("title", r.text, top["title"], "title")
    if values["kind"] == "fhir":
        for key in top:
            if key not in FHIR_KEYS:
                r.error(top[key], key, "a FHIR profile reads no columns: only title, "
                        "status.values and clinician.values apply")
        if "status" not in top:
            r.error(root, "", "missing required key 'status'")
        status = section("status", ("values",), ("values",))
        clinician = section("clinician", ("values",), ())
    else:
        for key in ("client", "date", "status"):
            if key not in top:
                r.error(root, "", f"missing required key '{key}'")
        client = section("client", SECTION_KEYS["client"], ())
        if "client" in top and not failed and not client.keys() & {"id", "name"}:
            r.error(top["client"], "client", "name the column of the client's id, of its "
                    "name, or both")
        if "id" in client:
            put("client_id", r.text, client["id"], "client.id")
        if "name" in client:
            put("client_name", r.columns, client["name"], "client.name")
        day = section("date", SECTION_KEYS["date"], ("column",))
        if "column" in day:
            put("date_column", r.text, day["column"], "date.column")
        if "format" in day:
            put("date_format", r.choice, day["format"], "date.format", DATE_FORMATS,
                "date format")
        if "timezone" in day:
            put("timezone", _zone, r, day["timezone"])
        status = section("status", SECTION_KEYS["status"], ("column",))
        if "column" in status:
            put("status_column", r.text, status["column"], "status.column")
        if "status" in top and "values" not in status and isinstance(top["status"],
                                                                     MappingNode):
            r.error(top["status"], "status", "missing required key 'values' (what each "
                    "status in the export means)")
        clinician = section("clinician", SECTION_KEYS["clinician"], ("column",))
        if "column" in clinician:
            put("clinician_column", r.text, clinician["column"], "clinician.column")
        note = section("note", SECTION_KEYS["note"], ("column",))
        if "column" in note:
            put("note_column", r.text, note["column"], "note.column")
        if "values" in note:
            put("notes", r.value_map, note["values"], "note.values", "true or false", _signed)
        if "format" in note:
            put("note_format", r.choice, note["format"], "note.format", DATE_FORMATS,
                "date format")
        if "note" in top and isinstance(top["note"], MappingNode) \
                and not note.keys() & {"values", "format"}:
            r.error(top["note"], "note", "say what the column's values mean (values:), or "
                    "that it holds the day the note was signed (format:)")
        if "ignore" in top:
            put("ignore", r.columns, top["ignore"], "ignore")
    if "values" in status:
        put("statuses", r.value_map, status["values"], "status.values", "statuses", _status)
    if "values" in clinician:
        put("clinicians", r.value_map, clinician["values"], "clinician.values",
            "practice.yaml clinician keys", _key)
    if failed:
        raise _Bad
    profile = Profile(**values)  # type: ignore[arg-type]
    if profile.kind == "table":
        _check_columns(r, top, profile)
    return profile


def _zone(r: _Reader, node: Node) -> str:
    zone = r.text(node, "date.timezone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        r.error(node, "date.timezone", f"unknown time zone {quoted(zone)}; write it like "
                "America/Chicago")
        raise _Bad from None
    return zone


def _check_columns(r: _Reader, top: dict[str, Node], profile: Profile) -> None:
    seen: dict[str, str] = {}
    for role, column in profile.columns():
        if normal(column) in seen:
            r.error(top.get(role.split()[0]), role.split()[0],
                    f"column '{column}' is read as the {seen[normal(column)]} already")
        seen[normal(column)] = role
    for column in profile.ignore:
        if normal(column) in seen:
            r.error(top["ignore"], "ignore", f"column '{column}' is read as the "
                    f"{seen[normal(column)]}; it cannot be ignored too")


"""Session ledgers: the files an import owns, content/imported/<source>-<year>.yaml.

    source: simplepractice
    sessions:
      - client: C-1001
        date: 2026-11-03
        status: attended
        note_signed: true

An import reads back the ledgers it wrote before, to replace what it replaces
and keep the rest. It reads them as a stream of YAML events (libyaml when
present), never as a tree, so a year of a large practice costs little memory,
and it types every value by the ledger's schema (a `client: 0012` stays
"0012"). A person may have added a `note` or `x_` keys to an entry: they are
kept, and carried over when that session comes again from the export.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from generator.importing import emit
from generator.importing.problems import Problems, did_you_mean, quoted
from generator.importing.statuses import SESSION_STATUSES
from generator.model.records import DATE_PATTERN

LEDGER_DIR = "content/imported"
ENTRY_KEYS = ("client", "date", "status", "note_signed", "note")
_NULLS = ("", "~", "null", "Null", "NULL")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


Day = date  # (the entry's field `date` would hide the type's name in its body)


@dataclass(slots=True)
class Entry:
    client: str
    date: Day
    status: str
    note_signed: Day | bool | None = None
    note: str | None = None
    extras: tuple[tuple[str, str], ...] = ()  # (x_ key, its value as one line of YAML)


def ledger_path(source: str, year: int) -> str:
    return f"{LEDGER_DIR}/{source}-{year}.yaml"


def ledger_years(workspace: Path, source: str) -> list[int]:
    """The years this source has a ledger for."""
    folder = workspace / LEDGER_DIR
    if not folder.is_dir():
        return []
    pattern = re.compile(rf"{re.escape(source)}-(\d{{4}})\.yaml")
    years = [int(m[1]) for p in folder.iterdir() if (m := pattern.fullmatch(p.name))]
    return sorted(years)


# --- writing --------------------------------------------------------------------------


def ledger_text(source: str, entries: list[Entry]) -> str:
    """The ledger file: a comment, `source:` and the entries in the order given."""
    lines = [
        f"# Sessions imported from {source} by `caseload import`. Each import replaces",
        "# the sessions of the clients in its export within its date range. A note or",
        "# x_ key added to an entry is kept; dates and statuses come from the export.",
        f"source: {emit.text(source)}",
    ]
    if not entries:
        lines.append("sessions: []")
        return "\n".join(lines) + "\n"
    lines.append("sessions:")
    text, day, signed = emit.text, emit.day, emit.signed
    for e in entries:
        lines.append(f"  - client: {text(e.client)}\n    date: {day(e.date)}\n"
                     f"    status: {e.status}")
        if e.note_signed is not None and e.note_signed is not False:
            lines.append(f"    note_signed: {signed(e.note_signed)}")
        if e.note is not None:
            lines.append(f"    note: {text(e.note)}")
        for key, value in e.extras:
            lines.append(f"    {text(key)}: {value}")
    return "\n".join(lines) + "\n"


# --- reading --------------------------------------------------------------------------


class _Stop(Exception):
    """The file cannot be read further; its problem is recorded."""


class _Events:
    def __init__(self, text: str, label: str, problems: Problems) -> None:
        self._events: Iterator[Event] = yaml.parse(text, Loader=_Loader)
        self.label = label
        self.problems = problems
        self._peeked: Event | None = None

    def next(self) -> Event:
        if self._peeked is not None:
            event, self._peeked = self._peeked, None
            return event
        try:
            event = next(self._events)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            self.problems.add(f"{self.label}:{mark.line + 1 if mark else 1}",
                              f"not valid YAML: {exc.problem or exc.context or 'syntax error'}")
            raise _Stop from None
        except yaml.YAMLError:
            self.problems.add(f"{self.label}:1", "not valid YAML")
            raise _Stop from None
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            self.error(event, "", "anchors and aliases are not allowed in a ledger")
            raise _Stop
        return event

    def error(self, event: Event, where: str, what: str) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        self.problems.add(f"{self.label}:{line}",
                          f"{where or 'document'}: {what}")

    def skip_value(self, first: Event) -> list[Event]:
        """The events of one value starting with `first`, through its end."""
        events = [first]
        if isinstance(first, CollectionStartEvent):
            depth = 1
            while depth:
                event = self.next()
                events.append(event)
                if isinstance(event, CollectionStartEvent):
                    depth += 1
                elif isinstance(event, CollectionEndEvent):
                    depth -= 1
        return events


def _is_null(event: Event) -> bool:
    return isinstance(event, ScalarEvent) and not event.style and event.value in _NULLS


def read_ledger(workspace: Path, relative: str, source: str,
                problems: Problems) -> list[Entry] | None:
    """The entries of one ledger this source wrote (None when it has problems)."""
    path = workspace / relative
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.add(relative, "not UTF-8 text")
        return None
    except OSError as exc:
        problems.add(relative, f"cannot read: {exc.strerror or exc}")
        return None
    fast = _fast_ledger(text, source)
    if fast is not None:
        return fast
    before = problems.count
    events = _Events(text, relative, problems)
    try:
        entries = _ledger(events, source)
    except _Stop:
        return None
    return entries if problems.count == before else None


# The ledger exactly as `ledger_text` writes it when no entry has a note or x_ keys and
# every client id is a plain scalar: read by one regular expression, at C speed. Anything
# else (and anything this would get wrong: an unknown status, a day that does not exist)
# goes to the event reader below, which owns every message.
_FAST_HEAD = re.compile(r"(?:#[^\n]*\n)*source: ([A-Za-z0-9][A-Za-z0-9_-]*)\n"
                        r"sessions:(?: \[\]\n\Z|\n)")
_FAST_ENTRY = re.compile(r"  - client: ([A-Za-z0-9][A-Za-z0-9_-]*)\n    date: (\d{4}-\d{2}-\d{2})\n"
                         r"    status: ([a-z_]+)\n(?:    note_signed: (true|\d{4}-\d{2}-\d{2})\n)?")


def _fast_ledger(text: str, source: str) -> list[Entry] | None:
    head = _FAST_HEAD.match(text)
    if head is None or head[1] != source:
        return None
    if head.end() == len(text) and text.endswith("[]\n"):
        return []
    entries: list[Entry] = []
    position, statuses, day = head.end(), frozenset(SESSION_STATUSES), date.fromisoformat
    append = entries.append
    try:
        for found in _FAST_ENTRY.finditer(text, position):
            if found.start() != position:
                return None
            client, written, status, signed = found.groups()
            if status not in statuses:
                return None
            append(Entry(client, day(written), status,
                         None if signed is None else True if signed == "true" else day(signed)))
            position = found.end()
    except ValueError:  # a day that does not exist
        return None
    return entries if position == len(text) and entries else None


def _ledger(events: _Events, source: str) -> list[Entry]:
    assert isinstance(events.next(), StreamStartEvent)
    first = events.next()
    if isinstance(first, StreamEndEvent):
        events.error(first, "", "the ledger is empty")
        raise _Stop
    assert isinstance(first, DocumentStartEvent)
    root = events.next()
    if not isinstance(root, MappingStartEvent):
        events.error(root, "", "expected a mapping with source: and sessions:")
        raise _Stop
    entries: list[Entry] = []
    seen: set[str] = set()
    while True:
        key = events.next()
        if isinstance(key, MappingEndEvent):
            break
        if not isinstance(key, ScalarEvent):
            events.error(key, "", "a key must be text")
            raise _Stop
        value = events.next()
        if key.value in seen:
            events.error(key, key.value, "duplicate key")
            events.skip_value(value)
        elif key.value == "source":
            seen.add("source")
            if not isinstance(value, ScalarEvent) or value.value != source:
                events.error(value, "source", f"this ledger's name says it holds {source} "
                             "sessions, but its source: says otherwise; rename or move it")
                events.skip_value(value)
        elif key.value == "sessions":
            seen.add("sessions")
            entries = _entries(events, value)
        elif key.value.startswith("x_"):
            events.skip_value(value)
        else:
            events.error(key, key.value, f"unknown key {quoted(key.value, 'key')}"
                         f"{did_you_mean(key.value, ('source', 'sessions'))}")
            events.skip_value(value)
    assert isinstance(events.next(), DocumentEndEvent)
    end = events.next()
    if not isinstance(end, StreamEndEvent):
        events.error(end, "", "a ledger holds one YAML document")
        raise _Stop
    if "sessions" not in seen:
        events.error(root, "", "missing required key 'sessions'")
    return entries


def _entries(events: _Events, start: Event) -> list[Entry]:
    if _is_null(start):
        return []
    if not isinstance(start, SequenceStartEvent):
        events.error(start, "sessions", "expected a list")
        events.skip_value(start)
        return []
    entries: list[Entry] = []
    index = 0
    while True:
        item = events.next()
        if isinstance(item, SequenceEndEvent):
            return entries
        entry = _entry(events, item, f"sessions[{index}]")
        if entry is not None:
            entries.append(entry)
        index += 1


def _entry(events: _Events, start: Event, where: str) -> Entry | None:
    if not isinstance(start, MappingStartEvent):
        events.error(start, where, "expected a session (a mapping)")
        events.skip_value(start)
        return None
    values: dict[str, ScalarEvent] = {}
    extras: list[tuple[str, str]] = []
    ok = True
    while True:
        key = events.next()
        if isinstance(key, MappingEndEvent):
            break
        value = events.next()
        if not isinstance(key, ScalarEvent):
            events.error(key, where, "a key must be text")
            events.skip_value(key)
            events.skip_value(value)
            ok = False
            continue
        name = key.value
        if name in values or name in dict(extras):
            events.error(key, f"{where}.{name}", "duplicate key")
            events.skip_value(value)
            ok = False
        elif name.startswith("x_"):
            extras.append((name, _one_line(events.skip_value(value))))
        elif name not in ENTRY_KEYS:
            events.error(key, f"{where}.{name}", f"unknown key {quoted(name, 'key')}"
                         f"{did_you_mean(name, ENTRY_KEYS)}")
            events.skip_value(value)
            ok = False
        elif not isinstance(value, ScalarEvent):
            events.error(value, f"{where}.{name}", "expected a single value")
            events.skip_value(value)
            ok = False
        else:
            values[name] = value
    for required in ("client", "date", "status"):
        if required not in values or _is_null(values[required]):
            events.error(start, where, f"missing required key '{required}'")
            ok = False
    if not ok:
        return None
    client = values["client"].value
    day = _date(events, values["date"], f"{where}.date")
    status = values["status"].value
    if status not in SESSION_STATUSES:
        events.error(values["status"], f"{where}.status", f"unknown status {quoted(status)}"
                     f"{did_you_mean(status, SESSION_STATUSES)}")
        return None
    signed: date | bool | None = None
    if "note_signed" in values and not _is_null(values["note_signed"]):
        event = values["note_signed"]
        if event.value.lower() in ("true", "false") and not event.style:
            signed = event.value.lower() == "true"
        else:
            signed = _date(events, event, f"{where}.note_signed")
            if signed is None:
                return None
    note = None
    if "note" in values and not _is_null(values["note"]):
        note = values["note"].value
    if day is None:
        return None
    return Entry(client, day, status, signed, note, tuple(extras))


def _date(events: _Events, event: ScalarEvent, where: str) -> date | None:
    if DATE_PATTERN.fullmatch(event.value):
        try:
            return date.fromisoformat(event.value)
        except ValueError:
            pass
    events.error(event, where, f"{quoted(event.value)} is not a date; write it like 2026-11-28")
    return None


def _one_line(value: list[Event]) -> str:
    """An x_ value as one line of YAML, its scalars exactly as written."""
    flowed: list[Event] = []
    for event in value:
        if isinstance(event, CollectionStartEvent):
            event.flow_style = True
        flowed.append(event)
    text = yaml.emit([StreamStartEvent(), DocumentStartEvent(explicit=False), *flowed,
                      DocumentEndEvent(explicit=False), StreamEndEvent()],
                     width=1 << 30, allow_unicode=True)
    text = text.rstrip("\n")
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text.strip()

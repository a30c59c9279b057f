"""The model as plain JSON data, one line per client: the parse cache's layout, and a
cheap exact fingerprint of a client for page keys.

The layout follows the declarations in `schema.py`. One client is

    [where, id line, payer line, clinician line, discharge-date line, path, line,
     extras, then one slot per field of the client, in declared order]

A slot holds its field's *plain value*: a day as its ordinal, goals as a list of
texts, a mapping (the discharge) as the list of its fields' plain values (or
null), and a list of records (sessions, plans, contacts) as one *column* per
field of the record. A warm check rebuilds every session of the caseload from
this, so lists are kept column by column and rebuilt with `map`, which runs in C,
rather than item by item in Python: in a column, required days are steps (the
first day's ordinal, then each day minus the one before: mostly 7 or 14, short in
the JSON and small ints the parser never allocates), and an enum's values are one
letter each, so every session shares the same few status strings instead of a
fresh copy each from the JSON; and a signed day is one number (0 not signed,
-1 signed on a day not known, else the day's ordinal).

`plain_client` makes the layout from a client; `fast.py` makes it straight from a
file's data (with `column_encoder`), without making clients first; `client_of`
makes the client back.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from itertools import accumulate, chain, repeat
from operator import attrgetter, sub
from typing import Any

from generator.model.records import Client, Source
from generator.model.schema import CLIENT, LEDGER, LEDGER_RECORDS, RECORDS, Field, Record

# The id, payer, clinician and discharge-date lines (0: not known).
Lines = tuple[int, int, int, int]
NO_LINES: Lines = (0, 0, 0, 0)


def entry_text(plain: list[Any]) -> str:
    """A file's entry (a list of `plain_client`s) as the one line of JSON the cache keeps."""
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))


def plain_entry(where: str, path: str, line: int, extras: dict[str, Any], values: list[Any],
                lines: Lines = NO_LINES) -> list[Any]:
    """One client as the cache stores it: `values` are the plain values of the client's
    fields, in declared order."""
    return [where, *lines, path, line, extras, *values]


def client_text(client: Client) -> str:
    """Every field of a client as one line of JSON: a cheap exact fingerprint."""
    return entry_text(plain_client(client))


def plain_client(c: Client, where: str = "", lines: Lines = NO_LINES) -> list[Any]:
    return plain_entry(where, c.source.path, c.source.line, _extras_of(c),
                       [get(c) if encode is None else encode(get(c))
                        for get, encode in _CLIENT_ENCODERS], lines)


def client_of(entry: list[Any], days: Days) -> tuple[str, Lines, Client]:
    """A client back from `plain_client`'s layout, with its `where` and lines; any
    damage raises ValueError, TypeError, KeyError or IndexError."""
    where, id_line, payer_line, clinician_line, discharge_line, path, line, extras, *values \
        = entry
    fields = dict(zip(_CLIENT_NAMES, values, strict=True))
    for name, decode in _CLIENT_DECODERS:  # the fields not kept as they are
        fields[name] = decode(fields[name], days)
    if CLIENT.extras:
        fields[CLIENT.extras] = extras
    client = CLIENT.model(source=Source(path, line), **fields)
    return where, (id_line, payer_line, clinician_line, discharge_line), client


class Days(dict[int, date]):
    """Date objects by ordinal, each made once: the 400,000 sessions of a large
    caseload fall on a few thousand days, and they can share them (pass one to
    every `client_of` of a run)."""

    def __init__(self) -> None:
        super().__init__()
        self.signed = _SignedDays({0: False, -1: True})

    def __missing__(self, ordinal: int) -> date:
        day = self[ordinal] = date.fromordinal(ordinal)
        return day

    def column(self, steps: list[int]) -> Iterator[date]:
        return map(self.__getitem__, accumulate(steps))

    def optional(self, ordinal: int | None) -> date | None:
        return self[ordinal] if ordinal is not None else None

    def signed_column(self, stored: list[int]) -> Iterator[date | bool]:
        """A column of signed days back from `_signed_numbers`' numbers."""
        return map(self.signed.__getitem__, stored)


class _SignedDays(dict[int, "date | bool"]):
    """Signed days by their number in a stored column: 0 not signed, -1 signed on a
    day not known, else the day's ordinal (each date made once, as in `Days`)."""

    def __missing__(self, number: int) -> date:
        if type(number) is not int:  # damage (a day's number is never a bool)
            raise TypeError(number)
        day = self[number] = date.fromordinal(number)
        return day


# --- columns ------------------------------------------------------------------------


def letters(field: Field) -> dict[str | None, str]:
    """The letter of each value of an enum field (and of null, when the field is optional)."""
    table: dict[str | None, str] = {choice: chr(ord("a") + i)
                                    for i, choice in enumerate(field.kind.choices)}
    if not field.required:
        table[None] = "-"
    return table


def column_encoder(field: Field) -> Callable[[list[Any]], Any] | None:
    """How a column of plain values of a record's `field` is stored (None: as it is).

    An enum column is stored as its letters, so a value that is not one of the
    choices (not text, not hashable, or null in a required field) raises KeyError
    or TypeError here: the fast reader relies on that to decline it.
    """
    kind = field.kind.name
    if kind == "date" and field.required:
        return _steps_of
    if kind == "enum":
        letter = letters(field).__getitem__
        return lambda values: "".join(map(letter, values))
    if kind == "signed_day":
        return _signed_numbers
    if kind in ("records", "mapping"):
        raise TypeError(f"a {kind} field ({field.name}) cannot stand in a list of records")
    return None


def _steps_of(ordinals: list[int]) -> list[int]:
    return list(map(sub, ordinals, chain((0,), ordinals)))


def _signed_numbers(values: list[int | bool]) -> list[int]:
    """A column of signed days' plain values (ordinals, true or false) as numbers
    only, so that a warm run reads them back with a lookup each rather than a
    test of its type: false 0, true -1 (no day has an ordinal below 1)."""
    return [0 if value is False else -1 if value is True else value for value in values]


def _stored_column(field: Field) -> Callable[[Iterable[Any]], Any]:
    """The column of `field` of some records (model objects), as it is stored."""
    get = attrgetter(field.name)
    encode = column_encoder(field)
    kind = field.kind.name
    if kind == "date" and field.required and encode is not None:
        toordinal = date.toordinal
        return lambda items: encode(list(map(toordinal, map(get, items))))
    if kind == "date":
        return lambda items: [None if day is None else day.toordinal()
                              for day in map(get, items)]
    if kind == "goals":
        return lambda items: list(map(list, map(get, items)))
    if kind == "signed_day" and encode is not None:
        return lambda items: encode(list(map(_plain_signed, map(get, items))))
    if encode is not None:
        return lambda items: encode(list(map(get, items)))
    return lambda items: list(map(get, items))


def _column_decoder(field: Field) -> Callable[[Any, Days], Iterable[Any]]:
    """The model values back from a stored column."""
    kind = field.kind.name
    if kind == "date" and field.required:
        return lambda steps, days: days.column(steps)
    if kind == "date":
        return lambda ordinals, days: map(days.optional, ordinals)
    if kind == "enum":
        value_of = {letter: value for value, letter in letters(field).items()}.__getitem__
        return lambda text, days: map(value_of, text)
    if kind == "goals":
        return lambda goals, days: map(tuple, goals)
    if kind == "bool":
        return lambda flags, days: map(bool, flags)
    if kind == "signed_day":
        return lambda numbers, days: days.signed_column(numbers)
    return lambda values, days: values


def _plain_signed(value: date | bool) -> int | bool:
    """A signed day's plain value: the day's ordinal, or true or false as they are."""
    return value if type(value) is bool else value.toordinal()


def _signed_of(value: Any, days: Days) -> date | bool:
    """A signed day back from its plain value; anything else is damage."""
    if type(value) is bool:
        return value
    if type(value) is not int:
        raise TypeError(value)
    return days[value]


def _same_length(columns: list[Any]) -> int:
    """The columns' common length; an entry whose columns disagree is damaged."""
    lengths = set(map(len, columns))
    if len(lengths) != 1:
        raise ValueError("columns of different lengths")
    return lengths.pop()


def _records_decoder(record: Record) -> Callable[[list[Any], Days], tuple[Any, ...]]:
    """The records of a list back from their columns, field by field.

    Exactly what the dataclass's generated `__init__` does, but in C: that
    `__init__` sets each field through `object.__setattr__` in Python, which for
    the 400,000 sessions of a 10,000-client caseload was the largest single cost
    of a warm check. Every field gets a value (there is a column for each), and
    the model classes have no `__post_init__` that this would skip.
    """
    cls = record.model
    setters = [getattr(cls, field.name).__set__ for field in record.fields]
    decoders = [_column_decoder(field) for field in record.fields]
    new = object.__new__

    def decode(columns: list[Any], days: Days) -> tuple[Any, ...]:
        count = _same_length(columns)
        if not count:
            return ()
        objects: tuple[Any, ...] = tuple(map(new, repeat(cls, count)))
        for set_field, decode_column, column in zip(setters, decoders, columns, strict=True):
            deque(map(set_field, objects, decode_column(column, days)), maxlen=0)
        return objects

    return decode


# --- values -------------------------------------------------------------------------


def _to_plain(field: Field) -> Callable[[Any], Any] | None:
    """A field's model value as its plain value (None: the same value)."""
    kind = field.kind.name
    record = field.kind.record
    if kind == "date":
        return lambda day: None if day is None else day.toordinal()
    if kind == "goals":
        return list
    if kind == "signed_day":
        return _plain_signed
    if kind == "records" and record is not None:
        columns = [_stored_column(f) for f in record.fields]
        return lambda items: [stored(items) for stored in columns]
    if kind == "mapping" and record is not None:
        values = [(attrgetter(f.name), _to_plain(f)) for f in record.fields]
        return lambda value: None if value is None else [
            get(value) if plain is None else plain(get(value)) for get, plain in values]
    return None


def _from_plain(field: Field) -> Callable[[Any, Days], Any] | None:
    """A field's model value back from its plain value (None: the same value)."""
    kind = field.kind.name
    record = field.kind.record
    if kind == "date":
        return (lambda ordinal, days: days[ordinal]) if field.required else \
            (lambda ordinal, days: days.optional(ordinal))
    if kind == "goals":
        return lambda goals, days: tuple(goals)
    if kind == "bool":
        return lambda flag, days: bool(flag)
    if kind == "signed_day":
        return _signed_of
    if kind == "enum":
        choices = frozenset(field.kind.choices)
        required = field.required

        def choice(value: Any, days: Days) -> Any:
            if value not in choices and (required or value is not None):
                raise KeyError(value)
            return value

        return choice
    if kind == "records" and record is not None:
        return _records_decoder(record)
    if kind == "mapping" and record is not None:
        cls = record.model
        fields = [(f.name, _from_plain(f)) for f in record.fields]

        def mapping(values: list[Any] | None, days: Days) -> Any:
            if values is None:
                return None
            return cls(**{name: value if decode is None else decode(value, days)
                          for (name, decode), value in zip(fields, values, strict=True)})

        return mapping
    return None


def _check_models() -> None:
    """Every declared field has its attribute on the model (and the dataclass no
    other, but the client's `source` and `extras`): a field added to one and not the
    other fails here, when the program starts, not on some input."""
    for record in (*RECORDS, *LEDGER_RECORDS):
        declared = set(record.keys) | ({"source", "sessions_from"} if record is CLIENT
                                       else set())
        if record.extras:
            declared.add(record.extras)
        attributes = set(getattr(record.model, "__dataclass_fields__", {}))
        if declared != attributes:
            raise TypeError(f"{record.model.__name__} has the fields {sorted(attributes)}, "
                            f"but the {record.name} record declares {sorted(declared)}")


_check_models()
_extras_of = attrgetter(CLIENT.extras or "extras")
_CLIENT_ENCODERS = [(attrgetter(field.name), _to_plain(field)) for field in CLIENT.fields]
_CLIENT_NAMES = CLIENT.keys
_LEDGER_SESSIONS = LEDGER.fields[1]
_ledger_columns = _to_plain(_LEDGER_SESSIONS)
_ledger_entries = _from_plain(_LEDGER_SESSIONS)


def plain_ledger(path: str, ledger: Any) -> dict[str, Any]:
    """A session ledger file as the cache keeps it (a mapping, where a client file's
    entry has a list per client): its path, source and one column per field."""
    assert _ledger_columns is not None
    return {"path": path, "source": ledger.source, "sessions": _ledger_columns(ledger.sessions)}


def ledger_of(plain: dict[str, Any], days: Days) -> tuple[str, Any]:
    """The path and Ledger back from `plain_ledger`'s layout."""
    assert _ledger_entries is not None
    source = plain["source"]
    if source is not None and type(source) is not str:
        raise TypeError(source)
    return plain["path"], LEDGER.model(source, _ledger_entries(plain["sessions"], days))


_CLIENT_DECODERS = [(field.name, decode) for field in CLIENT.fields
                    if (decode := _from_plain(field)) is not None]

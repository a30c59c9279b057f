"""The records of a content file, declared once: each field's key, type, whether it is
required, and the version of the caseload format that added it.

Everything that reads or stores a record derives from these declarations rather
than spelling the fields out again:

* `reading/exact.py`: which keys a mapping may and must have, how each value is
  typed, and every message (with its suggestions) when one is wrong;
* `reading/fast.py`: which plainly valid mappings it accepts, a column at a time;
* `model/plain.py`: the parse cache's layout (one column per field of a session,
  plan or contact; an enum's values as one letter each) and how clients are
  rebuilt from it.

So an optional field of a session or a plan is one `Field` line below plus its
attribute on the model dataclass (`records.py`, same name, with the kind's
default); the rule that uses it and the template that shows it are the only
other code to touch. A field's key is also its attribute's name (`plain.py`
checks when it is imported that the dataclasses have exactly the declared
fields; tests/test_schema.py also pins their defaults).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from generator.model.records import (
    CONTACT_METHODS,
    DISCHARGE_REASONS,
    SESSION_STATUSES,
    Client,
    Contact,
    Discharge,
    Ledger,
    LedgerEntry,
    Session,
    TreatmentPlan,
)

# The version of the caseload format these declarations describe.
FORMAT_VERSION = 2


@dataclass(frozen=True, slots=True)
class Kind:
    """The type of a field's value: one of the closed set below (`KINDS`).

    Each reader has one way to read each kind; a new kind is new code in each of
    them, a new field of an existing kind is not.
    """

    name: str
    choices: tuple[str, ...] = ()  # enum: the values allowed, in the order messages list them
    what: str = ""  # enum: what one value is called in messages ("unknown status …")
    record: Record | None = None  # records, mapping: the record each item or the value is

    @property
    def default(self) -> Any:
        """The value the model holds when the field is absent or null."""
        return _DEFAULTS[self.name]


_DEFAULTS: dict[str, Any] = {
    "text": None,  # any text, as written
    "nonempty_text": None,  # text with something other than spaces in it
    "id": None,  # a client id (`ID_PATTERN`)
    "date": None,  # an ISO date
    "bool": False,  # true or false
    "goals": (),  # one text or a list of texts; a tuple in the model
    "enum": None,  # one of `choices`
    "records": (),  # a list of mappings of `record`; a tuple in the model
    "mapping": None,  # one mapping of `record`
    "signed_day": False,  # a day, or true (signed, day not known) or false (not signed)
}
KINDS = frozenset(_DEFAULTS)
# The kinds a field declared `several_lines` may be of.
SEVERAL_LINE_KINDS = frozenset({"text", "goals"})

TEXT = Kind("text")
NONEMPTY_TEXT = Kind("nonempty_text")
ID = Kind("id")
DATE = Kind("date")
BOOL = Kind("bool")
GOALS = Kind("goals")
SIGNED_DAY = Kind("signed_day")


def enum(choices: tuple[str, ...], what: str) -> Kind:
    return Kind("enum", choices=choices, what=what)


def records(record: Record) -> Kind:
    return Kind("records", record=record)


def mapping(record: Record) -> Kind:
    return Kind("mapping", record=record)


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the key in a content file, and the model's attribute
    kind: Kind
    required: bool = False  # absent or null is an input error
    since: int = 1  # the version of the caseload format that added it
    # A date (or signed_day) field whose day may not be before this (required date)
    # field's day of the same record: an input error at this field's line.
    not_before: str | None = None
    # Free text (notes, goals, outcomes, summaries): it may hold line breaks and
    # tabs. Every other text field is one line, shown as such in tables and on
    # the terminal. No text field may hold any other control character.
    several_lines: bool = False

    def __post_init__(self) -> None:
        if self.several_lines and self.kind.name not in SEVERAL_LINE_KINDS:
            raise ValueError(f"{self.name}: only text and goals may hold several lines")


@dataclass(frozen=True, slots=True)
class Record:
    """A kind of mapping in a content file, and the model dataclass it becomes."""

    name: str  # what messages call one: "expected a {name} mapping"
    model: type
    fields: tuple[Field, ...]
    # The model attribute that keeps the user's own `x_` keys; None: they are
    # accepted (with any value) and not kept.
    extras: str | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields if field.required)

    @property
    def expected(self) -> str:
        return f"a {self.name} mapping"


SESSION = Record("session", Session, (
    Field("date", DATE, required=True),
    Field("status", enum(SESSION_STATUSES, "status"), required=True),
    Field("note", TEXT, several_lines=True),
    Field("note_signed", SIGNED_DAY, since=2, not_before="date"),
))

TREATMENT_PLAN = Record("treatment plan", TreatmentPlan, (
    Field("date", DATE, required=True),
    Field("goals", GOALS, several_lines=True),
    Field("note", TEXT, several_lines=True),
    Field("provider_signed_on", DATE, since=2, not_before="date"),
    Field("client_signed_on", DATE, since=2, not_before="date"),
    Field("client_signature_waived", TEXT, since=2, several_lines=True),
))

CONTACT = Record("contact", Contact, (
    Field("date", DATE, required=True),
    Field("method", enum(CONTACT_METHODS, "method"), required=True),
    Field("outcome", TEXT, several_lines=True),
    Field("note", TEXT, several_lines=True),
))

DISCHARGE = Record("discharge", Discharge, (
    Field("date", DATE),
    Field("planned_on", DATE),
    Field("reason", enum(DISCHARGE_REASONS, "reason")),
    Field("summary", TEXT, several_lines=True),
    Field("client_participated", BOOL),
))

# A client's model also has `source` (where it was read), which is not a key.
CLIENT = Record("client", Client, (
    Field("id", ID, required=True),
    Field("name", NONEMPTY_TEXT, required=True),
    Field("intake_date", DATE, required=True),
    Field("payer", NONEMPTY_TEXT),
    Field("clinician", NONEMPTY_TEXT),
    Field("member_id", NONEMPTY_TEXT, since=2),
    Field("sessions", records(SESSION)),
    Field("treatment_plans", records(TREATMENT_PLAN)),
    Field("contacts", records(CONTACT)),
    Field("discharge", mapping(DISCHARGE)),
), extras="extras")


# (v2) A session ledger: sessions of many clients, each naming its client.
LEDGER_ENTRY = Record("ledger session", LedgerEntry, (
    Field("client", ID, required=True, since=2),
    *SESSION.fields,
))

LEDGER = Record("session ledger", Ledger, (
    Field("source", TEXT, since=2),
    Field("sessions", records(LEDGER_ENTRY), required=True, since=2),
))


def nested(record: Record) -> tuple[Record, ...]:
    """`record` and every record declared below it, each once, in declared order."""
    found = [record]
    for field in record.fields:
        if field.kind.record is not None:
            found.extend(r for r in nested(field.kind.record) if r not in found)
    return tuple(found)


RECORDS = nested(CLIENT)
LEDGER_RECORDS = nested(LEDGER)


def is_ledger(keys: Iterable[Any]) -> bool:
    """Whether a content file's top-level keys make it a session ledger: `sessions:`,
    and nothing that makes it a client or a list of clients."""
    found = set(keys)
    return "sessions" in found and not found & {"clients", *CLIENT.required}

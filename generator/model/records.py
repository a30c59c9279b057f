"""The caseload as plain, immutable data: what the loader produces and the rules read."""

from __future__ import annotations

import datetime
import re
from dataclasses import MISSING, dataclass, field, fields, make_dataclass
from typing import Any

# What an id and an ISO date look like, for every stage that reads or checks one.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")

SESSION_STATUSES = (
    "scheduled", "attended", "no_show", "late_cancel", "cancelled", "clinician_cancelled",
)
# The statuses of an appointment that did not take place and counts against no one:
# every rule treats `clinician_cancelled` (the practice cancelled) as `cancelled`.
CANCELLED_STATUSES = frozenset({"cancelled", "clinician_cancelled"})
CONTACT_METHODS = ("phone", "email", "text", "letter", "portal", "in_person", "other")
DISCHARGE_REASONS = (
    "goals_met",
    "nonattendance",
    "higher_level_of_care",
    "client_request",
    "referred_out",
    "other",
)


@dataclass(frozen=True, slots=True)
class Source:
    """Where a piece of input came from, so every message can point at it."""

    path: str  # relative to the workspace, POSIX separators
    line: int  # 1-based


@dataclass(frozen=True, slots=True)
class Session:
    date: datetime.date
    status: str
    note: str | None = None
    # The day its progress note was signed; True: signed on a day not known;
    # False: not signed.
    note_signed: datetime.date | bool = False


# One session of a session ledger: the client it is of, then every field of a
# session (made from Session, so a session's new field is a ledger entry's too).
LedgerEntry: Any = make_dataclass(
    "LedgerEntry",
    [("client", str), *((f.name, f.type, field(default=f.default))
                        if f.default is not MISSING else (f.name, f.type)
                        for f in fields(Session))],
    frozen=True, slots=True,
)
LedgerEntry.__module__ = __name__  # (for pickling; `module=` needs Python 3.12)
_SESSION_FIELDS = tuple(f.name for f in fields(Session))


def session_of(entry: Any) -> Session:
    """The session a ledger entry holds."""
    return Session(**{name: getattr(entry, name) for name in _SESSION_FIELDS})


@dataclass(frozen=True, slots=True)
class Ledger:
    """A session ledger file: sessions of many clients, and where they came from."""

    source: str | None = None
    sessions: tuple[Any, ...] = ()  # LedgerEntry


@dataclass(frozen=True, slots=True)
class TreatmentPlan:
    date: datetime.date
    goals: tuple[str, ...] = ()
    note: str | None = None
    provider_signed_on: datetime.date | None = None
    client_signed_on: datetime.date | None = None
    client_signature_waived: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    date: datetime.date
    method: str
    outcome: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Discharge:
    date: datetime.date | None = None
    planned_on: datetime.date | None = None
    reason: str | None = None
    summary: str | None = None
    client_participated: bool = False


@dataclass(frozen=True, slots=True)
class Client:
    id: str
    name: str
    intake_date: datetime.date
    source: Source
    payer: str | None = None
    clinician: str | None = None
    member_id: str | None = None
    sessions: tuple[Session, ...] = ()
    treatment_plans: tuple[TreatmentPlan, ...] = ()
    contacts: tuple[Contact, ...] = ()
    discharge: Discharge | None = None
    # The user's own `x_` keys, carried through untouched.
    extras: dict[str, Any] = field(default_factory=dict)
    # Where its sessions came from when a session ledger holds them: each ledger's
    # `source:` (or, without one, its path). Not a key of the client's file.
    sessions_from: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Caseload:
    """Everything a workspace says, validated."""

    practice_name: str
    clinicians: dict[str, str] | None  # None: the practice keeps no list
    practice_policy: dict[str, Any]  # "section.key" -> value, as written in practice.yaml
    payers: dict[str, Payer]
    clients: tuple[Client, ...]
    # Clinician key -> how many clients, not discharged, they can carry: only the
    # clinicians whose entry in practice.yaml gives a capacity.
    capacities: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Payer:
    id: str
    name: str
    policy: dict[str, Any]  # "section.key" -> value, as written in the payer's file
    source: Source

"""The model as plain JSON data, one line per client: the parse cache's layout, and a
cheap exact fingerprint of a client for page keys.

Lists are kept column by column (days as steps, statuses and methods as one letter
each), so that JSON is short and rebuilding clients runs in C (see reading/cache.py).
"""

from __future__ import annotations

import json
from datetime import date
from itertools import chain
from operator import sub
from typing import Any

from generator.model.records import CONTACT_METHODS, SESSION_STATUSES, Client


def entry_text(plain: list[Any]) -> str:
    """A file's entry (`plain_records`' data) as the one line of JSON the cache keeps."""
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))


def _day(value: date | None) -> int | None:
    return value.toordinal() if value else None


# A warm check rebuilds every session of the caseload from this file, so the
# lists are stored column by column and rebuilt with `map`, which runs in C, rather
# than item by item in Python; a status or method is one letter, so every session
# shares the same few status strings instead of a fresh copy each from the JSON.
STATUS_LETTERS = {status: chr(ord("a") + i) for i, status in enumerate(SESSION_STATUSES)}
METHOD_LETTERS = {method: chr(ord("a") + i) for i, method in enumerate(CONTACT_METHODS)}


def plain_entry(*, where: str, client_id: str, name: str, intake: int, path: str, line: int,
                payer: str | None, clinician: str | None,
                session_days: list[int], statuses: str, session_notes: list[str | None],
                plan_days: list[int], goals: list[list[str]], plan_notes: list[str | None],
                contact_days: list[int], methods: str, outcomes: list[str | None],
                contact_notes: list[str | None], discharge: list[Any] | None,
                extras: dict[str, Any], lines: tuple[int, int, int, int] = (0, 0, 0, 0)
                ) -> list[Any]:
    """One client as the cache stores it, from its columns: days as ordinals,
    statuses and methods as their letters, the discharge as [date ordinal or None,
    planned-on ordinal or None, reason, summary, client took part]. `lines` are the
    id, payer, clinician and discharge-date lines (0: not known).

    The one place that knows the layout: `plain_records` builds it from clients,
    and `fast` straight from a file's data, without making clients first.
    """
    return [
        where, *lines, client_id, name, intake, path, line, payer, clinician,
        _steps_of(session_days), statuses, session_notes,
        _steps_of(plan_days), goals, plan_notes,
        _steps_of(contact_days), methods, outcomes, contact_notes,
        discharge, extras,
    ]


def _steps_of(ordinals: list[int]) -> list[int]:
    """A column of days as steps: the first day's ordinal, then each day minus the one
    before. Mostly 7 or 14: short in the JSON, and small ints the parser never allocates."""
    return list(map(sub, ordinals, chain((0,), ordinals)))


def client_text(client: Client) -> str:
    """Every field of a client as one line of JSON: a cheap exact fingerprint."""
    return entry_text(plain_client(client))


def plain_client(c: Client, where: str = "", lines: tuple[int, int, int, int] = (0, 0, 0, 0)
                 ) -> list[Any]:
    d = c.discharge
    sessions, plans, contacts = c.sessions, c.treatment_plans, c.contacts
    return plain_entry(
        where=where, client_id=c.id, name=c.name, intake=c.intake_date.toordinal(),
        path=c.source.path, line=c.source.line, payer=c.payer, clinician=c.clinician,
        session_days=[s.date.toordinal() for s in sessions],
        statuses="".join(STATUS_LETTERS[s.status] for s in sessions),
        session_notes=[s.note for s in sessions],
        plan_days=[p.date.toordinal() for p in plans], goals=[list(p.goals) for p in plans],
        plan_notes=[p.note for p in plans],
        contact_days=[k.date.toordinal() for k in contacts],
        methods="".join(METHOD_LETTERS[k.method] for k in contacts),
        outcomes=[k.outcome for k in contacts], contact_notes=[k.note for k in contacts],
        discharge=None if d is None else [_day(d.date), _day(d.planned_on), d.reason,
                                          d.summary, d.client_participated],
        extras=c.extras, lines=lines,
    )

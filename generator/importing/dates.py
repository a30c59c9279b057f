"""Dates of service as exports write them: a day in the profile's format, or ISO,
optionally followed by a time (which is not needed: the day is the date of service)."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

_NUMERIC = {
    "MM/DD/YYYY": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), (3, 1, 2)),
    "DD/MM/YYYY": (re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})"), (3, 2, 1)),
    "DD.MM.YYYY": (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), (3, 2, 1)),
}
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# What may follow the day: a time of day, perhaps AM/PM, an offset or a zone's name.
_TIME = re.compile(
    r"(?:[T ]\s*\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s*(?:[AaPp]\.?[Mm]\.?)?"
    r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?|\(?[A-Za-z][A-Za-z_/+-]{1,40}\)?)?)?\s*"
)


class NotADate(ValueError):
    pass


def parse_day(cell: str | date | datetime, form: str, zone: str | None = None) -> date:
    """The day `cell` names, written in `form` or as ISO; NotADate if it names none.

    With `zone`, an ISO date-time that carries an offset is first moved into that
    time zone (an export written in UTC still gives the practice's own day)."""
    if isinstance(cell, datetime):
        if zone and cell.tzinfo is not None:
            return cell.astimezone(ZoneInfo(zone)).date()
        return cell.date()
    if isinstance(cell, date):
        return cell
    return _parse_text(cell.strip(), form, zone)


@lru_cache(maxsize=4096)
def _parse_text(text: str, form: str, zone: str | None) -> date:
    iso = _ISO.match(text)
    if iso:
        if not _TIME.fullmatch(text, iso.end()):
            raise NotADate(text)
        if zone and iso.end() < len(text):
            return _in_zone(text, zone)
        return _day(int(iso[1]), int(iso[2]), int(iso[3]), text)
    pattern = _NUMERIC.get(form)
    if pattern is None:
        raise NotADate(text)
    regex, (y, m, d) = pattern
    found = regex.match(text)
    if not found or not _TIME.fullmatch(text, found.end()):
        raise NotADate(text)
    return _day(int(found[y]), int(found[m]), int(found[d]), text)


def _day(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise NotADate(text) from None


def _in_zone(text: str, zone: str) -> date:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        # Not an ISO date-time Python reads (e.g. "2026-11-03 10:00 AM"): the day as written.
        found = _ISO.match(text)
        assert found is not None
        return _day(int(found[1]), int(found[2]), int(found[3]), text)
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(ZoneInfo(zone)).date()

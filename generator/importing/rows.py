"""Table exports (CSV, .xlsx) read through a profile into rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from operator import itemgetter
from pathlib import Path

from generator.importing.dates import NotADate, parse_day
from generator.importing.harvest import Clinicians, Harvest, Row
from generator.importing.problems import Problems, did_you_mean, normal, quoted
from generator.importing.profile import Profile
from generator.importing.tables import Cell, open_table, text_of


def read_tables(profile: Profile, files: list[tuple[Path, str]], harvest: Harvest,
                clinicians: Clinicians, problems: Problems,
                progress: Callable[[int], None]) -> None:
    wanted = [column for _, column in profile.columns()]
    for path, label in files:
        table = open_table(path, label, problems, wanted, progress)
        if table is None:
            continue
        try:
            harvest.files += 1
            harvest.kinds.append(table.kind)
            columns = _columns(profile, table.header, label, problems)
            if columns is None:
                continue
            read_set = {normal(c) for c in wanted} | {normal(c) for c in profile.ignore}
            for name in table.header:
                if name and normal(name) not in read_set and name not in harvest.unread_columns:
                    harvest.unread_columns.append(name)
            _read_rows(profile, table.rows, columns, label, harvest, clinicians, problems)
        finally:
            table.close()


def _columns(profile: Profile, header: list[str], label: str,
             problems: Problems) -> dict[str, int] | None:
    """Each column the profile reads: its index in the header."""
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        positions.setdefault(normal(name), []).append(index)
    found: dict[str, int] = {}
    ok = True
    for _, column in profile.columns():
        where = positions.get(normal(column), [])
        if not where:
            hint = did_you_mean(column, [h for h in header if h])
            problems.add(f"{label}:1", f"missing column '{column}'{hint}")
            ok = False
        elif len(where) > 1:
            problems.add(f"{label}:1", f"column '{column}' appears {len(where)} times")
            ok = False
        else:
            found[column] = where[0]
    return found if ok else None


def _read_rows(profile: Profile, rows: Iterator[tuple[int, list[Cell]]],
               columns: dict[str, int], label: str, harvest: Harvest, clinicians: Clinicians,
               problems: Problems) -> None:
    """Each row through `_Row.read`, with a fast path: most rows repeat a client, a status,
    a clinician and a note state seen before, so each field's raw cell is looked up in
    what the same cell meant last time, and only new cells (or a problem) take the
    careful way."""
    reader = _Row(profile, columns, label, harvest, clinicians, problems)
    client_at = ([columns[profile.client_id]] if profile.client_id else []) \
        + [columns[c] for c in profile.client_name]
    at = [*client_at, reader.date_at, reader.status_at]
    if reader.clin_at is not None:
        at.append(reader.clin_at)
    if reader.note_at is not None:
        at.append(reader.note_at)
    width = max(at) + 1
    fields = itemgetter(*at)
    n_client = len(client_at)
    refs, days, statuses = reader.refs, reader.days, reader.statuses
    clinician_of, signed_of = reader.clinicians_seen, reader.signed_seen
    has_clinician, has_note = reader.clin_at is not None, reader.note_at is not None
    add_row = harvest.rows.append
    read = 0
    for line, cells in rows:
        read += 1
        if len(cells) >= width:
            values = fields(cells)
            try:
                ref = refs[values[:n_client]]
                day = days[values[n_client]]
                status = statuses[values[n_client + 1]]
                position = n_client + 2
                clinician = None
                if has_clinician:
                    clinician = clinician_of[values[position]]
                    position += 1
                signed = signed_of[values[position]] if has_note else None
            except KeyError:
                pass
            else:
                add_row((ref, day, status, signed, clinician))
                continue
        row = reader.read(line, cells)
        if row is not None:
            add_row(row)
    harvest.rows_read += read


class _Row:
    """One row, read carefully: every problem recorded; what each raw cell meant kept
    for the fast path (only cells that meant something without a problem)."""

    def __init__(self, profile: Profile, columns: dict[str, int], label: str,
                 harvest: Harvest, clinicians: Clinicians, problems: Problems) -> None:
        self.profile, self.label, self.problems = profile, label, problems
        self.harvest, self.clinicians = harvest, clinicians
        self.id_at = columns[profile.client_id] if profile.client_id else None
        self.name_at = [columns[c] for c in profile.client_name]
        self.date_at = columns[profile.date_column]
        self.status_at = columns[profile.status_column]
        self.clin_at = columns[profile.clinician_column] if profile.clinician_column else None
        self.note_at = columns[profile.note_column] if profile.note_column else None
        self.status_choices = [v for v in profile.statuses.written if v]
        self.note_choices = [v for v in profile.notes.written if v]
        self.client_cols = " and ".join(
            f"'{c}'" for c in ([profile.client_id] if profile.client_id else [])
            + list(profile.client_name))
        self.refs: dict[tuple[Cell, ...], int] = {}
        self.days: dict[Cell, date] = {}
        self.statuses: dict[Cell, str] = {}
        self.clinicians_seen: dict[Cell, str | None] = {}
        self.signed_seen: dict[Cell, bool | None] = {}  # dated signatures: never kept

    def read(self, line: int, cells: list[Cell]) -> Row | None:
        profile, problems, label = self.profile, self.problems, self.label
        where = f"{label}:{line}"
        ok = True

        def cell(at: int) -> Cell:
            return cells[at] if at < len(cells) else ""

        # Client
        id_text = text_of(cell(self.id_at)) if self.id_at is not None else ""
        name = " ".join(t for t in (text_of(cell(i)) for i in self.name_at) if t)
        if not id_text and not name:
            problems.add(where, f"column {self.client_cols}: empty; whose appointment is this?",
                         (label, "no client named"))
            ok = False
        # Day
        date_col = profile.date_column
        raw_day = cell(self.date_at)
        day: date | None = None
        if raw_day == "":
            problems.add(where, f"column '{date_col}': empty", (label, f"'{date_col}' empty"))
            ok = False
        else:
            try:
                day = parse_day(raw_day, profile.date_format, profile.timezone)
                self.days[raw_day] = day
            except NotADate:
                problems.add(where, f"column '{date_col}': {quoted(text_of(raw_day))} is not a "
                             f"date ({profile.date_format}, or ISO like 2026-11-28)",
                             (label, f"'{date_col}' not a date"))
                ok = False
        # Status
        status_col = profile.status_column
        raw_status = cell(self.status_at)
        status_text = text_of(raw_status)
        status = profile.statuses.get(status_text)
        if status is not None:
            self.statuses[raw_status] = status
        elif status_text:
            problems.add(where, f"column '{status_col}': unknown value {quoted(status_text)}"
                         f"{did_you_mean(status_text, self.status_choices)}",
                         (label, f"unknown '{status_col}' values"))
            ok = False
        else:
            problems.add(where, f"column '{status_col}': empty", (label, f"'{status_col}' empty"))
            ok = False
        # Clinician
        clinician = None
        if self.clin_at is not None:
            clin_col = profile.clinician_column
            raw_clinician = cell(self.clin_at)
            value = text_of(raw_clinician)
            if value:
                clinician = self.clinicians.resolve(value)
                if clinician is None and self.clinicians.unknown_is_error():
                    problems.add(where, f"column '{clin_col}': unknown clinician "
                                 f"{quoted(value)}{did_you_mean(value, self.clinicians.choices)}"
                                 "; map it to a practice.yaml key under clinician.values in a "
                                 "profile", (label, f"unknown '{clin_col}' values"))
                    ok = False
                else:
                    self.clinicians_seen[raw_clinician] = clinician
            else:
                self.clinicians_seen[raw_clinician] = None
        # Progress note
        signed: date | bool | None = None
        if self.note_at is not None:
            note_col = profile.note_column
            raw_note = cell(self.note_at)
            note_text = text_of(raw_note)
            mapped = profile.notes.get(note_text)
            if mapped is not None:
                signed = mapped or None
                self.signed_seen[raw_note] = signed
            elif profile.note_format and note_text:
                try:
                    signed = parse_day(raw_note, profile.note_format, profile.timezone)
                except NotADate:
                    problems.add(where, f"column '{note_col}': {quoted(note_text)} is neither a "
                                 f"known value nor a date"
                                 f"{did_you_mean(note_text, self.note_choices)}",
                                 (label, f"unknown '{note_col}' values"))
                    ok = False
                else:
                    if day is not None and signed < day:
                        problems.add(where, f"column '{note_col}': signed {signed}, before the "
                                     f"session on {day}", (label, "note signed before session"))
                        ok = False
            elif note_text:
                problems.add(where, f"column '{note_col}': unknown value {quoted(note_text)}"
                             f"{did_you_mean(note_text, self.note_choices)}",
                             (label, f"unknown '{note_col}' values"))
                ok = False
            else:
                self.signed_seen[raw_note] = None
        if not ok or day is None or status is None:
            return None
        ref = self.harvest.directory.ref(id_text or None, name, where)
        client_at = [*([self.id_at] if self.id_at is not None else []), *self.name_at]
        if len(cells) > max(client_at):  # (a short row never takes the fast path anyway)
            self.refs[tuple(cells[i] for i in client_at)] = ref
        return (ref, day, status, signed, clinician)

"""An import, worked out before anything is written: the files it would write and
what it would change, client by client.

`plan_import` reads the export(s) through the profile, matches each row's client
with the caseload, and replaces, in this source's ledgers, the sessions of the
clients in the export within the range (`--from`/`--to`, default the export's
first and last day) by the export's. Every problem anywhere is collected; with
any, ImportInvalid is raised and nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from generator.importing import emit
from generator.importing.clients import Directory, Ref
from generator.importing.handkept import HandKept
from generator.importing.harvest import Clinicians, Facts, Harvest, Row
from generator.importing.ledger import (
    Entry,
    ledger_path,
    ledger_text,
    ledger_years,
    read_ledger,
)
from generator.importing.problems import Problems
from generator.importing.profile import SKIP, Profile
from generator.model.records import Caseload, Client
from generator.wording import plural, printable

CLIENTS_DIR = "content/clients"

# (label, total bytes) -> a context manager that yields "this many more bytes done".
ProgressFactory = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


def no_progress(label: str, total: int) -> AbstractContextManager[Callable[[int], None]]:
    return nullcontext(lambda done: None)


@dataclass
class ClientChange:
    id: str
    name: str
    added: int = 0
    changed: int = 0
    removed: int = 0
    new_file: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.new_file)


@dataclass
class ImportPlan:
    source: str
    title: str
    files: int
    kinds: list[str]
    rows_read: int
    sessions: int
    range: tuple[date, date] | None
    writes: list[tuple[str, str]]  # (relative path, text): client files first, ledgers last
    changes: list[ClientChange]
    unchanged: int
    by_hand: list[str]
    skipped: int  # rows whose status the profile maps to skip
    outside: int  # rows outside the range
    hand_kept: list[str] = field(default_factory=list)  # clients left out (--skip-hand-kept)
    unread_columns: list[str] = field(default_factory=list)
    not_imported: int = 0

    def summary(self, dry_run: bool) -> list[str]:
        return _summary(self, dry_run)


def plan_import(profile: Profile, files: list[tuple[Path, str]], workspace: Path,
                caseload: Caseload, *, date_from: date | None = None,
                date_to: date | None = None, skip_hand_kept: bool = False,
                progress: ProgressFactory = no_progress) -> ImportPlan:
    problems = Problems()
    clinicians = Clinicians(caseload.clinicians, profile, problems)
    harvest = Harvest(Directory.of(caseload))
    total = sum(_size(path) for path, _ in files)
    with progress(f"Reading {plural(len(files), 'file')}", total) as advance:
        if profile.kind == "fhir":
            from generator.importing.fhir import read_bundles

            read_bundles(profile, files, harvest, clinicians, problems, advance)
        else:
            from generator.importing.rows import read_tables

            read_tables(profile, files, harvest, clinicians, problems, advance)
    if harvest.files and not harvest.rows and not harvest.facts and not problems:
        problems.add(", ".join(label for _, label in files),
                     "no appointments in the export (only a header?)")
    problems.raise_if_any()

    directory = harvest.directory
    taken = _client_file_stems(workspace)
    for ref, what in directory.resolve(taken):
        problems.add(ref.where, what)

    # The range replaced, and the rows in it.
    days = [row[1] for row in harvest.rows]
    start = date_from or (min(days) if days else None)
    end = date_to or (max(days) if days else None)
    rows = harvest.rows
    outside = 0
    if start is not None and end is not None:
        inside = [row for row in rows if start <= row[1] <= end]
        outside = len(rows) - len(inside)
        rows = inside
    skipped = sum(1 for row in rows if row[2] == SKIP)

    sessions_of: dict[int, list[Row]] = defaultdict(list)
    in_export: set[int] = set()
    for row in rows:
        ref = directory.refs[row[0]]
        if ref.client is None and ref.new_id is None:
            continue  # unresolved: reported above
        if ref.client is not None:
            in_export.add(row[0])  # new clients join when they get a file (below)
        if row[2] != SKIP:
            sessions_of[row[0]].append(row)
            ref.saw(row[1], row[4])

    # Clients that keep their sessions by hand in their own file (an export may name one
    # client in two ways, by id and by name: each client is looked at once).
    hand_kept: list[str] = []
    kept_by_hand = HandKept(workspace)
    known: dict[str, list[int]] = defaultdict(list)
    for index in sessions_of:
        client = directory.refs[index].client
        if client is not None:
            known[client.id].append(index)
    for client_id in sorted(known):
        indexes = known[client_id]
        client = directory.refs[indexes[0]].client
        assert client is not None
        line = kept_by_hand.sessions_line(client)
        if line is None:
            continue
        path = client.source.path
        count = plural(sum(len(sessions_of[i]) for i in indexes), "session")
        if skip_hand_kept:
            hand_kept.append(f"{client_id} {printable(client.name)}: its sessions are kept by "
                             f"hand in {path}; {count} in the export left out")
            for index in indexes:
                del sessions_of[index]
                in_export.discard(index)
        else:
            problems.add(f"{path}:{line}", f"{client_id} keeps its sessions in this file, and "
                         f"the export has {count} for it; a client's sessions come from one "
                         "place. Delete the sessions: list here to take them from the practice "
                         "system from now on, or import with --skip-hand-kept to leave "
                         "this client out", (path, "clients with sessions kept by hand"))

    # New clients: a file each, written before the ledgers that name them.
    new_refs = _new_clients(directory, sessions_of, harvest.facts, in_export)
    stems = {stem.casefold(): stem for stem in taken}
    for _, ref in new_refs:
        if not ref.name:
            problems.add(ref.where, f"new client {ref.id}: the export gives no name for it")
        if ref.id.casefold() in stems:  # an id from the export, and a file of that name
            problems.add(f"{CLIENTS_DIR}/{stems[ref.id.casefold()]}.yaml",
                         f"the export's new client {ref.id} would be written here, but this "
                         "file holds another client; rename the file")

    # This source's ledgers, read back.
    ledgers: dict[int, list[Entry]] = {}
    if start is not None and end is not None:
        years = set(range(start.year, end.year + 1)) & set(ledger_years(workspace,
                                                                        profile.source))
        for year in sorted(years):
            entries = read_ledger(workspace, ledger_path(profile.source, year), profile.source,
                                  problems)
            if entries is not None:
                ledgers[year] = entries
    problems.raise_if_any()

    export_ids = {directory.refs[i].id.casefold() for i in in_export}
    new_entries = _entries(directory, rows, sessions_of)
    changes: dict[str, ClientChange] = {}
    for index in sorted(in_export):
        ref = directory.refs[index]
        changes[ref.id] = ClientChange(ref.id, ref.client.name if ref.client else ref.name)
    writes: list[tuple[str, str]] = []
    for index, ref in new_refs:
        relative = f"{CLIENTS_DIR}/{ref.id}.yaml"
        writes.append((relative, _client_text(profile, ref, harvest.facts.get(index))))
        changes[ref.id].new_file = relative
    writes.extend(_ledgers(profile.source, workspace, ledgers, new_entries, export_ids,
                           start, end, changes))

    by_hand = _by_hand(directory, harvest.facts, sessions_of)
    changed = [c for c in changes.values() if c.any]
    return ImportPlan(
        source=profile.source, title=profile.title or profile.source, files=harvest.files,
        kinds=harvest.kinds, rows_read=harvest.rows_read,
        sessions=sum(len(v) for v in sessions_of.values()),
        range=(start, end) if start is not None and end is not None else None,
        writes=writes, changes=sorted(changed, key=lambda c: c.id),
        unchanged=len(changes) - len(changed), by_hand=by_hand, skipped=skipped,
        outside=outside, hand_kept=hand_kept, unread_columns=harvest.unread_columns,
        not_imported=harvest.not_imported,
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _client_file_stems(workspace: Path) -> list[str]:
    folder = workspace / CLIENTS_DIR
    if not folder.is_dir():
        return []
    return [p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml")]


def _new_clients(directory: Directory, sessions_of: dict[int, list[Row]],
                 facts: dict[int, Facts], in_export: set[int]) -> list[tuple[int, Ref]]:
    """New clients with something to import: sessions, or (FHIR) an episode or a plan."""
    new: dict[str, tuple[int, Ref]] = {}
    for index, ref in enumerate(directory.refs):
        if ref.client is not None or ref.new_id is None:
            continue
        said = facts.get(index)
        if sessions_of.get(index) or (said is not None and (said.intake or said.plans)):
            new.setdefault(ref.new_id, (index, ref))
            in_export.add(index)
    return [new[k] for k in sorted(new)]


def _entries(directory: Directory, rows: list[Row], sessions_of: dict[int, list[Row]]
             ) -> dict[str, list[Entry]]:
    """The export's sessions as ledger entries, by client id, in date order; sessions on
    one day keep the export's order."""
    entries: dict[str, list[Entry]] = defaultdict(list)
    for index, day, status, signed, _ in rows:
        if status != SKIP and index in sessions_of:
            client_id = directory.refs[index].id
            entries[client_id].append(Entry(client_id, day, status, signed))
    for found in entries.values():
        found.sort(key=lambda e: e.date)  # stable
    return entries


def _ledgers(source: str, workspace: Path, ledgers: dict[int, list[Entry]],
             new_entries: dict[str, list[Entry]], export_ids: set[str],
             start: date | None, end: date | None, changes: dict[str, ClientChange]
             ) -> list[tuple[str, str]]:
    """The ledgers to write, after pairing what they held in the range with the export."""
    replaced: dict[str, list[Entry]] = defaultdict(list)
    kept: dict[int, list[Entry]] = {}
    for year, entries in ledgers.items():
        kept[year] = []
        for entry in entries:
            if (entry.client.casefold() in export_ids and start is not None
                    and end is not None and start <= entry.date <= end):
                replaced[entry.client.casefold()].append(entry)
            else:
                kept[year].append(entry)
    by_id = {cid.casefold(): cid for cid in changes}
    for client_key in sorted(set(replaced) | {k.casefold() for k in new_entries}):
        client_id = by_id.get(client_key, client_key)
        change = changes.setdefault(client_id, ClientChange(client_id, ""))
        _pair(replaced.get(client_key, []), new_entries.get(client_id, []), change)
    by_year: dict[int, list[Entry]] = {year: list(entries) for year, entries in kept.items()}
    for entries in new_entries.values():
        for entry in entries:
            by_year.setdefault(entry.date.year, []).append(entry)
    writes = []
    for year in sorted(by_year):
        entries = by_year[year]
        entries.sort(key=lambda e: (e.client, e.date))  # stable
        relative = ledger_path(source, year)
        text = ledger_text(source, entries)
        if _current(workspace / relative) != text:
            writes.append((relative, text))
    return writes


def _pair(old: list[Entry], new: list[Entry], change: ClientChange) -> None:
    """Count added, changed and removed sessions, day by day in listed order, and carry
    a person's note and x_ keys over to the session that replaces theirs."""
    if not old:
        change.added += len(new)
        return
    old_by_day: dict[date, list[Entry]] = defaultdict(list)
    for entry in old:
        old_by_day[entry.date].append(entry)
    new_by_day: dict[date, list[Entry]] = defaultdict(list)
    for entry in new:
        new_by_day[entry.date].append(entry)
    for day in set(old_by_day) | set(new_by_day):
        before, after = old_by_day.get(day, []), new_by_day.get(day, [])
        for previous, entry in zip(before, after, strict=False):
            if (previous.status, previous.note_signed or None) != \
                    (entry.status, entry.note_signed or None):
                change.changed += 1
            entry.note, entry.extras = previous.note, previous.extras
        change.added += max(len(after) - len(before), 0)
        change.removed += max(len(before) - len(after), 0)


def _current(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _client_text(profile: Profile, ref: Ref, facts: Facts | None) -> str:
    intake = (facts.intake if facts and facts.intake else None) or ref.earliest
    if intake is None and facts and facts.plans:
        intake = min(facts.plans)
    assert intake is not None
    lines = [
        f"# Client file made by `caseload import {profile.source}` when the export first named",
        "# this client. Its sessions are imported into content/imported/; add treatment",
        "# plans, contacts and the discharge record here.",
        f"id: {emit.text(ref.id)}",
        f"name: {emit.text(ref.name)}",
        f"intake_date: {emit.day(intake)}",
    ]
    if ref.clinician:
        lines.append(f"clinician: {emit.text(ref.clinician)}")
    if facts and facts.plans:
        lines.append("treatment_plans:")
        lines.extend(f"  - date: {emit.day(day)}" for day in sorted(facts.plans))
    if facts and facts.discharge and not facts.open_episode:
        lines.append("discharge:")
        lines.append(f"  date: {emit.day(facts.discharge)}")
    return "\n".join(lines) + "\n"


def _by_hand(directory: Directory, facts: dict[int, Facts],
             sessions_of: dict[int, list[Row]]) -> list[str]:
    """What the export says about known clients that only a person may write down."""
    lines: list[str] = []
    known = [(index, ref.client) for index, ref in enumerate(directory.refs)
             if ref.client is not None]
    for index, client in sorted(known, key=lambda pair: pair[1].id):
        said = facts.get(index)
        name = f"{client.id} {printable(client.name)}"
        if said is not None:
            lines.extend(f"{name}: {what}" for what in _facts_missing(client, said))
        rows = sessions_of.get(index)
        if rows:
            first = min(row[1] for row in rows)
            if first < client.intake_date:
                lines.append(f"{name}: sessions from {first}, before the intake date "
                             f"{client.intake_date} in {client.source.path}; check the intake "
                             "date")
    return lines


def _facts_missing(client: Client, said: Facts) -> Iterator[str]:
    path = client.source.path
    if said.intake and said.intake != client.intake_date:
        yield (f"intake {said.intake} in the export, {client.intake_date} in {path}; "
               "correct it there if the export is right")
    if said.discharge and not said.open_episode and (
            client.discharge is None or client.discharge.date != said.discharge):
        yield f"discharged {said.discharge} in the export; record the discharge in {path}"
    plan_days = {plan.date for plan in client.treatment_plans}
    for day in sorted(said.plans - plan_days):
        yield f"treatment plan of {day} in the export; add it to {path}"


def _summary(plan: ImportPlan, dry_run: bool) -> list[str]:
    lines: list[str] = []
    kinds = ", ".join(sorted(set(plan.kinds)))
    lines.append(f"{plan.title}: {_count(plan.files, 'file')} ({kinds}), "
                 f"{_count(plan.rows_read, 'row')}, {_count(plan.sessions, 'session')} to "
                 "import.")
    if plan.range:
        lines.append(f"Range replaced: {plan.range[0]} to {plan.range[1]} ({plan.source} "
                     "sessions of the clients in the export; nothing else is touched).")
    notes = []
    if plan.outside:
        notes.append(f"{_count(plan.outside, 'row')} outside the range left out")
    if plan.skipped:
        notes.append(f"{_count(plan.skipped, 'row')} whose status is not imported")
    if plan.not_imported:
        notes.append(f"{_count(plan.not_imported, 'patient')} with no appointment, episode "
                     "or plan left out")
    if notes:
        lines.append("; ".join(notes).capitalize() + ".")
    if plan.unread_columns:
        lines.append("Columns not read: " + ", ".join(printable(c) for c in plan.unread_columns)
                     + ".")
    if plan.changes:
        lines.append("")
    added = changed = removed = 0
    new = []
    for change in plan.changes:
        parts = [f"{n:,} {what}" for n, what in ((change.added, "added"),
                                                (change.changed, "changed"),
                                                (change.removed, "removed")) if n]
        added, changed, removed = (added + change.added, changed + change.changed,
                                   removed + change.removed)
        if change.new_file:
            new.append(change)
            parts.insert(0, f"new client, {change.new_file}")
        lines.append(f"  {change.id} {printable(change.name)}: {', '.join(parts)}")
    if plan.hand_kept:
        lines.append("")
        lines.append("Left out, sessions kept by hand:")
        lines.extend(f"  {line}" for line in plan.hand_kept)
    if plan.by_hand:
        lines.append("")
        lines.append("Add by hand (an import never changes a client file it did not make):")
        lines.extend(f"  {line}" for line in plan.by_hand)
    lines.append("")
    unchanged = f"; {_count(plan.unchanged, 'client')} unchanged" if plan.unchanged else ""
    lines.append(f"Sessions: {added:,} added, {changed:,} changed, {removed:,} removed; "
                 f"{_count(len(new), 'new client')}{unchanged}.")
    paths = [path for path, _ in plan.writes]
    if not paths:
        lines.append("Nothing to write: the workspace already says what the export says.")
    elif dry_run:
        lines.append(f"Dry run: nothing was written. The import would write "
                     f"{', '.join(paths)}.")
    else:
        lines.append(f"Wrote {', '.join(paths)}.")
    return lines


def _count(count: int, word: str) -> str:
    """'1 row', '21,000 rows'."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"

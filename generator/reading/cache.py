"""A parse cache: validated clients keyed by the exact bytes of their file.

Parsing YAML is the slow part of a check; rules and templates are cheap. The
cache keeps, for each content file that validated cleanly, its clients as
JSON, under a key made of the file's path, its bytes and the code that reads
them. A changed file, a changed loader or a different caseload version simply
misses; there is nothing to invalidate. Entries are written atomically (temp
file, then rename), so concurrent runs never see half an entry, and any entry
that cannot be read is ignored. It lives in the user's cache folder, never in
the workspace, and is written only after input that is valid throughout. The
folder is private to its owner: it holds
health information. JSON rather than pickle, so that a planted cache file can
at worst be wrong data, which the key makes unreachable, never code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.fingerprint import code_digest
from generator.model.plain import (
    Days,
    client_of,
    entry_text,
    ledger_of,
    plain_client,
    plain_ledger,
)
from generator.reading.record import ClientRecord, LedgerRecord
from generator.usercache import cache_root


def cache_folder(workspace: Path) -> Path:
    """Where a workspace's cache lives: in the user's cache folder, never in the
    workspace (a check writes nothing there), one folder per workspace path."""
    name = hashlib.sha256(str(workspace.resolve()).encode("utf-8")).hexdigest()[:24]
    return cache_root() / name


_FORMAT = b"caseload-parse-cache-5"
FILE_NAME = "parse.lines"


def _salt() -> bytes:
    """The code that decides what a file means: when it changes, every key does."""
    return hashlib.sha256(_FORMAT + code_digest("model", "reading", "wording.py")).digest()


class ParseCache:
    """One file of entries, read once per run and written again when it changed.

    It keeps the entries this run used or added, so entries for old versions of
    a file fall out by themselves.
    """

    def __init__(self, workspace: Path) -> None:
        self.folder = cache_folder(workspace)
        self.path = self.folder / FILE_NAME
        self.workspace = workspace
        housekeeping(self.folder, workspace)
        self._stored: dict[str, str] | None = None
        self._kept: dict[str, str] = {}
        self._added = False
        self._days = Days()

    def key(self, rel_path: str, data: bytes) -> str:
        digest = hashlib.sha256(_salt())
        digest.update(rel_path.encode("utf-8") + b"\0")
        digest.update(data)
        return digest.hexdigest()

    def _entries(self) -> dict[str, str]:
        """Each stored entry's JSON text, by key. The file is a header line, then
        one line per entry, "<key> <JSON>": an entry is decoded only when asked
        for, and written again as the same text, never encoded twice."""
        if self._stored is None:
            self._stored = {}
            try:
                lines = self.path.read_text(encoding="utf-8").split("\n")
            except (OSError, ValueError):
                return self._stored
            if lines[0] == _FORMAT.decode():
                self._stored = {line[:_KEY_LENGTH]: line[_KEY_LENGTH + 1:]
                                for line in lines[1:] if line[_KEY_LENGTH:_KEY_LENGTH + 1] == " "}
        return self._stored

    def stored(self) -> bool:
        """Whether a file of entries is there (not yet read): false on a first run,
        or after the cache was deleted."""
        return bool(self._stored) or self.path.is_file()

    def get(self, key: str) -> list[Any] | None:
        text = self._entries().get(key)
        if text is None:
            return None
        try:
            records = records_from_plain(json.loads(text), self._days)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError):
            return None
        self._kept[key] = text
        return records

    def put(self, key: str, records: list[Any], plain: list[Any] | None = None,
            text: str | None = None) -> None:
        """Keep a valid file's records; `plain` is them as `plain_records` gives, and
        `text` that as JSON, when known."""
        if text is None:
            text = entry_text(plain_records(records) if plain is None else plain)
        self._kept[key] = text
        self._added = True

    def save(self) -> None:
        """Write the entries of this run, if they differ from what is stored.

        A damaged entry was parsed again and put under its old key: the keys alone
        would not show that the file must be written again to repair it.
        """
        if not self._added and self._kept.keys() == self._entries().keys():
            return
        temp: str | None = None
        try:
            self.folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.folder.mkdir(mode=0o700, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                # Line by line through the file's buffer: joining the tens of MB of
                # a large caseload into one text first would copy them twice more.
                out.write(_FORMAT.decode() + "\n")
                for key, text in self._kept.items():
                    out.write(f"{key} {text}\n")
            os.replace(temp, self.path)
            temp = None
            record_workspace(self.folder, self.workspace)
            # The previous format's file holds the same health information; no
            # version reads it any more.
            (self.folder / "parse.json").unlink(missing_ok=True)
        except OSError:
            # A cache that cannot be written only costs time next run.
            pass
        finally:
            if temp is not None:  # a half-written file (a full disk): health information
                with contextlib.suppress(OSError):
                    os.unlink(temp)


_KEY_LENGTH = 64  # a SHA-256 in hex


def plain_records(records: list[Any]) -> list[Any]:
    """A file's ClientRecords (or its LedgerRecord) as plain JSON data (what the cache
    stores)."""
    return [plain_ledger(r.path, r.ledger) if isinstance(r, LedgerRecord) else
            plain_client(r.client, r.where, (r.id_line, r.payer_line, r.clinician_line,
                                             r.discharge_date_line)) for r in records]


def records_from_plain(plain: list[Any], days: Days | None = None) -> list[Any]:
    """The ClientRecords back from `plain_records`' data (sharing the date objects in
    `days` with every other file read through it)."""
    days = Days() if days is None else days
    return [_record(item, days) for item in plain]


def _record(item: Any, days: Days) -> ClientRecord | LedgerRecord:
    if type(item) is dict:
        return LedgerRecord(*ledger_of(item, days))
    where, lines, client = client_of(item, days)
    return ClientRecord(client, where, *lines)


# --- housekeeping ----------------------------------------------------------------------
#
# One folder per workspace path ever checked, each holding health information:
# each records the workspace it belongs to (for `caseload cache`), and the time
# of that record is the workspace's last use. A folder unused for KEEP_DAYS days
# is deleted by the next run that opens the cache, whichever workspace it is for.

KEEP_DAYS = 30
RECORD = "workspace"  # the workspace's path, one line; its mtime is the last use
_FOLDER_NAME = re.compile(r"[0-9a-f]{24}")


@dataclass(frozen=True)
class CachedWorkspace:
    """One workspace's folder in the cache."""

    folder: Path
    workspace: str | None  # None when the folder does not say (an older caseload made it)
    size: int  # bytes
    last_used: float  # seconds since the epoch


def record_workspace(folder: Path, workspace: Path) -> None:
    """Write (or touch) the folder's record of its workspace: owner-only, like the rest."""
    record = folder / RECORD
    text = f"{workspace.resolve()}\n"
    try:
        if record.read_text(encoding="utf-8") == text:
            os.utime(record)  # now: the last use
            return
    except (OSError, ValueError):
        pass
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, record)
    except OSError:
        pass


def housekeeping(folder: Path, workspace: Path, now: float | None = None) -> None:
    """Mark `folder`, this run's, as used now (if it exists: a first run writes nothing
    until its input proved valid); delete every other workspace's folder unused for
    KEEP_DAYS days. Never fails: a cache is only ever worth some time."""
    now = time.time() if now is None else now
    if folder.is_dir():
        record_workspace(folder, workspace)
    for entry in cached_workspaces():
        if entry.folder != folder and now - entry.last_used > KEEP_DAYS * 86400:
            shutil.rmtree(entry.folder, ignore_errors=True)


def cached_workspaces() -> list[CachedWorkspace]:
    """Every workspace's folder in the cache, largest first."""
    try:
        folders = [Path(e.path) for e in os.scandir(cache_root())
                   if _FOLDER_NAME.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    found = []
    for folder in folders:
        size, latest, workspace = 0, 0.0, None
        try:
            for entry in os.scandir(folder):
                info = entry.stat(follow_symlinks=False)
                size += info.st_size
                latest = max(latest, info.st_mtime)
            record = folder / RECORD
            if record.is_file():
                workspace = record.read_text(encoding="utf-8").strip() or None
                latest = record.stat().st_mtime
            latest = latest or folder.stat().st_mtime
        except (OSError, ValueError):
            continue  # gone, or not ours to read
        found.append(CachedWorkspace(folder, workspace, size, latest))
    return sorted(found, key=lambda e: (-e.size, str(e.folder)))


def clear_cache(workspace: Path | None = None) -> list[CachedWorkspace]:
    """Delete one workspace's folder, or (None) every one; return what was there."""
    if workspace is not None:
        folder = cache_folder(workspace)
        removed = [e for e in cached_workspaces() if e.folder == folder]
    else:
        removed = cached_workspaces()
    for entry in removed:
        shutil.rmtree(entry.folder, ignore_errors=True)
    if workspace is None:
        with contextlib.suppress(OSError):
            cache_root().rmdir()  # only when nothing else is left in it
    return removed

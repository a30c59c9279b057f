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

import hashlib
import json
import os
import tempfile
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


def cache_folder(workspace: Path) -> Path:
    """Where a workspace's cache lives: in the user's cache folder, never in the
    workspace (a check writes nothing there), one folder per workspace path."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    name = hashlib.sha256(str(workspace.resolve()).encode("utf-8")).hexdigest()[:24]
    return base / "caseload" / name
_FORMAT = b"caseload-parse-cache-4"
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

    def empty(self) -> bool:
        """Whether nothing at all is stored (a first run, or after the cache was deleted)."""
        return not self._entries()

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
        lines = [_FORMAT.decode(), *(f"{key} {text}" for key, text in self._kept.items())]
        try:
            self.folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.folder.mkdir(mode=0o700, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
            os.replace(temp, self.path)
            # The previous format's file holds the same health information; no
            # version reads it any more.
            (self.folder / "parse.json").unlink(missing_ok=True)
        except OSError:
            # A cache that cannot be written only costs time next run.
            pass


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

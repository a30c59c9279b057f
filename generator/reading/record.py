"""What reading a content file gives: a valid client and the lines later checks point at."""

from __future__ import annotations

from dataclasses import dataclass

from generator.model.records import Client, Ledger


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A valid client, with the lines that later, cross-file checks point at.

    The fast path does not find those lines (they are 0): when a cross-file
    check needs them, the file is read again exactly (`_ExactLines`).
    """

    client: Client
    where: str
    id_line: int
    payer_line: int
    clinician_line: int
    discharge_date_line: int


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """A valid session ledger file, with the line of each entry (empty when the fast
    path or the cache read it: an error about an entry reads the file again)."""

    path: str
    ledger: Ledger
    lines: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """Where its sessions came from, in words: its `source:`, else its path."""
        return self.ledger.source or self.path

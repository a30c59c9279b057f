"""Who each export row is about: a client the caseload knows, or a new one.

The rule, in order:

1. an id from the export's id column that is a valid caseload id and names a
   known client (ignoring case) is that client;
2. otherwise a name that matches exactly one known client's name (ignoring
   letter case, accents' composition and spacing) is that client; a name that
   matches several is an error (the export must then give ids);
3. otherwise the row is about a new client: its id is the export's id when that
   is a valid id, else one derived from the name:
   "C-" and the first 8 characters of the base32 SHA-256 of the compared form
   of the name (e.g. "C-TDVX4Y2C"). The name is never spelled in the id, since
   ids are file names and URLs and stand in for the name on redacted pages.
   When that id is taken (by a known client, another new client or a file),
   "-2", "-3", ... is added, new names taken in alphabetical order of their
   compared form, so the same export gives the same ids whatever its row order.

Once a new client's file exists, rule 1 or 2 finds it, so its id never changes.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from generator.model.records import ID_PATTERN, Caseload, Client
from generator.wording import one_line


def compared_name(name: str) -> str:
    """The form names are compared in: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def derived_id(name: str) -> str:
    digest = hashlib.sha256(compared_name(name).encode("utf-8")).digest()
    return "C-" + base64.b32encode(digest)[:8].decode("ascii")


@dataclass
class Ref:
    """One client as the export names it (an id, a name, or both), before and after
    it is matched; `client` is the known client, `new_id` the id of a new one."""

    id_text: str | None  # a valid id from the export, else None
    name: str  # as the export first writes it ("" when it gives none)
    where: str  # the first row that names it, for messages
    client: Client | None = None
    new_id: str | None = None
    earliest: date | None = None
    clinician: str | None = None  # of the latest dated row that names one
    clinician_day: date | None = None

    @property
    def id(self) -> str:
        if self.client is not None:
            return self.client.id
        assert self.new_id is not None
        return self.new_id

    def saw(self, day: date, clinician: str | None) -> None:
        if self.earliest is None or day < self.earliest:
            self.earliest = day
        if clinician is not None and (self.clinician_day is None or day >= self.clinician_day):
            self.clinician, self.clinician_day = clinician, day


@dataclass
class Directory:
    """The known clients by id and by name, and the refs the export makes."""

    by_id: dict[str, Client]
    by_name: dict[str, list[Client]]
    refs: list[Ref] = field(default_factory=list)
    _index: dict[tuple[str | None, str], int] = field(default_factory=dict)

    @classmethod
    def of(cls, caseload: Caseload) -> Directory:
        by_id = {c.id.casefold(): c for c in caseload.clients}
        by_name: dict[str, list[Client]] = {}
        for client in caseload.clients:
            by_name.setdefault(compared_name(client.name), []).append(client)
        return cls(by_id, by_name)

    def ref(self, id_text: str | None, name: str, where: str) -> int:
        """The index of the ref for this id and name (made on first sight).

        An export's name may hold what a client file may not (a tab, a line break
        from a multi-line cell, a stray control character or bidi override): it is
        made one clean line first, so that the file written reads back."""
        name = one_line(name)
        valid = id_text if id_text and ID_PATTERN.fullmatch(id_text) else None
        key_name = compared_name(name)
        # One client per valid id; without one, one per name.
        key = (valid.casefold(), "") if valid else (None, key_name)
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.refs)
            self.refs.append(Ref(valid, name.strip(), where))
        elif not self.refs[index].name and name.strip():
            self.refs[index].name = name.strip()
        return index

    def resolve(self, taken_paths: Iterable[str]) -> list[tuple[Ref, str]]:
        """Match every ref (rules 1 and 2) and give the new ones ids (rule 3).
        Returns (ref, what is wrong) for refs that cannot be resolved."""
        problems: list[tuple[Ref, str]] = []
        for ref in self.refs:
            if ref.id_text and ref.id_text.casefold() in self.by_id:
                ref.client = self.by_id[ref.id_text.casefold()]
                continue
            if ref.name:
                matches = self.by_name.get(compared_name(ref.name), [])
                if len(matches) == 1:
                    ref.client = matches[0]
                    continue
                if len(matches) > 1:
                    ids = ", ".join(sorted(c.id for c in matches))
                    problems.append((ref, f"the name matches {len(matches)} clients ({ids}); "
                                          "give ids in the export, or tell them apart by name"))
                    continue
        taken = set(self.by_id) | {p.casefold() for p in taken_paths}
        new = [r for r in self.refs if r.client is None and r not in (p for p, _ in problems)]
        for ref in new:
            if ref.id_text:
                ref.new_id = ref.id_text
                taken.add(ref.id_text.casefold())
        # Same compared name, no id: one client. Derived ids in name order.
        by_name: dict[str, list[Ref]] = {}
        for ref in new:
            if not ref.id_text:
                if not ref.name:
                    problems.append((ref, "no client id and no name: cannot tell who this is"))
                    continue
                by_name.setdefault(compared_name(ref.name), []).append(ref)
        for name in sorted(by_name):
            base = derived_id(name)
            candidate, suffix = base, 1
            while candidate.casefold() in taken:
                suffix += 1
                candidate = f"{base}-{suffix}"
            taken.add(candidate.casefold())
            for ref in by_name[name]:
                ref.new_id = candidate
        return problems

"""What an export says, row by row, before anything is compared with the caseload's
files: which client, which day, which status, signed or not, which clinician."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from generator.importing.clients import Directory
from generator.importing.problems import Problems, did_you_mean, normal, quoted
from generator.importing.profile import Profile

# One appointment: (ref index, day, status or "skip", note_signed, clinician key).
Row = tuple[int, date, str, "date | bool | None", "str | None"]


@dataclass
class Facts:
    """What a FHIR bundle says about a patient beyond its appointments."""

    intake: date | None = None
    discharge: date | None = None
    open_episode: bool = False
    plans: set[date] = field(default_factory=set)


@dataclass
class Harvest:
    directory: Directory
    rows: list[Row] = field(default_factory=list)
    files: int = 0
    rows_read: int = 0
    kinds: list[str] = field(default_factory=list)  # what each file was read as
    unread_columns: list[str] = field(default_factory=list)
    facts: dict[int, Facts] = field(default_factory=dict)
    not_imported: int = 0  # FHIR patients with nothing to import


class Clinicians:
    """Export values to practice.yaml clinician keys: the profile's map first, then a
    key, a display name, or a display name up to its first comma ("Dana Lee" for
    "Dana Lee, LCSW"), all compared ignoring case and spacing."""

    def __init__(self, practice: Mapping[str, Any] | None, profile: Profile,
                 problems: Problems) -> None:
        self.listed = practice is not None
        self.lookup: dict[str, str] = {}
        self.names: list[str] = []
        for key, value in (practice or {}).items():
            name = value if isinstance(value, str) else str(getattr(value, "name", key))
            self.names.append(name.split(",")[0].strip())
            for form in (key, name, name.split(",")[0]):
                self.lookup.setdefault(normal(form), key)
        keys = list(practice or {})
        for value, target in profile.clinicians.targets.items():
            if practice is not None and target not in practice:
                line = profile.clinicians.lines.get(value, 1)
                problems.add(f"{profile.label}:{line}",
                             f"clinician.values: {quoted(target)} is not a clinician in "
                             f"site_config/practice.yaml{did_you_mean(target, keys)}"
                             f" (one of: {', '.join(keys) or 'none listed'})")
            self.lookup[value] = target
        self.choices = [*self.names, *profile.clinicians.written]

    def resolve(self, value: str) -> str | None:
        """The key for `value`; None when it is not known."""
        return self.lookup.get(normal(value))

    def unknown_is_error(self) -> bool:
        # A practice that lists no clinicians accepts any; then unmapped names are left out.
        return self.listed

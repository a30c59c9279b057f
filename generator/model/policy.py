"""Policy: the built-in defaults, their schema, and the three-layer merge.

Effective policy of a client = built-in defaults, overridden key by key by the
practice, overridden key by key by the client's payer. Every value remembers
which layer it came from, because an auditor asks "says who?".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from generator.model.records import Caseload, Payer


@dataclass(frozen=True, slots=True)
class Setting:
    key: str  # "section.key"
    default: int | bool | datetime.date | None  # None: off, or no such day
    kind: Literal["int", "bool", "date"]
    minimum: int = 0
    meaning: str = ""


SETTINGS: tuple[Setting, ...] = (
    Setting("treatment_plan.review_interval_days", 90, "int", 1,
            "a treatment plan must be updated at least this often (days)"),
    Setting("treatment_plan.initial_within_days", 30, "int", 0,
            "the first treatment plan is due this many days after intake"),
    Setting("treatment_plan.due_soon_days", 14, "int", 0,
            "warn this many days before a treatment plan is due"),
    Setting("attendance.inactive_after_days", 60, "int", 1,
            "no attended session for longer than this, and nothing scheduled: inactive"),
    Setting("attendance.no_show_limit", 3, "int", 1,
            "this many no-shows inside the window is a pattern"),
    Setting("attendance.no_show_window_days", 90, "int", 1,
            "the no-show window, in days, ending on the as-of date"),
    Setting("attendance.late_cancel_counts_as_no_show", True, "bool", 0,
            "whether late cancellations count as no-shows"),
    Setting("attendance.consecutive_no_show_limit", 2, "int", 0,
            "this many no-shows in a row is a pattern too (0: rule off)"),
    Setting("discharge.summary_within_days", 14, "int", 0,
            "a discharge summary is due this many days after discharge"),
    Setting("discharge.min_outreach_attempts", 2, "int", 0,
            "documented contacts needed when the client did not take part in the discharge"),
    Setting("documentation.note_within_days", None, "int", 0,
            "a progress note must be signed within this many days of an attended session "
            "(not set: notes are not checked)"),
    Setting("documentation.notes_checked_from", None, "date", 0,
            "sessions before this day are never checked for notes (the day tracking began)"),
    Setting("documentation.plan_signatures_required", False, "bool", 0,
            "the plan in force must carry the provider's and the client's signature "
            "(or a recorded waiver)"),
    Setting("documentation.plan_sign_within_days", 14, "int", 0,
            "days after a plan's date before a missing signature is a finding"),
)
SETTINGS_BY_KEY = MappingProxyType({s.key: s for s in SETTINGS})
SECTIONS: dict[str, tuple[str, ...]] = {}
for _s in SETTINGS:
    _section, _name = _s.key.split(".")
    SECTIONS[_section] = (*SECTIONS.get(_section, ()), _name)

Layer = Literal["built-in", "practice", "payer"]


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    """The numbers in force for one client, each with the layer that set it."""

    values: MappingProxyType[str, Any]
    layers: MappingProxyType[str, Layer]
    practice_name: str
    payer_id: str | None = None
    payer_name: str | None = None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def says_who(self, key: str) -> str:
        """Who requires this value, in words fit for a message."""
        layer = self.layers[key]
        if layer == "payer":
            return str(self.payer_name)
        if layer == "practice":
            return self.practice_name
        return "the default policy"


def merge(practice_name: str, practice_policy: dict[str, Any], payer: Payer | None
          ) -> EffectivePolicy:
    values: dict[str, Any] = {}
    layers: dict[str, Layer] = {}
    for setting in SETTINGS:
        key = setting.key
        if payer is not None and key in payer.policy:
            values[key], layers[key] = payer.policy[key], "payer"
        elif key in practice_policy:
            values[key], layers[key] = practice_policy[key], "practice"
        else:
            values[key], layers[key] = setting.default, "built-in"
    return EffectivePolicy(
        values=MappingProxyType(values),
        layers=MappingProxyType(layers),
        practice_name=practice_name,
        payer_id=payer.id if payer else None,
        payer_name=payer.name if payer else None,
    )


def policy_for_payer(caseload: Caseload, payer_id: str | None) -> EffectivePolicy:
    payer = caseload.payers.get(payer_id) if payer_id else None
    return merge(caseload.practice_name, caseload.practice_policy, payer)

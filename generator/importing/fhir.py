"""FHIR R4 bundles (JSON) read into rows: Patient → client, Appointment → session,
EpisodeOfCare → intake and discharge, CarePlan → plan date.

Every resource is validated by the fhir.resources library (its R4B models, which
read R4 resources); its complaints are reported by where they are in the bundle
(`entry[3].resource.status`) and what is wrong, never with the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from generator.importing import tables
from generator.importing.harvest import Clinicians, Facts, Harvest, Row
from generator.importing.problems import Problems, did_you_mean, quoted
from generator.importing.profile import SKIP, Profile


def read_bundles(profile: Profile, files: list[tuple[Path, str]], harvest: Harvest,
                 clinicians: Clinicians, problems: Problems,
                 progress: Callable[[int], None]) -> None:
    for path, label in files:
        document = _load(path, label, problems)
        if document is None:
            continue
        harvest.files += 1
        harvest.kinds.append("FHIR bundle")
        progress(path.stat().st_size)
        reading = _Bundle(profile, label, harvest, clinicians, problems)
        reading.read(document)
        reading.report()


def _load(path: Path, label: str, problems: Problems) -> dict[str, Any] | None:
    try:
        size = path.stat().st_size
        if size > tables.MAX_EXPORT_BYTES:
            problems.add(label, f"the file is over {tables.MAX_EXPORT_BYTES // (1024 * 1024)} "
                         "MiB; export a shorter period")
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.add(label, "no such file" if isinstance(exc, FileNotFoundError)
                     else f"cannot read: {exc.strerror or exc}")
        return None
    if not data.strip():
        problems.add(label, "the file is empty")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.add(label, "not UTF-8 text; a FHIR bundle is UTF-8 JSON")
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(f"{label}:{exc.lineno}", f"not valid JSON ({exc.msg})")
        return None
    except RecursionError:
        problems.add(label, "not a FHIR bundle (nested too deeply)")
        return None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        problems.add(label, "not a FHIR bundle (the top level needs \"resourceType\": "
                     "\"Bundle\")")
        return None
    return document


def _where(location: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(f".{part}" if parts else str(part))
    return "".join(parts)


def _errors(exc: ValueError) -> list[dict[str, Any]]:
    """Each located error of a validation failure (pydantic's ValidationError.errors())."""
    errors = getattr(exc, "errors", None)
    found = errors() if callable(errors) else None
    if not isinstance(found, list) or not found:
        return [{"loc": (), "msg": "not valid"}]
    return [dict(e) for e in found]


def _message(error: dict[str, Any]) -> str:
    """The library's complaint in its own words, without the value it complains about."""
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        shown = str(value)
        if len(shown) >= 2 and shown in message:
            message = message.replace(shown, "…")
    return message.rstrip(".")


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None  # a year or a month alone


class _Bundle:
    def __init__(self, profile: Profile, label: str, harvest: Harvest,
                 clinicians: Clinicians, problems: Problems) -> None:
        self.profile = profile
        self.label = label
        self.harvest = harvest
        self.clinicians = clinicians
        self.problems = problems
        self.patients: dict[str, tuple[int, Any]] = {}  # reference -> (entry, Patient)
        self.practitioners: dict[str, Any] = {}
        self.patient_entries: set[int] = set()
        self.refs: dict[int, int] = {}  # a Patient's entry -> its ref index
        self.pending: list[tuple[int, int, str, str, str | None]] = []

    def error(self, where: str, what: str, kind: str | None = None) -> None:
        # Held back and reported in the bundle's order (entries are checked in two passes).
        entry = re.match(r"entry\[(\d+)\]", where)
        self.pending.append((int(entry[1]) if entry else -1, len(self.pending), where, what,
                             kind))

    def report(self) -> None:
        for _, _, where, what, kind in sorted(self.pending, key=lambda p: p[:2]):
            self.problems.add(self.label, f"{where}: {what}",
                              (self.label, kind) if kind else None)
        self.pending.clear()

    def read(self, document: dict[str, Any]) -> None:
        from fhir.resources.R4B import get_fhir_model_class
        from fhir.resources.R4B.bundle import Bundle

        shell = {k: v for k, v in document.items() if k != "entry"}
        try:
            Bundle.model_validate(shell)
        except ValueError as exc:  # the library's ValidationError, with each error located
            for error in _errors(exc):
                self.error(_where(error["loc"]) or "bundle", _message(error))
        entries = document.get("entry", [])
        if not isinstance(entries, list):
            self.error("entry", "must be a list of entries")
            return
        resources: list[tuple[int, Any]] = []
        for index, entry in enumerate(entries):
            where = f"entry[{index}].resource"
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                self.error(f"entry[{index}]", "has no resource")
                continue
            kind = resource.get("resourceType")
            try:
                model = get_fhir_model_class(kind) if isinstance(kind, str) else None
            except (ValueError, KeyError):
                model = None
            if model is None:
                self.error(f"{where}.resourceType", "not a FHIR R4 resource type")
                continue
            try:
                validated: Any = model.model_validate(resource)
            except ValueError as exc:
                for error in _errors(exc):
                    self.error(f"{where}.{_where(error['loc'])}" if error["loc"] else where,
                               _message(error), "invalid resources")
                continue
            except Exception:  # the library's own failures: name the resource only
                self.error(where, f"not a valid {kind}", "invalid resources")
                continue
            full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
            if kind == "Patient":
                self.patient_entries.add(index)
                for reference in self._names(full_url, "Patient", validated.id):
                    self.patients[reference] = (index, validated)
            elif kind == "Practitioner":
                for reference in self._names(full_url, "Practitioner", validated.id):
                    self.practitioners[reference] = validated
            resources.append((index, validated))
        for index, resource in resources:
            kind = resource.get_resource_type()
            if kind == "Appointment":
                self._appointment(index, resource)
            elif kind == "EpisodeOfCare":
                self._episode(index, resource)
            elif kind == "CarePlan":
                self._plan(index, resource)
        self.harvest.not_imported += len(self.patient_entries - self.refs.keys())

    @staticmethod
    def _names(full_url: str | None, kind: str, resource_id: str | None) -> list[str]:
        names = [full_url] if full_url else []
        if resource_id:
            names.append(f"{kind}/{resource_id}")
        return names

    def _patient(self, reference: str | None) -> tuple[int, Any] | None:
        if not reference:
            return None
        if reference in self.patients:
            return self.patients[reference]
        tail = reference.rsplit("/", 2)
        if len(tail) >= 2 and tail[-2] == "Patient":
            return self.patients.get(f"Patient/{tail[-1]}")
        return None

    def _ref(self, where: str, reference: str | None) -> int | None:
        """The client for a patient reference (None after reporting a problem)."""
        found = self._patient(reference)
        if found is None:
            self.error(where, "refers to no Patient in the bundle", "unresolved patients")
            return None
        entry, patient = found
        if entry in self.refs:
            return self.refs[entry]
        name = _name(patient)
        if not name:
            self.error(f"entry[{entry}].resource.name", "a patient needs a name (text, or "
                       "given and family)")
            return None
        index = self.harvest.directory.ref(patient.id, name, f"{self.label}: entry[{entry}]")
        self.refs[entry] = index
        return index

    def _appointment(self, index: int, appointment: Any) -> None:
        where = f"entry[{index}].resource"
        status = self.profile.statuses.get(appointment.status)
        if status is None:
            choices = [v for v in self.profile.statuses.written if v]
            self.error(f"{where}.status", f"unknown status {quoted(appointment.status)}"
                       f"{did_you_mean(appointment.status, choices)}", "unknown statuses")
            return
        day = _day(appointment.start)
        if day is None:
            if status == SKIP:
                return
            self.error(f"{where}.start", "missing: a session needs its day")
            return
        clinician = None
        patients: list[int] = []
        for number, participant in enumerate(appointment.participant or []):
            actor = participant.actor
            reference = actor.reference if actor is not None else None
            if not reference:
                continue
            actor_where = f"{where}.participant[{number}].actor"
            if reference.startswith("Patient/") or self._patient(reference) is not None:
                ref = self._ref(actor_where, reference)
                if ref is None:
                    return
                patients.append(ref)
            elif "Practitioner/" in reference or reference in self.practitioners:
                found = self._clinician(actor_where, actor)
                if found is False:
                    return
                clinician = found if isinstance(found, str) else None
        if not patients:
            self.error(f"{where}.participant", "names no Patient", "unresolved patients")
            return
        for ref in patients:
            row: Row = (ref, day, status, None, clinician)
            self.harvest.rows.append(row)
            self.harvest.rows_read += 1

    def _clinician(self, where: str, actor: Any) -> str | bool | None:
        practitioner = self.practitioners.get(actor.reference)
        if practitioner is None:
            tail = actor.reference.rsplit("/", 1)[-1]
            practitioner = self.practitioners.get(f"Practitioner/{tail}")
        candidates = []
        if practitioner is not None:
            candidates += [_name(practitioner), practitioner.id]
        candidates += [actor.display, actor.reference.rsplit("/", 1)[-1]]
        for candidate in candidates:
            if candidate:
                key = self.clinicians.resolve(candidate)
                if key is not None:
                    return key
        if not self.clinicians.unknown_is_error():
            return None
        shown = next((c for c in candidates if c), "")
        self.error(where, f"unknown clinician {quoted(shown)}"
                   f"{did_you_mean(shown, self.clinicians.choices)}; map it to a "
                   "practice.yaml key under clinician.values in a profile",
                   "unknown clinicians")
        return False

    def _facts(self, ref: int) -> Facts:
        return self.harvest.facts.setdefault(ref, Facts())

    def _episode(self, index: int, episode: Any) -> None:
        where = f"entry[{index}].resource"
        ref = self._ref(f"{where}.patient", episode.patient.reference if episode.patient
                        else None)
        if ref is None:
            return
        facts = self._facts(ref)
        period = episode.period
        start = _day(period.start) if period is not None else None
        end = _day(period.end) if period is not None else None
        if period is not None and period.start is not None and start is None:
            self.error(f"{where}.period.start", "needs a full day (like 2024-03-12), not "
                       "only a year or a month")
            return
        if start is not None and (facts.intake is None or start < facts.intake):
            facts.intake = start
        if episode.status == "finished" and end is not None:
            if facts.discharge is None or end > facts.discharge:
                facts.discharge = end
        elif episode.status not in ("cancelled", "entered-in-error", "finished"):
            facts.open_episode = True

    def _plan(self, index: int, plan: Any) -> None:
        where = f"entry[{index}].resource"
        reference = plan.subject.reference if plan.subject is not None else None
        if not reference or (self._patient(reference) is None
                             and not reference.startswith("Patient/")):
            return  # a group's plan, or one about no patient
        ref = self._ref(f"{where}.subject", reference)
        if ref is None:
            return
        when = plan.created or (plan.period.start if plan.period is not None else None)
        day = _day(when)
        if day is None:
            if when is not None:
                self.error(f"{where}.created", "needs a full day (like 2026-03-01)")
            return
        self._facts(ref).plans.add(day)


def _name(resource: Any) -> str:
    """A Patient's or Practitioner's name: the official one, else the first."""
    names = list(resource.name or [])
    if not names:
        return ""
    chosen = next((n for n in names if n.use == "official"), names[0])
    if chosen.text:
        return " ".join(chosen.text.split())
    parts = [*(chosen.given or []), chosen.family or ""]
    return " ".join(" ".join(p for p in parts if p).split())

"""What an audit request finds in the caseload on a date: pure, no I/O.

Each member named by the request is matched to a client, evaluated by the
engine (`evaluate`, with the client's effective policy) and each of its dates
of service (DOS: recorded attended sessions in the request's period) is checked
for a signed progress note and a treatment plan in force, the plan's due date
being the engine's (`plan_due_on`), and what counts as signed the engine's too
(`note_check`, `missing_signatures`). No grace period: an auditor sees the
record as it is on the as-of date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from generator.model.audit import AuditRequest, Member, business_days_left
from generator.model.policy import EffectivePolicy, policy_for_payer
from generator.model.records import Caseload, Client, Session, TreatmentPlan
from generator.rules.engine import (
    Evaluation,
    Finding,
    evaluate,
    missing_signatures,
    note_check,
    on_caseload,
    plan_due_on,
)

NoteState = Literal["signed", "late", "missing", "not_tracked"]
PlanState = Literal["current", "expired", "initial", "none"]
SignedState = Literal["yes", "no", "not_required"]
MemberStatus = Literal["complete", "incomplete", "not_found", "wrong_payer"]


@dataclass(frozen=True, slots=True)
class ServiceDate:
    """One date of service and the state of its records on the as-of date."""

    session: Session
    note: NoteState
    plan: PlanState
    plan_signed: SignedState
    plan_date: date | None  # the plan in force on the day, if any
    plan_due: date  # when that plan (or, with none, the first plan) was due

    @property
    def date(self) -> date:
        return self.session.date

    @property
    def complete(self) -> bool:
        return self.note in ("signed", "not_tracked") and self.plan in ("current", "initial") \
            and self.plan_signed != "no"


@dataclass(frozen=True, slots=True)
class MemberCheck:
    """One entry of the request's `members`, and what the record shows for it."""

    member: Member
    status: MemberStatus
    evaluation: Evaluation | None = None  # None: not found (or not this payer's member)
    client: Client | None = None  # the client matched (also for wrong_payer)
    dates: tuple[ServiceDate, ...] = ()
    findings: tuple[Finding, ...] = ()  # DISCHARGE-* error findings of a discharged member

    @property
    def id(self) -> str | None:
        return self.client.id if self.client is not None else None

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def not_found(self) -> bool:
        return self.status == "not_found"

    @property
    def wrong_payer(self) -> bool:
        return self.status == "wrong_payer"


@dataclass(frozen=True, slots=True)
class Audit:
    request: AuditRequest
    as_of: date
    members: tuple[MemberCheck, ...]  # in request order, an entry listed twice twice

    @property
    def due(self) -> date:
        return self.request.due

    @property
    def business_days_left(self) -> int:
        return business_days_left(self.as_of, self.request.due, self.request.holidays)

    @property
    def complete(self) -> bool:
        return all(m.complete for m in self.members)

    @property
    def overdue(self) -> bool:
        """The as-of date is after the due date."""
        return self.as_of > self.request.due

    @property
    def open(self) -> bool:
        """The deadline has not passed (due on or after the as-of date)."""
        return self.request.due >= self.as_of

    @property
    def summary(self) -> dict[str, int]:
        done = sum(1 for m in self.members if m.complete)
        return {"members": len(self.members), "complete": done,
                "incomplete": len(self.members) - done}

    @property
    def evaluations(self) -> tuple[Evaluation, ...]:
        """The members in the packet: each found member of the payer once, in id order."""
        found = {m.evaluation.client.id: m.evaluation for m in self.members
                 if m.evaluation is not None}
        return tuple(found[key] for key in sorted(found))


def matches(member: Member, clients: tuple[Client, ...]) -> tuple[Client, ...]:
    """The clients an entry names: by id, ignoring case, or by member_id, exactly (a
    client named both ways is one match)."""
    lowered = member.text.lower()
    return tuple(c for c in clients
                 if c.id.lower() == lowered or c.member_id == member.text)


def ambiguous(request: AuditRequest, caseload: Caseload
              ) -> list[tuple[Member, tuple[Client, ...]]]:
    """The entries that name more than one client (an input error)."""
    found = []
    for member in request.members:
        named = matches(member, caseload.clients)
        if len(named) > 1:
            found.append((member, named))
    return found


def evaluate_audit(request: AuditRequest, caseload: Caseload, as_of: date,
                   policies: Mapping[str | None, EffectivePolicy] | None = None) -> Audit:
    """Every member of `request` on `as_of` (no entry may name two clients: see
    `ambiguous`). `policies` are the effective policies by payer, when already merged."""
    merged = dict(policies or {})
    evaluations: dict[str, Evaluation] = {}
    checks = []
    for member in request.members:
        named = matches(member, caseload.clients)
        client = named[0] if named else None
        if client is None or not on_caseload(client, as_of):
            checks.append(MemberCheck(member, "not_found"))
            continue
        if request.payer is not None and client.payer != request.payer:
            checks.append(MemberCheck(member, "wrong_payer", client=client))
            continue
        evaluation = evaluations.get(client.id)
        if evaluation is None:
            if client.payer not in merged:
                merged[client.payer] = policy_for_payer(caseload, client.payer)
            evaluation = evaluations[client.id] = evaluate(client, merged[client.payer], as_of)
        checks.append(_check(member, evaluation, request))
    return Audit(request, as_of, tuple(checks))


def _check(member: Member, evaluation: Evaluation, request: AuditRequest) -> MemberCheck:
    dates = tuple(service_date(entry.session, evaluation) for entry in evaluation.history()
                  if entry.state == "recorded" and entry.session.status == "attended"
                  and request.in_period(entry.session.date))
    findings = tuple(f for f in evaluation.findings if evaluation.discharged
                     and f.severity == "error" and f.code.startswith("DISCHARGE-"))
    complete = all(d.complete for d in dates) and not findings
    return MemberCheck(member, "complete" if complete else "incomplete", evaluation,
                       evaluation.client, dates, findings)


def service_date(session: Session, evaluation: Evaluation) -> ServiceDate:
    """The note, plan and plan-signature state of one date of service."""
    client, policy, as_of = evaluation.client, evaluation.policy, evaluation.as_of
    plan, due = plan_due_on(client, policy, session.date)
    if plan is not None:
        plan_state: PlanState = "current" if session.date <= due else "expired"
    else:
        plan_state = "initial" if session.date <= due else "none"
    signed: SignedState = "not_required"
    if plan is not None and policy["documentation.plan_signatures_required"]:
        signed = "yes" if plan_signed_by(plan, as_of) else "no"
    return ServiceDate(session, note_state(session, policy, as_of), plan_state, signed,
                       plan.date if plan is not None else None, due)


def note_state(session: Session, policy: EffectivePolicy, as_of: date) -> NoteState:
    """The engine's note check, with no grace period: a note not signed by the as-of
    date is `missing` to an auditor, whether or not its deadline has passed."""
    state = note_check(session, policy, as_of).state
    return "missing" if state == "due" else state


def plan_signed_by(plan: TreatmentPlan, as_of: date) -> bool:
    """The provider signed, and the client signed or the signature was waived, by `as_of`."""
    return not missing_signatures(plan, as_of)

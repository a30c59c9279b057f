"""An audit request's result, shaped for output: the JSON document, the terminal
checklist, and the restricted report the packet site is built from."""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

from generator.model.records import Caseload
from generator.report.report import Report, Scope
from generator.rules.audit import Audit, MemberCheck, ServiceDate
from generator.wording import plural, printable

NOTE_WORDS = {"signed": "signed", "late": "signed late", "missing": "missing",
              "not_tracked": "not tracked"}
PLAN_WORDS = {"current": "current", "expired": "expired", "initial": "initial period",
              "none": "none"}
SIGNED_WORDS = {"yes": "signed", "no": "not signed", "not_required": "not required"}


def audit_json(audit: Audit) -> dict[str, Any]:
    """Exactly the keys of an audit document: request (as written), due,
    business_days_left, members (in request order) and summary."""
    return {
        "request": audit.request.as_written,
        "due": audit.due.isoformat(),
        "business_days_left": audit.business_days_left,
        "members": [_member_json(m) for m in audit.members],
        "summary": audit.summary,
    }


def _member_json(check: MemberCheck) -> dict[str, Any]:
    return {
        "member": check.member.text,
        "id": check.id,
        "status": check.status,
        "sessions": [{"date": d.date.isoformat(), "note": d.note, "plan": d.plan,
                      "plan_signed": d.plan_signed} for d in check.dates],
        "findings": [f.code for f in check.findings],
    }


def deadline_words(audit: Audit) -> str:
    left = audit.business_days_left
    if left > 0:
        return f"due {audit.due}, {plural(left, 'business day')} left"
    if left == 0:
        return f"due {audit.due}: today"
    return f"due {audit.due}, {plural(-left, 'business day')} overdue"


def payer_words(audit: Audit, caseload: Caseload) -> str:
    payer = audit.request.payer
    if payer is None:
        return "the payer"
    return caseload.payers[payer].name


def service_words(d: ServiceDate) -> str:
    plan = PLAN_WORDS[d.plan]
    if d.plan_date is not None:
        plan += f" ({d.plan_date})"
    return (f"note {NOTE_WORDS[d.note]}; plan {plan}; plan signatures "
            f"{SIGNED_WORDS[d.plan_signed]}")


def render_audit_text(audit: Audit, caseload: Caseload, *, redact: bool = False
                      ) -> Iterator[str]:
    """The checklist a compliance officer works through: per member, per date of service."""
    request = audit.request
    yield printable(f"Audit request {request.path}: {payer_words(audit, caseload)}'s request "
                    f"of {request.requested_on}, {deadline_words(audit)}")
    yield f"Dates of service: {request.period_text}; records as of {audit.as_of}."
    yield ""
    for check in audit.members:
        yield from _member_lines(check, audit, redact)
    summary = audit.summary
    yield ""
    yield (f"{plural(summary['members'], 'member')}: {summary['complete']} complete, "
           f"{summary['incomplete']} incomplete.")


def _member_lines(check: MemberCheck, audit: Audit, redact: bool) -> Iterator[str]:
    box = "[x]" if check.complete else "[ ]"
    entry = check.member.text
    client = check.client
    if check.not_found:
        yield printable(f"{box} {entry}: not found (no client on the caseload on "
                        f"{audit.as_of} has this id or member number)")
        return
    assert client is not None
    who = [] if entry == client.id else [client.id]
    if not redact:
        who.append(client.name)
    head = f"{entry} ({', '.join(who)})" if who else entry
    if check.wrong_payer:
        payer = client.payer or "no payer"
        yield printable(f"{box} {head}: wrong payer (the client's payer is {payer}); not in "
                        "the packet")
        return
    if not check.dates:
        yield printable(f"{box} {head}: {check.status}; no dates of service in the period")
    else:
        gaps = sum(1 for d in check.dates if not d.complete)
        yield printable(f"{box} {head}: {check.status}; {plural(len(check.dates), 'date')} "
                        f"of service, {plural(gaps, 'gap')}")
    for d in check.dates:
        mark = "ok " if d.complete else "GAP"
        yield f"    {mark} {d.date}  {service_words(d)}"
    evaluation = check.evaluation
    if evaluation is not None and evaluation.discharged:
        if check.findings:
            for finding in check.findings:
                yield printable(f"    GAP discharge record: {finding.code}: {finding.message}")
        else:
            yield f"    ok  discharge record complete (discharged {evaluation.discharge_date})"


def audit_report(audit: Audit, report: Report) -> Report:
    """`report` restricted to the members in the packet (minimum necessary): the same
    evaluations, no other client's. The caseload keeps only the packet's clients and
    the payer of the request, so nothing downstream can name another client."""
    evaluations = audit.evaluations
    clients = tuple(e.client for e in evaluations)
    caseload = report.caseload
    kept = {e.client.payer for e in evaluations} | {audit.request.payer}
    payers = {key: payer for key, payer in caseload.payers.items() if key in kept}
    restricted = Caseload(caseload.practice_name, caseload.clinicians,
                          caseload.practice_policy, payers, clients)
    policies = {key: policy for key, policy in report.policies.items()
                if key in kept or key is None}
    return Report(report.as_of, restricted, Scope(payer=audit.request.payer), evaluations,
                  MappingProxyType(policies))

"""Report data: the evaluated caseload on one day, shaped for every output.

The terminal text, the JSON document and the site's pages all read a `Report`;
none of them evaluates rules on its own, so they cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from generator.model.policy import EffectivePolicy, policy_for_payer
from generator.model.records import Caseload
from generator.rules.engine import (
    ACTION_GROUPS,
    SEVERITIES,
    STATUSES,
    ClinicianLoad,
    Evaluation,
    Finding,
    clinician_load,
    evaluate,
    on_caseload,
)
from generator.wording import suggest


class UnknownScope(ValueError):
    """A --payer or --clinician that the workspace does not know."""


@dataclass(frozen=True, slots=True)
class Scope:
    payer: str | None = None
    clinician: str | None = None

    @property
    def title(self) -> str | None:
        if self.payer and self.clinician:
            return f"payer {self.payer}, clinician {self.clinician}"
        if self.payer:
            return f"payer {self.payer}"
        if self.clinician:
            return f"clinician {self.clinician}"
        return None


@dataclass(frozen=True, slots=True)
class ActionItem:
    group: str
    evaluation: Evaluation
    finding: Finding


@dataclass(frozen=True, slots=True)
class Report:
    as_of: date
    caseload: Caseload
    scope: Scope
    evaluations: tuple[Evaluation, ...]  # in id order
    # The policy in force for each payer's clients (None: no payer), every number with
    # the layer that set it: the same objects the evaluations read.
    policies: Mapping[str | None, EffectivePolicy]

    @property
    def status_counts(self) -> dict[str, int]:
        counts = Counter(e.status for e in self.evaluations)
        return {status: counts[status] for status in STATUSES if counts[status]}

    @property
    def severity_counts(self) -> dict[str, int]:
        counts = Counter(f.severity for e in self.evaluations for f in e.findings)
        return {severity: counts[severity] for severity in SEVERITIES}

    @property
    def has_errors(self) -> bool:
        return self.severity_counts["error"] > 0

    def actions(self) -> dict[str, list[ActionItem]]:
        """The work queue: findings grouped by what to do, soonest first."""
        groups: dict[str, list[ActionItem]] = {group: [] for group in ACTION_GROUPS}
        for evaluation in self.evaluations:
            for finding in evaluation.findings:
                groups[finding.rule.action].append(ActionItem(finding.rule.action, evaluation,
                                                              finding))
        for items in groups.values():
            items.sort(key=_action_order)
        return groups

    @property
    def counts_capacity(self) -> bool:
        """Whether the report holds every client a clinician carries. A payer's
        report leaves the other payers' clients out, so it counts no capacity."""
        return self.scope.payer is None

    def clinician_loads(self) -> dict[str, ClinicianLoad]:
        """Each clinician's clients against their capacity, by clinician key in key
        order: every clinician with clients in the report and every one with a
        capacity (in a clinician's report, that clinician alone); none in a
        payer's report (see `counts_capacity`)."""
        if not self.counts_capacity:
            return {}
        clients: dict[str, list[Evaluation]] = {}
        for evaluation in self.evaluations:
            if evaluation.client.clinician is not None:
                clients.setdefault(evaluation.client.clinician, []).append(evaluation)
        capacities = self.caseload.capacities
        keys = set(clients) | {key for key in capacities
                               if self.scope.clinician in (None, key)}
        return {key: clinician_load(clients.get(key, ()), capacities.get(key))
                for key in sorted(keys)}


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def _action_order(item: ActionItem) -> tuple[int, date, str]:
    return (_SEVERITY_RANK[item.finding.severity], item.finding.due or date.max,
            item.evaluation.client.id)


def build_report(caseload: Caseload, as_of: date, scope: Scope = Scope()) -> Report:
    _check_scope(caseload, scope)
    # A policy depends only on the payer: merge the layers once per payer, not per client.
    payers = {None, *caseload.payers, *(client.payer for client in caseload.clients)}
    policies = {payer: policy_for_payer(caseload, payer) for payer in payers}
    evaluations = tuple(
        evaluate(client, policies[client.payer], as_of)
        for client in caseload.clients
        if on_caseload(client, as_of)
        and (scope.payer is None or client.payer == scope.payer)
        and (scope.clinician is None or client.clinician == scope.clinician)
    )
    return Report(as_of, caseload, scope, evaluations, MappingProxyType(policies))


def _check_scope(caseload: Caseload, scope: Scope) -> None:
    if scope.payer is not None and scope.payer not in caseload.payers:
        raise UnknownScope(f"no payer '{scope.payer}' in site_config/payers/"
                           f"{suggest(scope.payer, caseload.payers)}")
    if scope.clinician is None:
        return
    known = caseload.clinicians if caseload.clinicians is not None else {
        c.clinician for c in caseload.clients if c.clinician
    }
    if scope.clinician not in known:
        raise UnknownScope(f"no clinician '{scope.clinician}' in this workspace"
                           f"{suggest(scope.clinician, known)}")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def client_json(evaluation: Evaluation) -> dict[str, Any]:
    client = evaluation.client
    return {
        "id": client.id,
        "name": client.name,
        "status": evaluation.status,
        "payer": client.payer,
        "clinician": client.clinician,
        "intake_date": _iso(client.intake_date),
        "last_session": _iso(evaluation.last_session),
        "days_since_last_session": evaluation.days_since_last_session,
        "next_appointment": _iso(evaluation.next_appointment),
        "plan_date": _iso(evaluation.plan_date),
        "plan_age_days": evaluation.plan_age_days,
        "plan_due": _iso(evaluation.plan_due),
        "discharge_date": _iso(evaluation.discharge_date),
        "findings": [
            {"code": f.code, "severity": f.severity, "message": f.message}
            for f in evaluation.findings
        ],
    }


def report_json(report: Report) -> dict[str, Any]:
    return {
        "as_of": report.as_of.isoformat(),
        "clients": [client_json(e) for e in report.evaluations],
        "summary": {
            "clients": len(report.evaluations),
            "by_status": report.status_counts,
            "findings": report.severity_counts,
        },
    }

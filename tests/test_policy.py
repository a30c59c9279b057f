"""The three-layer policy merge (generator.model.policy.merge), checked against the contract.

Effective policy of a client = built-in defaults, overridden key by key by the
practice, overridden key by key by the client's payer. Every value also carries
the layer that set it ("built-in", "practice" or "payer"), and `says_who`
names who requires it.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest

from generator.model.policy import merge
from generator.model.records import Payer, Source

PRACTICE = "Riverside Counseling"

# The policy table of section 3 with its built-in defaults.
DEFAULTS: dict[str, Any] = {
    "treatment_plan.review_interval_days": 90,
    "treatment_plan.initial_within_days": 30,
    "treatment_plan.due_soon_days": 14,
    "attendance.inactive_after_days": 60,
    "attendance.no_show_limit": 3,
    "attendance.no_show_window_days": 90,
    "attendance.late_cancel_counts_as_no_show": True,
    "attendance.consecutive_no_show_limit": 2,
    "discharge.summary_within_days": 14,
    "discharge.min_outreach_attempts": 2,
    # (v2): notes are not checked and plans need no signatures until a policy says so
    "documentation.note_within_days": None,
    "documentation.notes_checked_from": None,
    "documentation.plan_signatures_required": False,
    "documentation.plan_sign_within_days": 14,
}
KEYS = list(DEFAULTS)
BOOL_KEYS = {"attendance.late_cancel_counts_as_no_show",
             "documentation.plan_signatures_required"}
# Keys whose default is "not set": a layer's value is made up rather than counted up.
UNSET_KEYS = {
    "documentation.note_within_days": (3, 103),
    "documentation.notes_checked_from": (datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)),
}

# A valid value per key for each layer, different from the layer below it, so
# any mix-up of layers shows. (The boolean can only alternate: the practice
# turns late-cancel counting off, the payer turns it back on.)
PRACTICE_VALUES: dict[str, Any] = {
    key: UNSET_KEYS[key][0] if key in UNSET_KEYS else (not value) if key in BOOL_KEYS
    else value + 7 for key, value in DEFAULTS.items()
}
PAYER_VALUES: dict[str, Any] = {
    key: UNSET_KEYS[key][1] if key in UNSET_KEYS else (not PRACTICE_VALUES[key])
    if key in BOOL_KEYS else value + 100
    for key, value in DEFAULTS.items()
}

def payer(policy: dict[str, Any], pid: str = "aetna", name: str = "Aetna") -> Payer:
    return Payer(id=pid, name=name, policy=policy,
                 source=Source(f"site_config/payers/{pid}.yaml", 1))


def test_every_contract_key_and_only_those():
    effective = merge(PRACTICE, {}, None)
    assert set(effective.values) == set(DEFAULTS)
    assert set(effective.layers) == set(DEFAULTS)


@pytest.mark.parametrize("key", KEYS)
def test_built_in_defaults(key):
    effective = merge(PRACTICE, {}, None)
    assert effective[key] == DEFAULTS[key]
    assert type(effective[key]) is type(DEFAULTS[key])
    assert effective.values[key] == DEFAULTS[key]
    assert effective.layers[key] == "built-in"


def test_no_payer_means_no_payer_identity():
    effective = merge(PRACTICE, {}, None)
    assert effective.payer_id is None
    assert effective.payer_name is None
    assert effective.practice_name == PRACTICE


def test_payer_identity_is_kept():
    effective = merge(PRACTICE, {}, payer({}, "bcbs", "Blue Cross"))
    assert effective.payer_id == "bcbs"
    assert effective.payer_name == "Blue Cross"


@pytest.mark.parametrize("key", KEYS)
def test_practice_overrides_default_for_that_key_only(key):
    effective = merge(PRACTICE, {key: PRACTICE_VALUES[key]}, None)
    for other in KEYS:
        if other == key:
            assert effective[other] == PRACTICE_VALUES[key]
            assert effective.layers[other] == "practice"
        else:
            assert effective[other] == DEFAULTS[other]
            assert effective.layers[other] == "built-in"


@pytest.mark.parametrize("key", KEYS)
def test_payer_overrides_default_for_that_key_only(key):
    effective = merge(PRACTICE, {}, payer({key: PAYER_VALUES[key]}))
    for other in KEYS:
        if other == key:
            assert effective[other] == PAYER_VALUES[key]
            assert effective.layers[other] == "payer"
        else:
            assert effective[other] == DEFAULTS[other]
            assert effective.layers[other] == "built-in"


@pytest.mark.parametrize("key", KEYS)
def test_payer_overrides_practice(key):
    effective = merge(PRACTICE, {key: PRACTICE_VALUES[key]}, payer({key: PAYER_VALUES[key]}))
    assert effective[key] == PAYER_VALUES[key]
    assert effective.layers[key] == "payer"
    assert effective.says_who(key) == "Aetna"


@pytest.mark.parametrize("key", KEYS)
def test_practice_stands_when_payer_is_silent_on_the_key(key):
    others = {k: PAYER_VALUES[k] for k in KEYS if k != key}
    effective = merge(PRACTICE, dict(PRACTICE_VALUES), payer(others))
    assert effective[key] == PRACTICE_VALUES[key]
    assert effective.layers[key] == "practice"
    assert effective.says_who(key) == PRACTICE
    for other in others:
        assert effective[other] == PAYER_VALUES[other]
        assert effective.layers[other] == "payer"


@pytest.mark.parametrize("key", KEYS)
def test_practice_stands_when_payer_sets_nothing(key):
    effective = merge(PRACTICE, {key: PRACTICE_VALUES[key]}, payer({}))
    assert effective[key] == PRACTICE_VALUES[key]
    assert effective.layers[key] == "practice"


def test_three_layers_key_by_key():
    practice = {
        "treatment_plan.review_interval_days": 120,
        "attendance.no_show_limit": 4,
        "discharge.summary_within_days": 7,
    }
    payer_policy = {
        "attendance.no_show_limit": 2,
        "treatment_plan.due_soon_days": 21,
        "attendance.late_cancel_counts_as_no_show": False,
    }
    effective = merge(PRACTICE, practice, payer(payer_policy))
    expected = {
        "treatment_plan.review_interval_days": (120, "practice"),
        "treatment_plan.initial_within_days": (30, "built-in"),
        "treatment_plan.due_soon_days": (21, "payer"),
        "attendance.inactive_after_days": (60, "built-in"),
        "attendance.no_show_limit": (2, "payer"),
        "attendance.no_show_window_days": (90, "built-in"),
        "attendance.late_cancel_counts_as_no_show": (False, "payer"),
        "attendance.consecutive_no_show_limit": (2, "built-in"),
        "discharge.summary_within_days": (7, "practice"),
        "discharge.min_outreach_attempts": (2, "built-in"),
        "documentation.note_within_days": (None, "built-in"),
        "documentation.notes_checked_from": (None, "built-in"),
        "documentation.plan_signatures_required": (False, "built-in"),
        "documentation.plan_sign_within_days": (14, "built-in"),
    }
    assert {k: (effective[k], effective.layers[k]) for k in KEYS} == expected


def test_spec_example_aetna():
    aetna = payer({"treatment_plan.review_interval_days": 180, "attendance.no_show_limit": 2})
    effective = merge(PRACTICE, {}, aetna)
    assert effective["treatment_plan.review_interval_days"] == 180
    assert effective["attendance.no_show_limit"] == 2
    assert effective.layers["treatment_plan.review_interval_days"] == "payer"
    assert effective.layers["attendance.no_show_limit"] == "payer"
    assert effective.says_who("treatment_plan.review_interval_days") == "Aetna"
    assert effective["treatment_plan.initial_within_days"] == 30
    assert effective.layers["treatment_plan.initial_within_days"] == "built-in"


@pytest.mark.parametrize(
    ("key", "practice_value", "payer_value"),
    [
        ("attendance.late_cancel_counts_as_no_show", True, False),
        ("attendance.consecutive_no_show_limit", 3, 0),
        ("discharge.summary_within_days", 7, 0),
        ("discharge.min_outreach_attempts", 4, 0),
        ("treatment_plan.initial_within_days", 10, 0),
        ("treatment_plan.due_soon_days", 5, 0),
    ],
)
def test_falsy_payer_value_still_overrides(key, practice_value, payer_value):
    effective = merge(PRACTICE, {key: practice_value}, payer({key: payer_value}))
    assert effective[key] == payer_value
    assert type(effective[key]) is type(payer_value)
    assert effective.layers[key] == "payer"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("attendance.late_cancel_counts_as_no_show", False),
        ("attendance.consecutive_no_show_limit", 0),
        ("discharge.summary_within_days", 0),
        ("discharge.min_outreach_attempts", 0),
    ],
)
def test_falsy_practice_value_still_overrides(key, value):
    effective = merge(PRACTICE, {key: value}, None)
    assert effective[key] == value
    assert type(effective[key]) is type(value)
    assert effective.layers[key] == "practice"


def test_payer_value_equal_to_default_is_still_the_payers():
    key = "treatment_plan.review_interval_days"
    effective = merge(PRACTICE, {key: 120}, payer({key: 90}))
    assert effective[key] == 90
    assert effective.layers[key] == "payer"


def test_practice_value_equal_to_default_is_still_the_practices():
    key = "attendance.no_show_limit"
    effective = merge(PRACTICE, {key: 3}, None)
    assert effective.layers[key] == "practice"
    assert effective.says_who(key) == PRACTICE


def test_says_who_names_each_layer():
    effective = merge(
        PRACTICE,
        {"attendance.no_show_limit": 4},
        payer({"treatment_plan.review_interval_days": 180}, name="Blue Cross"),
    )
    assert effective.says_who("treatment_plan.review_interval_days") == "Blue Cross"
    assert effective.says_who("attendance.no_show_limit") == PRACTICE
    built_in = effective.says_who("discharge.min_outreach_attempts")
    assert isinstance(built_in, str) and built_in.strip()
    assert built_in not in (PRACTICE, "Blue Cross")


@pytest.mark.parametrize("key", KEYS)
def test_says_who_default_layer(key):
    effective = merge(PRACTICE, {}, payer({}))
    who = effective.says_who(key)
    assert who.strip()
    assert who not in (PRACTICE, "Aetna")


def test_inputs_are_not_modified():
    practice = {"attendance.no_show_limit": 4}
    payer_policy = {"treatment_plan.review_interval_days": 180}
    the_payer = payer(payer_policy)
    before = (copy.deepcopy(practice), copy.deepcopy(payer_policy))
    merge(PRACTICE, practice, the_payer)
    assert (practice, payer_policy) == before


def test_different_payers_give_different_policies_over_one_practice():
    practice = {"treatment_plan.review_interval_days": 120}
    aetna = merge(PRACTICE, practice, payer({"treatment_plan.review_interval_days": 180}))
    cigna = merge(PRACTICE, practice, payer({}, "cigna", "Cigna"))
    alone = merge(PRACTICE, practice, None)
    assert aetna["treatment_plan.review_interval_days"] == 180
    assert cigna["treatment_plan.review_interval_days"] == 120
    assert cigna.layers["treatment_plan.review_interval_days"] == "practice"
    assert alone["treatment_plan.review_interval_days"] == 120
    assert alone.layers["treatment_plan.review_interval_days"] == "practice"


def test_a_report_holds_the_policy_of_every_payer_and_of_none():
    from datetime import date

    from generator.model.records import Caseload
    from generator.report.report import build_report

    payers = {"aetna": payer({"attendance.no_show_limit": 2}),
              "quiet": payer({}, pid="quiet", name="Quiet")}
    caseload = Caseload(practice_name="P", clinicians=None,
                        practice_policy={"attendance.no_show_limit": 4}, payers=payers,
                        clients=())
    report = build_report(caseload, date(2026, 11, 28))
    assert set(report.policies) == {None, "aetna", "quiet"}
    assert report.policies["aetna"]["attendance.no_show_limit"] == 2
    assert report.policies["aetna"].layers["attendance.no_show_limit"] == "payer"
    assert report.policies["quiet"].layers["attendance.no_show_limit"] == "practice"
    assert report.policies[None].payer_id is None

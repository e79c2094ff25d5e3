"""The approval policy: exact thresholds, every rule with its reason, and the shipped cases."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from approvals.evaluation import ApprovalCase, run_cases
from approvals.policy import ApprovalFacts, PolicyError, evaluate, load_policy
from core.evaluation import load_cases
from deals.qualification import Money

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def test_every_shipped_approval_case_gets_its_expected_levels(policy):
    report = run_cases(load_cases(ROOT / "evals" / "approvals.jsonl", ApprovalCase), policy)
    assert report.total >= 30 and report.failures == []


@pytest.mark.parametrize(
    ("discount", "levels"),
    [("10", []), ("10.01", ["manager"]), ("20", ["manager"]), ("20.01", ["vp_sales"]), ("30.01", ["deal_desk", "cfo"])],
)
def test_discount_thresholds_are_exact(policy, discount, levels):
    facts = ApprovalFacts(discount_pct=Decimal(discount), total=Money(amount=Decimal("1000")))
    assert evaluate(policy, facts).levels == levels


def test_each_fired_rule_says_why_and_the_decision_names_the_policy_version(policy):
    facts = ApprovalFacts(
        discount_pct=Decimal("22"), total=Money(amount=Decimal("300000")), payment_terms_days=60, compliance_gap=True
    )
    decision = evaluate(policy, facts)
    assert decision.levels == ["vp_sales", "deal_desk", "legal", "security"]
    assert "Discount 22% is above 20%" in decision.fired[0].reason and decision.policy_version == "2026.12.2"
    assert any("net 60" in rule.reason for rule in decision.fired)


def test_a_policy_naming_an_unknown_level_is_refused(tmp_path):
    text = (
        (ROOT / "examples" / "governance" / "approval_policy.yaml")
        .read_text()
        .replace("levels: [manager]", "levels: [boss]")
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError, match="unknown level boss"):
        load_policy(path)


def test_a_card_goes_to_the_channel_of_its_most_senior_level():
    from approvals.policy import card_channel, load_policy

    policy = load_policy()
    policy.levels["cfo"].channel = "finance-approvals"
    assert card_channel(policy, ["deal_desk", "cfo"], "fallback") == "finance-approvals"
    assert card_channel(policy, ["vp_sales", "deal_desk"], "fallback") == "deal-approvals"
    assert card_channel(policy, [], "fallback") == "fallback"

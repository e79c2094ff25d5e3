"""CPQ: deterministic prices with every number traced to a rule, and refusals that say why."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from approvals.policy import load_policy
from core.evaluation import load_cases
from integrations.cpq import errors
from integrations.cpq import service as cpq
from integrations.cpq.catalog import load_catalog
from integrations.cpq.engine import QuoteRequest, price
from integrations.cpq.evaluation import PricingCase, run_cases
from integrations.cpq.rules import RuleKind, RuleStatus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def quote(catalog, lines, **kwargs):
    return price(QuoteRequest(lines=[{"sku": s, "quantity": q} for s, q in lines], **kwargs), catalog)


def test_every_shipped_pricing_case_matches_its_hand_computed_total(catalog):
    cases = load_cases(ROOT / "evals" / "pricing.jsonl", PricingCase)
    report = run_cases(cases, catalog)
    assert report.total >= 50 and report.failures == []
    # Every kind of product rule, and the override, has cases of its own.
    covered = {rule.rule.split(":")[0] for case in cases for rule in case.expected.rules or []}
    refused = {case.expected.error for case in cases}
    assert {"requires", "includes", "edition_minimum"} <= covered and "ExcludedTogether" in refused
    assert any(case.override_rules and case.expected.rules for case in cases)


def test_each_line_names_the_rules_behind_its_price(catalog):
    q = quote(catalog, [("HS-ENT", 150)], term_years=2, discount_pct=Decimal("10"))
    line = q.lines[0]
    assert [r.id for r in line.rules] == ["tier:100-499", "term:2y", "discount:requested"]
    assert line.list_unit_price == Decimal("1150") and line.annual_amount == Decimal("138545.10")
    assert q.list_total == Decimal("345000.00") and q.total == Decimal("277090.20")
    assert q.effective_discount_pct == Decimal("19.68") and q.catalog_version == "2026.12.1"


def test_money_stays_decimal_and_rounds_half_up_once_per_line(catalog):
    q = quote(catalog, [("HS-TEAM", 7)], term_years=3, discount_pct=Decimal("7"))
    assert isinstance(q.total, Decimal) and q.lines[0].annual_amount == Decimal("2570.15")


@pytest.mark.parametrize(
    ("lines", "kwargs", "error", "says"),
    [
        ([("HS-SSO", 10)], {}, errors.MissingBaseSku, "needs HS-BUS or HS-ENT"),
        ([("HS-TEAM", 3)], {}, errors.BelowMinimum, "at least 5"),
        ([("HS-BUS", 50)], {"compliance": ["HIPAA"]}, errors.ComplianceNotCovered, "HIPAA"),
        ([("HS-GOV", 60)], {"regions": ["EU"]}, errors.NotSoldInRegion, "sold only in US"),
        ([("HS-ENT", 100)], {"deployment": "self_hosted"}, errors.DeploymentNotSupported, "HS-SELF"),
        ([("HS-NOPE", 1)], {}, errors.UnknownSku, "not in the catalog"),
    ],
)
def test_invalid_requests_are_refused_with_a_reason_not_silently_fixed(catalog, lines, kwargs, error, says):
    with pytest.raises(error, match=says):
        quote(catalog, lines, **kwargs)


def test_gaps_can_be_returned_for_approval_instead_of_refused(catalog):
    q = quote(catalog, [("HS-BUS", 50)], compliance=["HIPAA"], regions=["APAC"], allow_gaps=True)
    assert [g.value for g in q.compliance_gaps] == ["HIPAA"] and [r.value for r in q.unhosted_regions] == ["APAC"]


def test_a_catalog_with_an_unknown_required_sku_is_refused_by_name(tmp_path):
    text = (
        (ROOT / "examples" / "governance" / "catalog.yaml")
        .read_text()
        .replace("requires: [HS-ENT]", "requires: [HS-MISSING]")
    )
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    with pytest.raises(errors.CatalogError, match=r"HS-SELF\.requires names unknown SKU HS-MISSING"):
        load_catalog(path)


def test_an_oracle_source_without_the_connectors_pack_is_refused_with_the_fix(catalog):
    with pytest.raises(
        errors.MissingRequiredSku, match=r"Oracle EBS needs HS-CONN.*Add HS-CONN \(Premium Connectors Pack\) × 1"
    ):
        quote(catalog, [("HS-ENT", 100)], integrations=["Oracle EBS", "Salesforce"])


def test_a_rep_who_insists_gets_the_quote_priced_and_sent_to_the_deal_desk(catalog):
    request = QuoteRequest(lines=[{"sku": "HS-ENT", "quantity": 100}], integrations=["Oracle EBS"], override_rules=True)
    q = price(request, catalog)
    assert q.total == Decimal("105800.00") and q.overridden_rules == ["requires:premium-sources"]
    [outcome] = q.rule_outcomes
    assert outcome.status == RuleStatus.OVERRIDDEN and "Add HS-CONN" in str(outcome)
    decision = cpq.approval_decision(q, load_policy(), request)
    assert decision.levels == ["deal_desk"]
    assert "requires:premium-sources" in decision.fired[0].reason
    assert "overriding requires:premium-sources" in cpq.summarize(q, request)


def test_the_sso_add_on_on_enterprise_is_priced_for_what_it_adds_beyond_the_edition(catalog):
    q = quote(catalog, [("HS-ENT", 100), ("HS-SSO", 100), ("HS-SUP", 1)])
    notes = [o for o in q.rule_outcomes if not o.routine]
    assert [(o.rule, o.kind, o.status) for o in notes] == [
        ("includes:HS-ENT:HS-SSO", RuleKind.INCLUDES, RuleStatus.APPLIED)
    ]
    assert "HS-ENT already includes SAML 2.0 and OpenID Connect single sign-on" in notes[0].explanation
    assert "SCIM 2.0 user and group provisioning" in notes[0].explanation
    # The add-ons' own base edition is checked too, and goes without saying.
    assert {o.rule for o in q.rule_outcomes if o.routine} == {"requires:HS-SSO", "requires:HS-SUP"}


def test_an_add_on_that_adds_nothing_to_its_edition_is_refused(tmp_path):
    text = (ROOT / "examples" / "governance" / "catalog.yaml").read_text()
    path = tmp_path / "catalog.yaml"
    path.write_text(
        text.replace("    includes: [sso]\n", "    includes: [sso, scim, group_role_mapping, session_policies]\n", 1)
    )
    bigger = load_catalog(path)
    with pytest.raises(errors.IncludedInEdition, match=r"HS-SSO .* adds nothing to HS-BUS"):
        quote(bigger, [("HS-BUS", 50), ("HS-SSO", 50)])


def test_edition_minimums_come_from_what_the_editions_cover(catalog):
    with pytest.raises(errors.ComplianceNotCovered, match="HIPAA needs HS-ENT; FedRAMP needs HS-GOV"):
        quote(catalog, [("HS-BUS", 50)], compliance=["HIPAA", "FedRAMP"])
    q = quote(catalog, [("HS-BUS", 50)], compliance=["HIPAA", "SOC2"], allow_gaps=True)
    [suggested] = q.rule_outcomes
    assert suggested.status == RuleStatus.SUGGESTED and suggested.fix == (
        "Quote HS-ENT instead of HS-BUS, or the gap goes to the security review."
    )


def test_two_editions_cannot_be_on_one_quote_even_when_the_rep_insists(catalog):
    with pytest.raises(errors.ExcludedTogether, match="HS-BUS and HS-ENT cannot be on one quote"):
        quote(catalog, [("HS-BUS", 50), ("HS-ENT", 100)], override_rules=True)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("    includes: [sso]\n", "    includes: [sso, telepathy]\n", "HS-BUS names unknown feature telepathy"),
        ("      sku: HS-CONN\n", "      sku: HS-NOPE\n", "rule requires:premium-sources names unknown SKU HS-NOPE"),
        ("skus: [HS-TEAM, HS-BUS", "skus: [HS-TEAM, HS-BIZ", "rule excludes:one-edition names unknown SKU HS-BIZ"),
        ("  quote_valid_days: 30", "  quote_valid_days: 0", "terms.quote_valid_days"),
    ],
)
def test_a_catalog_whose_rules_name_what_does_not_exist_is_refused(tmp_path, old, new, says):
    text = (ROOT / "examples" / "governance" / "catalog.yaml").read_text()
    assert old in text
    path = tmp_path / "catalog.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(errors.CatalogError, match=says):
        load_catalog(path)

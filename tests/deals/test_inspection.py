"""Deal inspection: the findings a sales manager would raise, from the record and the latest quote alone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from typer.testing import CliRunner

from bot.cli import app
from deals.inspection import QuoteFacts, capped_score, catalog_facts, codes, inspect
from deals.qualification import Budget, Qualification
from integrations.cpq.catalog import DEFAULT_CATALOG, load_catalog

TODAY = date(2026, 11, 24)


def _catalog():
    return catalog_facts(load_catalog(DEFAULT_CATALOG))


def test_lto_eval_inspection_matches_every_case_in_the_repository_set():
    result = CliRunner().invoke(app, ["eval", "inspection", "--cases", "evals/inspection.jsonl"])
    assert result.exit_code == 0, result.output
    assert "48     48       0" in result.output


def test_a_quote_over_the_annualised_budget_is_a_budget_gap_that_caps_the_score():
    record = Qualification(
        budget=Budget(amount=Decimal("540000"), currency="USD", period="total", years=3),
        economic_buyer="the CFO",
        champion="Dana Lee",
        contact_name="Priya Shah",
        metrics="nightly loads under 30 minutes",
    )
    quote = QuoteFacts(skus=("HS-ENT",), total=Decimal("247032"), currency="USD", term_years=1)
    findings = inspect(record, quote, catalog=_catalog(), today=TODAY)
    assert codes(findings) == ["budget_gap"]
    assert "37% over the $180,000 a year budget" in findings[0].message
    score, why = capped_score(92, findings)
    assert score == 60 and why == [f"capped at 60: {findings[0].message}"]


def test_the_same_budget_in_another_currency_is_not_compared():
    record = Qualification(budget=Budget(amount=Decimal("100000"), currency="EUR"), economic_buyer="CFO", champion="Li")
    quote = QuoteFacts(skus=("HS-ENT",), total=Decimal("247032"), currency="USD")
    assert "budget_gap" not in codes(inspect(record, quote, catalog=_catalog(), today=TODAY))


def test_an_oracle_source_without_the_connector_pack_and_a_government_edition_in_the_eu_are_flagged():
    record = Qualification(integrations=["Oracle EBS", "Salesforce"], regions=["EU"])
    quote = QuoteFacts(skus=("HS-GOV",), total=Decimal("160000"), currency="USD")
    found = codes(inspect(record, quote, catalog=_catalog(), today=TODAY))
    assert {"connector_pack_missing", "region_gap"} <= set(found)


def test_the_sso_add_on_quoted_with_enterprise_for_sso_alone_is_flagged_until_scim_is_needed():
    quote = QuoteFacts(skus=("HS-ENT", "HS-SSO", "HS-SUP"), total=Decimal("779166"), currency="USD", term_years=3)
    for_sso = Qualification(sso_required=True, identity_provider="Okta")
    [finding] = [
        f for f in inspect(for_sso, quote, catalog=_catalog(), today=TODAY) if f.code == "addon_included_in_edition"
    ]
    assert finding.message == (
        "HS-SSO is quoted, but HS-ENT already includes SAML 2.0 and OpenID Connect single sign-on; it adds only "
        "SCIM 2.0 user and group provisioning, identity-provider group to role mapping and session policies "
        "(idle timeout, IP allow-list)."
    )
    assert (
        finding.next_step
        == "Ask whether they need SCIM 2.0 user and group provisioning; if not, take HS-SSO off the quote."
    )
    for_scim = for_sso.model_copy(update={"scim_required": True})
    assert "addon_included_in_edition" not in codes(inspect(for_scim, quote, catalog=_catalog(), today=TODAY))

"""CPQ: deterministic prices with every number traced to a rule, and refusals that say why."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.evaluation import load_cases
from integrations.cpq import errors
from integrations.cpq.catalog import load_catalog
from integrations.cpq.engine import QuoteRequest, price
from integrations.cpq.evaluation import PricingCase, run_cases

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def quote(catalog, lines, **kwargs):
    return price(QuoteRequest(lines=[{"sku": s, "quantity": q} for s, q in lines], **kwargs), catalog)


def test_every_shipped_pricing_case_matches_its_hand_computed_total(catalog):
    report = run_cases(load_cases(ROOT / "evals" / "pricing.jsonl", PricingCase), catalog)
    assert report.total >= 30 and report.failures == []


def test_each_line_names_the_rules_behind_its_price(catalog):
    q = quote(catalog, [("HS-ENT", 150)], term_years=2, discount_pct=Decimal("10"))
    line = q.lines[0]
    assert [r.id for r in line.rules] == ["tier:100-499", "term:2y", "discount:requested"]
    assert line.list_unit_price == Decimal("1150") and line.annual_amount == Decimal("138545.10")
    assert q.list_total == Decimal("345000.00") and q.total == Decimal("277090.20")
    assert q.effective_discount_pct == Decimal("19.68") and q.catalog_version == "2026.11.1"


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

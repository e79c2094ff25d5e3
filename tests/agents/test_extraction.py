"""The offline model's fact extraction, and its accuracy on the shipped discovery scenarios."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from agents.discovery_eval import evaluate, load_scenarios
from agents.models import resolve_model
from agents.offline.discovery_model import offline_discovery
from agents.offline.extraction import extract
from core.qualification import Qualification

TODAY = date(2026, 11, 24)
EVALS = Path(__file__).resolve().parents[2] / "evals"


def facts(text: str, known: Qualification | None = None) -> dict:
    return extract(text, today=TODAY, known=known).update.model_dump(mode="json", exclude_unset=True, exclude_none=True)


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("budget is $180k", "180000", "USD"),
        ("budget around 1.2M", "1200000", "USD"),
        ("€95k approved", "95000", "EUR"),
        ("EUR 250k for year one budget", "250000", "EUR"),
        ("£40,000 approved", "40000", "GBP"),
        ("a budget of 150-200k", "200000", "USD"),
        ("around 200 thousand dollars budget", "200000", "USD"),
        ("CAD 80k budget", "80000", "CAD"),
    ],
)
def test_money_is_read_with_its_currency_and_multiplier(text, amount, currency):
    budget = facts(text)["budget"]
    assert Decimal(budget["amount"]) == Decimal(amount) and budget["currency"] == currency


def test_discounts_years_and_seat_counts_are_not_budgets():
    found = facts("They asked for 25% off over 3 years for 150 seats.")
    assert "budget" not in found and found["seats"] == 150


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("want to sign by end of Q1", "2027-03-31"),
        ("close in Q4", "2026-12-31"),
        ("sign by March", "2027-03-31"),
        ("decision in 6 weeks", "2027-01-05"),
        ("signing next month", "2026-12-31"),
        ("contract by 3/31/2027", "2027-03-31"),
    ],
)
def test_close_dates_resolve_against_the_message_date(text, expected):
    assert facts(text)["target_close"] == expected


def test_a_meeting_date_is_not_a_close_date():
    assert facts("Demo on Dec 3 with their architects. They want to sign by end of January.")["target_close"] == (
        "2027-01-31"
    )


def test_cities_imply_regions_and_the_pronoun_us_is_not_the_us():
    assert facts("Users in Frankfurt, Toronto and Singapore")["regions"] == ["EU", "CA", "APAC"]
    assert "regions" not in facts("They asked us to let us know")


def test_negated_compliance_is_not_recorded():
    assert facts("No HIPAA requirement, but SOC 2 is a must")["compliance"] == ["SOC2"]


def test_employees_are_not_seats_when_users_are_given():
    assert facts("2,500 employees, but only 600 need access")["seats"] == 600


def test_a_list_correction_replaces_the_list():
    known = Qualification(regions=["US", "EU"])
    update = extract("Correction: only EU, not US.", today=TODAY, known=known).update
    merged, _ = known.merged(update)
    assert [r.value for r in merged.regions] == ["EU"]


def test_a_lost_deal_is_proposed_for_disqualification():
    assert extract("Bad news, they went with Fivetran.", today=TODAY).disqualify_reason == "went with Fivetran"


@pytest.mark.parametrize("name", ["discovery.jsonl", "discovery_holdout.jsonl"])
async def test_the_offline_model_keeps_an_f1_of_at_least_0_9_on_the_shipped_scenarios(name):
    report = await evaluate(
        load_scenarios(EVALS / name), model=resolve_model("offline", offline=offline_discovery), model_name="offline"
    )
    assert report.micro.f1 >= 0.9, report.render()

"""Reading a rep's quote or discount ask: what the offline model passes to `commit_quote`."""

from __future__ import annotations

from agents.offline.quote_ask import read_quote_ask
from deals.qualification import Qualification


def test_an_edition_seats_add_ons_discount_and_term_become_quote_lines():
    reading = read_quote_ask(
        "Can we do 25% off Enterprise for all 300 seats with SSO and premium support on a 3-year term?", None
    )
    assert reading is not None and reading.ask == {
        "lines": [
            {"sku": "HS-ENT", "quantity": 300},
            {"sku": "HS-SSO", "quantity": 300},
            {"sku": "HS-SUP", "quantity": 1},
        ],
        "discount_pct": "25",
        "years": 3,
        "payment_terms_days": 30,
        "custom_sla": False,
        "legal_changes": False,
    }


def test_skus_seats_from_the_record_and_non_standard_terms():
    known = Qualification(seats=120)
    reading = read_quote_ask("Quote it: HS-BUS, HS-CONN 1, two years, net 60, they want redlines on the MSA.", known)
    assert reading is not None and reading.ask is not None
    assert reading.ask["lines"] == [{"sku": "HS-BUS", "quantity": 120}, {"sku": "HS-CONN", "quantity": 1}]
    assert reading.ask["years"] == 2 and reading.ask["payment_terms_days"] == 60 and reading.ask["legal_changes"]


def test_what_is_missing_is_named_and_other_messages_are_not_asks():
    missing = read_quote_ask("They want a discount of 15% to sign this quarter.", Qualification())
    assert missing is not None and missing.ask is None
    assert missing.missing == ["the edition (Team, Business, Enterprise or Government)", "the number of seats"]
    assert read_quote_ask("We need 99.99% uptime and SOC 2.", None) is None
    assert read_quote_ask("Their budget is $180k for 250 seats.", None) is None

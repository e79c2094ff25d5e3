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
        "payment_terms_days": None,  # unsaid: the deal's asked-for terms, else the standard ones
        "billing_frequency": None,
        "custom_sla": False,
        "legal_changes": False,
        "override_rules": False,
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


def test_12_20_the_discount_asked_for_is_the_last_concrete_one_not_someone_elses():
    def discount(text: str) -> str | None:
        reading = read_quote_ask(text, Qualification(seats=300, products_of_interest=["HS-ENT"]))
        return reading.ask["discount_pct"] if reading is not None and reading.ask is not None else None

    assert discount("Their other vendor advertises up to 99% off. Can we do 45% off Enterprise?") == "45"
    assert discount("up to 99% off ... 45% off") == "45"
    assert discount("The competitor offers 30% off; we want 20% off Enterprise") == "20"
    assert discount("They got 20% off last year, can we do 25% off Enterprise now?") == "25"
    assert discount("Last year's 20% discount was too much: 15% off this time") == "15"
    assert discount("Fivetran quoted them 35% off but we can only do 12% off") == "12"
    assert discount("Can we do 45% off? The competitor offers 60% off.") == "45"


def test_12_20_only_other_peoples_discounts_is_not_an_ask():
    assert read_quote_ask("Fivetran offers up to 40% off their list.", Qualification(seats=300)) is None
    reading = read_quote_ask("Quote it: Enterprise, 300 seats. The incumbent gives them 30% off.", None)
    assert reading is not None and reading.ask is not None and reading.ask["discount_pct"] == "0"


def test_12_02_asking_what_a_quote_would_cost_is_a_price_question_not_a_commit():
    from agents.offline.quote_ask import read_price_question

    text = "What would Business cost for 120 seats with the premium connectors pack, 3 years, 15% off?"
    assert read_quote_ask(text, None) is None
    preview = read_price_question(text, None)
    assert preview is not None and preview.ask is not None
    assert preview.ask["lines"] == [{"sku": "HS-BUS", "quantity": 120}, {"sku": "HS-CONN", "quantity": 1}]
    assert preview.ask["discount_pct"] == "15" and preview.ask["years"] == 3
    assert read_price_question("Ballpark is fine, but quote it: Enterprise, 200 seats.", None) is None


def test_the_connectors_pack_an_oracle_source_needs_is_quoted_without_being_asked():
    known = Qualification(seats=300, integrations=["Oracle", "Salesforce"], products_of_interest=["HS-ENT"])
    reading = read_quote_ask("Quote it: Enterprise, 300 seats, billed quarterly.", known)
    assert reading is not None and reading.ask is not None
    assert reading.ask["lines"] == [{"sku": "HS-ENT", "quantity": 300}, {"sku": "HS-CONN", "quantity": 1}]
    assert reading.ask["billing_frequency"] == "quarterly" and not reading.ask["override_rules"]


def test_a_rep_who_insists_gets_the_quote_without_the_pack_and_an_override():
    known = Qualification(seats=300, integrations=["Oracle"])
    reading = read_quote_ask("Quote it anyway: Enterprise, 300 seats, they already own the connectors.", known)
    assert reading is not None and reading.ask is not None
    assert reading.ask["lines"] == [{"sku": "HS-ENT", "quantity": 300}] and reading.ask["override_rules"]

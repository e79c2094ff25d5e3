"""The `/lto` command language."""

from __future__ import annotations

from datetime import date

import pytest

from bot import commands


@pytest.mark.parametrize(
    ("text", "company", "notes"),
    [
        ("new Acme Corp: 250 seats, SOC2", "Acme Corp", "250 seats, SOC2"),
        ('new "Acme, Inc." 250 seats', "Acme, Inc.", "250 seats"),
        ("new Northwind Health - inbound lead", "Northwind Health", "inbound lead"),
        ("new Globex 300 seats in the EU", "Globex", "300 seats in the EU"),
        ("new Initech", "Initech", ""),
    ],
)
def test_new_splits_the_company_from_the_notes(text, company, notes):
    assert commands.parse(text) == commands.NewDeal(company=company, notes=notes)


def test_quote_reads_lines_discount_and_years():
    parsed = commands.parse("quote #12 hs-ent 250 HS-SUP 1 --discount 22% --years 3")
    assert parsed == commands.Quote(
        deal="#12",
        lines=(commands.QuoteLine("HS-ENT", 250), commands.QuoteLine("HS-SUP", 1)),
        discount_pct="22",
        years=3,
    )


def test_quote_reads_non_standard_terms():
    parsed = commands.parse("quote Acme HS-ENT 100 --net 60 --custom-sla --legal-changes")
    assert isinstance(parsed, commands.Quote)
    assert (parsed.payment_terms_days, parsed.custom_sla, parsed.legal_changes) == (60, True, True)
    with pytest.raises(commands.UsageError, match="--net"):
        commands.parse("quote Acme HS-ENT 100 --net soon")


def test_quote_reads_billing_term_start_and_an_override_and_leaves_unsaid_terms_to_the_deal():
    parsed = commands.parse("quote Acme HS-ENT 100 --billing Quarterly --start=2027-02-01 --override-rules")
    assert isinstance(parsed, commands.Quote)
    assert (parsed.billing_frequency, parsed.term_start, parsed.override_rules) == (
        "quarterly",
        date(2027, 2, 1),
        True,
    )
    assert parsed.payment_terms_days is None  # the deal's asked-for terms, else the standard ones


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Tell me what to do"),
        ("   ", "Tell me what to do"),
        ("frobnicate", "I don't know `/lto frobnicate`"),
        ("new", "Usage: `/lto new"),
        ("ask", "Usage: `/lto ask"),
        ("quote #1 HS-ENT", "Usage: `/lto quote"),
        ("quote #1 HS-ENT ten", "must be a whole number"),
        ("quote #1 HS-ENT 10 --discount lots", "`--discount` takes a percentage"),
        ("quote #1 HS-ENT 10 --billing weekly", "`--billing` takes annual, quarterly, monthly or upfront"),
        ("quote #1 HS-ENT 10 --start next-week", "`--start` takes the date the term starts, as YYYY-MM-DD"),
        ("quote #1 HS-ENT 10 --start 2027-02-30", "`--start` takes the date"),
        ("quote #1 HS-ENT 10 --overide-rules", "I don't know the option `--overide-rules`"),
        ("new " + "x" * 3001, "at most 3,000"),
    ],
)
def test_bad_input_gets_a_usage_error_that_says_what_to_type(text, problem):
    with pytest.raises(commands.UsageError, match=problem.replace("(", r"\(")):
        commands.parse(text)


def test_status_without_a_deal_asks_for_the_latest_deals():
    assert commands.parse("status") == commands.Status(deal=None)
    assert commands.parse("STATUS #4") == commands.Status(deal="#4")

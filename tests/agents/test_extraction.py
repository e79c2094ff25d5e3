"""The offline model's fact extraction, its scorer, and its accuracy on the shipped discovery scenarios."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from agents.discovery import DiscoveryDeps, run_turn
from agents.discovery_eval import evaluate
from agents.models import resolve_model
from agents.offline.discovery_model import offline_discovery
from agents.offline.evaluation import Scenario, ScenarioError, load_scenarios, run_offline, score
from agents.offline.extraction import extract
from agents.offline.lexicon import LEXICON, load_lexicon
from agents.prompts import turn_prompt
from deals.qualification import Qualification

TODAY = date(2026, 11, 24)  # a Tuesday in Q4
EVALS = Path(__file__).resolve().parents[2] / "evals"


def facts(text: str, known: Qualification | None = None, today: date = TODAY) -> dict:
    return extract(text, today=today, known=known).update.model_dump(mode="json", exclude_unset=True, exclude_none=True)


def thread(*messages: str, today: date = TODAY) -> Qualification:
    """The record after a rep's messages, each merged as the discovery model does."""
    record = Qualification()
    for message in messages:
        record, _ = record.merged(extract(message, today=today, known=record).update)
    return record


# ---- money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("budget is $180k", "180000", "USD"),
        ("they have 180,000 USD for this", "180000", "USD"),
        ("budget is 1.2M", "1200000", "USD"),
        ("€95k approved", "95000", "EUR"),
        ("£40,000 approved for year one", "40000", "GBP"),
        ("EUR 250k for year one", "250000", "EUR"),
        ("around 200 thousand dollars budget", "200000", "USD"),
        ("a budget of 150-200k", "200000", "USD"),
        ("CAD 80k budget", "80000", "CAD"),
        ("Budget is A$60k.", "60000", "AUD"),
        ("Their approved budget is €240.000.", "240000", "EUR"),
        ("Budget is in the 200-250k range (USD)", "250000", "USD"),
        ("budget's tight — maybe 40k, def not more than 50k", "50000", "USD"),
    ],
)
def test_money_is_read_with_its_currency_multiplier_and_upper_bound(text, amount, currency):
    budget = facts(text)["budget"]
    assert Decimal(budget["amount"]) == Decimal(amount) and budget["currency"] == currency


def test_amounts_are_decimals_not_floats():
    budget = extract("budget is 1.2M", today=TODAY).update.budget
    assert isinstance(budget.amount, Decimal) and budget.amount == Decimal("1200000")


@pytest.mark.parametrize(
    "text",
    [
        "They asked for 25% off over 3 years for 150 seats.",
        "$2B revenue retailer with 5,000 staff.",
        "Quoted $1,150 per seat for Enterprise; they pushed back on price.",
        "Budget: they spent 140k on MuleSoft last year and want to spend less.",
    ],
)
def test_discounts_revenue_prices_and_past_spend_are_not_budgets(text):
    assert "budget" not in facts(text)


@pytest.mark.parametrize(
    ("text", "budget"),
    [
        ("$90k/yr budget", {"amount": "90000", "currency": "USD", "period": "annual", "source": "stated"}),
        ("they have €90k p.a. earmarked for this", {"amount": "90000", "currency": "EUR", "period": "annual"}),
        ("annual budget of CA$95k signed off", {"amount": "95000", "currency": "CAD", "period": "annual"}),
        ("budget: £1.1m over three years", {"amount": "1100000", "currency": "GBP", "period": "total", "years": 3}),
        ("budget is €500k total over 2 yrs", {"amount": "500000", "currency": "EUR", "period": "total", "years": 2}),
        ("3-year TCV budget of $450k", {"amount": "450000", "currency": "USD", "period": "total", "years": 3}),
        ("$40k one-off services budget for the migration", {"amount": "40000", "period": "one_off"}),
        ("budget is 1.2M", {"amount": "1200000", "period": None, "source": "stated"}),
        ("Budget is 300k but that is total for 3 years", {"amount": "300000", "period": "total", "years": 3}),
        ("budget 150k, and we quoted 3 years at list", {"amount": "150000", "period": None}),
    ],
)
def test_a_budget_keeps_its_period_and_years(text, budget):
    found = facts(text)["budget"]
    assert {key: found.get(key) for key in budget} == budget


@pytest.mark.parametrize(
    ("text", "source", "amount"),
    [
        ("They spend about €300k a year on Informatica today.", "incumbent_spend", "300000"),
        ("they pay Fivetran ~$250k/yr and hate it", "incumbent_spend", "250000"),
        ("their MuleSoft renewal is ~$300k/yr, they want off it", "incumbent_spend", "300000"),
        ("The CFO signs anything above €100k.", "sign_off_threshold", "100000"),
        ("anything under $200k doesn't need the board", "sign_off_threshold", "200000"),
        ("the director can approve up to $150k on her own", "sign_off_threshold", "150000"),
    ],
)
def test_what_they_pay_the_incumbent_and_a_sign_off_limit_are_budgets_of_their_own_kind(text, source, amount):
    found = facts(text)["budget"]
    assert (found["source"], found["amount"]) == (source, amount)


def test_a_sign_off_limit_or_incumbent_spend_heard_later_does_not_replace_a_stated_budget():
    record = thread("they have €90k p.a. earmarked for this", "anything above €100k needs the group CFO")
    assert (record.budget.amount, record.budget.source) == (Decimal("90000"), "stated")
    record = thread("anything over €80k needs a CFO signature", "budget they have earmarked is €70k annually")
    assert (record.budget.amount, record.budget.source, record.budget.period) == (Decimal("70000"), "stated", "annual")


def test_the_budget_is_the_amount_next_to_the_budget_word():
    found = facts("220 seats at list is ~$253k which is over their $200k budget.")
    assert found["budget"] == {"amount": "200000", "currency": "USD", "source": "stated"} and found["seats"] == 220


# ---- seats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seats"),
    [
        ("250 seats", 250),
        ("Rollout to about 1.2k users over the year.", 1200),
        ("300 licences up front", 300),
        ("300 licenses up front and 100 more in year two", 300),
        ("the data team of 40 engineers will use it", 40),
        ("2,500 employees but only 600 need access", 600),
        ("Seat count is 75 for now; might grow.", 75),
        ("Company has 800 employees; 120 of them would get seats.", 120),
        ("140 clinicians + 20 IT staff will need logins", 160),
        ("Seats 250→300 after the exec call.", 300),
        ("Pilot with 20 users in December, full rollout to 500 after sign-off.", 500),
        ("Quote 75 x HS-ENT + HS-SSO", 75),
        ("they think 350 people would use it eventually but start with 200 seats", 200),
    ],
)
def test_seat_counts_as_reps_write_them(text, seats):
    assert facts(text)["seats"] == seats


@pytest.mark.parametrize(
    "text",
    [
        "Big company, 2,500 employees.",
        "3 year term, 4 source systems, 3 data centers.",
        "Self-hosted runtime licence for 2 instances.",
        "They're a 12,000-employee insurer.",
    ],
)
def test_company_size_terms_and_instances_are_not_seats(text):
    assert "seats" not in facts(text)


def test_a_seat_correction_in_a_later_message_wins():
    assert thread("They have 250 seats and need SOC 2.", "Actually 300 seats, not 250.").seats == 300


@pytest.mark.parametrize(
    ("messages", "seats", "full"),
    [
        (["~300 users on the data team", "actually 400 not 300 – they're adding the BI folks"], 400, None),
        (["seats: 120. wait, 110 – ten of those were contractors who are leaving"], 110, None),
        (["they need about 120 seats", "correction, 150 — adding the auditors"], 150, None),
        (["Harbor Point — roughly 250 users", "make that 320, they forgot the support desk"], 320, None),
        (["300 now, 3,000 at full rollout over 2 yrs"], 300, 3000),
        (["start w/ 200, could be 1500 if the other BUs join"], 200, 1500),
        (["twelve hundred seats day one", "5k if the APAC subsidiaries come on board next year"], 1200, 5000),
        (["initially two hundred users; long term the whole company, about 2,000"], 200, 2000),
        (["Enterprise for 250, premium support yes"], 250, None),
        (["Enterprise x 500 + premium support + SSO — that's the bundle, right?"], 500, None),
        (["users in DACH and the UK, about 90 of them"], 90, None),
    ],
)
def test_seat_corrections_expansion_and_spelled_numbers(messages, seats, full):
    record = thread(*messages)
    assert (record.seats, record.seats_at_full_rollout) == (seats, full)


def test_a_bare_number_without_a_seat_count_known_is_not_a_seat_count():
    assert "seats" not in facts("actually 2027 is more realistic, not 2026")
    assert "seats" not in facts("make that 3, they added a data center")


# ---- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("want to sign by end of Q1", TODAY, "2027-03-31"),
        ("close in Q4", TODAY, "2026-12-31"),
        ("Q3 is when they want to sign", date(2026, 6, 30), "2026-09-30"),
        ("target is to close in Q3 2027", TODAY, "2027-09-30"),
        ("sign by March", TODAY, "2027-03-31"),
        ("close by end of March 2027", TODAY, "2027-03-31"),
        ("by January", date(2027, 1, 5), "2027-01-31"),
        ("decision in 6 weeks", TODAY, "2027-01-05"),
        ("Decision within two months", TODAY, "2027-01-24"),
        ("signing next month", TODAY, "2026-12-31"),
        ("need it by the end of next quarter", TODAY, "2027-03-31"),
        ("sign EOY", TODAY, "2026-12-31"),
        ("contract by 3/31/2027", TODAY, "2027-03-31"),
        ("close 30/06/2027", TODAY, "2027-06-30"),
        ("PO by 12/15", TODAY, "2026-12-15"),
        ("signed before 2027-02-15", TODAY, "2027-02-15"),
        ("decision expected by Feb 15", TODAY, "2027-02-15"),
        ("signature planned for 15 March 2027", TODAY, "2027-03-15"),
        ("contract by mid-October", date(2026, 9, 1), "2026-10-15"),
        ("They want it live before Q4 starts", date(2026, 8, 15), "2026-09-30"),
        ("close within 90 days", date(2027, 1, 5), "2027-04-05"),
        ("They want signature before Labor Day.", date(2026, 7, 14), "2026-09-07"),
    ],
)
def test_close_dates_resolve_against_the_message_date(text, today, expected):
    assert facts(text, today=today)["target_close"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Demo on Dec 3 with their architects. They want to sign by end of January.", "2027-01-31"),
        ("Procurement kickoff Dec 2, expected close 15 June.", "2027-06-15"),
        ("They need to sign by March so the project can start in April.", "2027-03-31"),
        ("Realistically this closes Q4, their budget cycle resets in October.", "2026-12-31"),
        ("Sign date slipped from Dec 15 to Jan 31.", "2027-01-31"),
        ("timeline: PO by 12/15, go-live Feb", "2026-12-15"),
        ("Want to sign before their board meeting on Jan 20.", "2027-01-20"),
        ("Bake-off in January. Jan 31 is their decision date.", "2027-01-31"),
    ],
)
def test_the_close_date_is_the_signing_date_not_a_meeting_or_go_live(text, expected):
    assert facts(text)["target_close"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "They want to sign before the fiscal year ends.",
        "Procurement usually takes 4-6 weeks.",
        "May be worth noting they may want a demo.",
        "Their CEO, Jan Novak, wants a call.",
        "They'd like a 3 year term starting Jan 2027.",
        "Reminder: QBR on 12/10, then the holiday break.",
    ],
)
def test_no_close_date_is_guessed(text):
    assert "target_close" not in facts(text)


@pytest.mark.parametrize(
    ("messages", "today", "close", "live"),
    [
        (["decision by end of June, they want to be live by end of Q3"], date(2026, 5, 12), "2026-06-30", "2026-09-30"),
        (["signature by end of Sept, go-live Nov 1"], date(2026, 7, 14), "2026-09-30", "2026-11-01"),
        (["target sign: Jan 31; go-live March 1"], date(2026, 12, 9), "2027-01-31", "2027-03-01"),
        (
            ["go-live Jan 15", "pushing go-live to Feb 1, their change freeze runs through January"],
            TODAY,
            None,
            "2027-02-01",
        ),
        (
            ["go-live maybe September, they didn't commit; contract signed by June 30"],
            date(2026, 5, 5),
            "2026-06-30",
            None,
        ),
        (["they're targeting a Q1 close", "hm, not Q1, more like Q2 — legal is backed up"], TODAY, "2027-06-30", None),
    ],
)
def test_go_live_is_apart_from_signature_and_corrections_replace_a_known_date(messages, today, close, live):
    record = thread(*messages, today=today)
    assert record.go_live == (date.fromisoformat(live) if live else None)
    if close:
        assert record.target_close == date.fromisoformat(close)


def test_a_go_live_heard_later_does_not_move_a_known_signing_date():
    record = thread("sign by Dec 18", "they want to be live by end of February")
    assert (record.target_close, record.go_live) == (date(2026, 12, 18), date(2027, 2, 28))


@pytest.mark.parametrize(
    ("messages", "days"),
    [
        (["net 45 pls, they said"], 45),
        (["finance wants 60-day payment terms"], 60),
        (["they pay net 90, non-negotiable apparently"], 90),
        (["net 30 is standard for them", "actually their AP policy is net 75"], 75),
        (["they asked for 90-day terms but we can only do net 60"], 90),
    ],
)
def test_payment_terms_are_the_net_days_they_ask_for(messages, days):
    assert thread(*messages).payment_terms_days == days


@pytest.mark.parametrize(
    ("text", "weeks", "criteria"),
    [
        ("3 week POC first, success = all 40 stores syncing hourly", 3, "all 40 stores syncing hourly"),
        ("POC: 3 wks, must ingest 5TB from S3 without manual fixes", 3, "must ingest 5TB from S3 without manual fixes"),
        ("a six-week pilot, then ~400 seats on Enterprise if it works", 6, None),
        ("They'll run a 45-day pilot; it passes if latency stays under 2 seconds", 6, "latency stays under 2 seconds"),
        ("no POC needed, they've seen it at a peer company", None, None),
        ("Success for the 2-week POC: dashboards refresh every 5 minutes", 2, "dashboards refresh every 5 minutes"),
        ("A 4-week pilot; it is a success if no load fails twice", 4, "no load fails twice"),
    ],
)
def test_the_poc_length_and_what_it_must_show(text, weeks, criteria):
    record = thread(text)
    assert (record.poc_weeks, record.poc_success_criteria) == (weeks, criteria)
    assert record.metrics is None  # the POC's success criteria are not the deal's metrics


# ---- regions ---------------------------------------------------------------------------------


def test_cities_and_countries_imply_regions():
    found = facts("Users in Frankfurt, Toronto, Singapore, São Paulo, Dubai, Sydney, London and Austin.")
    assert found["regions"] == ["EU", "CA", "APAC", "LATAM", "MEA", "AU", "UK", "US"]


def test_the_pronoun_us_is_not_the_united_states():
    assert "regions" not in facts("They asked us to send the questionnaire and let us know once legal is done.")
    assert facts("They're looking at us and Matillion; all users are in the US.")["regions"] == ["US"]


def test_ambiguous_place_names_need_a_preposition():
    assert "regions" not in facts("Jordan Blake (CTO) said Victoria would join the call.")
    assert facts("They have an office in Jordan.")["regions"] == ["MEA"]


def test_longest_place_name_wins():
    assert facts("Plants in New Mexico and Mexico City.")["regions"] == ["US", "LATAM"]


def test_where_they_met_is_not_where_users_are():
    assert facts("We met in Austin at the conference. They're based in Lisbon.")["regions"] == ["EU"]


def test_the_lexicon_is_validated_and_knows_at_least_150_places():
    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    assert sum(len(names) for names in data["regions"].values()) >= 150


def test_a_broken_lexicon_fails_on_load(tmp_path):
    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    data["regions"]["Atlantis"] = ["Atlantis"]
    broken = tmp_path / "lexicon.yaml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match="Atlantis"):
        load_lexicon(broken)


@pytest.mark.parametrize(
    ("messages", "regions"),
    [
        (["~300 users on the data team, NA only"], ["US", "CA"]),
        (["Benelux + DACH users"], ["EU"]),
        (["users split between NORAM and APJ"], ["US", "CA", "APAC", "AU"]),
        (["EMEA-wide rollout but Middle East is out for now"], ["EU", "UK"]),
        (["APAC rollout first — Singapore, Tokyo, Sydney", "phase 2 maybe the UK but nothing decided"], ["APAC", "AU"]),
        (["US + EU for now", "and APAC", "actually drop EU, the Dublin team moved to the US"], ["US", "APAC"]),
        (["users in London, Paris and Sydney", "take Sydney off, they closed that office"], ["UK", "EU"]),
    ],
)
def test_territories_hedges_and_places_people_left(messages, regions):
    assert [r.value for r in thread(*messages).regions] == regions


# ---- compliance, negation, hedging ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SOC2 Type II and soc-2 and SOC 2", ["SOC2"]),
        ("They'll need a BAA before any PHI goes through.", ["HIPAA"]),
        ("GDPR and a signed DPA", ["GDPR"]),
        ("ISO/IEC 27001 certificate", ["ISO27001"]),
        ("FedRAMP Moderate required", ["FedRAMP"]),
        ("cardholder data flows through Kafka", ["PCI-DSS"]),
        ("No HIPAA requirement, but SOC 2 is a must", ["SOC2"]),
        ("they don't need FedRAMP; PCI DSS is in scope", ["PCI-DSS"]),
        ("PHI is out of scope, SOC 2 Type 1 is enough.", ["SOC2"]),
        ("No SOC 2 report = no deal, their words.", ["SOC2"]),
        ("Compliance checklist: SOC 2 ✅ ISO ✅ HIPAA ❌ PCI ❌", ["SOC2", "ISO27001"]),
    ],
)
def test_compliance_names_variants_and_negations(text, expected):
    assert facts(text)["compliance"] == expected


@pytest.mark.parametrize(
    "text",
    [
        "they may need HIPAA later, not now",
        "They asked whether we're FedRAMP authorized; told them yes.",
        "StateRAMP maybe; they are not federal.",
        "Do they need a BAA?",
        "they asked about FedRAMP but it's just for a future federal bid, not this deal",
        "ISO 27001 maybe next year, not a requirement for this deal",
        "no need for HIPAA, they dont put PHI in this",
    ],
)
def test_hedges_questions_and_lookalikes_are_not_requirements(text):
    assert "compliance" not in facts(text)


# ---- corrections of lists ----------------------------------------------------------------------


def test_only_replaces_the_list():
    assert [r.value for r in thread("Users in the US and Germany.", "Correction: only EU, not US.").regions] == ["EU"]
    assert [
        r.value for r in thread("Regions: US and UK.", "Scratch that — UK only, the US entity was sold.").regions
    ] == ["UK"]


def test_a_name_taken_back_leaves_the_list():
    record = thread("Competitors: Fivetran and Matillion.", "Matillion is out of the picture now.")
    assert record.competitors == ["Fivetran"]
    record = thread(
        "Integrations: Salesforce, Marketo.", "Also Workday.", "Actually drop Marketo, they're retiring it."
    )
    assert record.integrations == ["Salesforce", "Workday"]


def test_a_correction_is_marked_as_replacing_the_list():
    update = extract("Correction: only EU, not US.", today=TODAY, known=Qualification(regions=["US", "EU"])).update
    assert update.regions == ["EU"] and update.replace_lists == ["regions"]


# ---- deployment and SSO ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Everything has to run on-prem in their own data center, no SaaS.", "self_hosted"),
        ("Must be self-managed, inside their VPC, air-gapped.", "self_hosted"),
        ("Data must be hosted by you, they have no ops team.", "saas"),
        ("40 seats, cloud, ISO 27001.", "saas"),
        ("Some workloads stay on-prem, some go to the cloud.", "hybrid"),
        ("They're on-prem today (Oracle) but want to move to our SaaS.", "saas"),
        ("Current stack is MySQL + Postgres on prem; they want managed cloud.", "saas"),
        ("lost this one — they're going with Airbyte self-hosted.", None),
        ("They're open to either SaaS or self-hosted, no preference yet.", None),
        ("CTO wants on-prem; CFO prefers SaaS.", None),
    ],
)
def test_deployment_is_what_they_want_not_what_their_systems_run_on(text, expected):
    assert facts(text).get("deployment") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("need SSO", True),
        ("SAML against Ping is required", True),
        ("Okta SSO required", True),
        ("Users must log in with Azure AD", True),
        ("no SSO needed, Google login is fine", False),
        ("SSO would be nice to have", False),
    ],
)
def test_sso_required(text, expected):
    assert facts(text)["sso_required"] is expected


# ---- names: competitors, integrations, products ------------------------------------------------


def test_aliases_give_canonical_names():
    found = extract("needs to sync SFDC, Postgres, MSSQL, Mongo and S/4 into GBQ; login via Azure AD", today=TODAY)
    assert found.update.integrations == ["Salesforce", "PostgreSQL", "SQL Server", "MongoDB", "SAP", "BigQuery"]
    # The identity provider is not an integration; its canonical name is kept, and the rep's word with it.
    assert found.update.identity_provider == "Microsoft Entra ID" and found.evidence["identity_provider"] == "Azure AD"


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (["IdP is Okta, SSO mandatory"], "Okta"),
        (["they use Google Workspace for login"], "Google Workspace"),
        (["they use Ping for SSO"], "Ping Identity"),
        (["AAD is their directory; SSO is a must"], "Microsoft Entra ID"),
        (["IdP is Okta", "correction: they're not on Okta anymore, moved to Entra last year"], "Microsoft Entra ID"),
        (["IdP is OneLogin", "correction: OneLogin was their old one, it's JumpCloud now"], "JumpCloud"),
    ],
)
def test_the_identity_provider_is_its_own_field_and_the_latest_one_in_use_wins(messages, expected):
    record = thread(*messages)
    assert record.identity_provider == expected and record.integrations == []


def test_google_and_ping_are_identity_providers_only_where_people_sign_in():
    assert "identity_provider" not in facts("They ping us weekly; data lands in Google Workspace sheets.")


def test_competitors_are_vendors_in_the_evaluation_and_incumbents_the_ones_we_replace():
    found = facts("Currently on Fivetran, bake-off against Airbyte; Confluent pitched their Kafka too.")
    assert found["incumbents"] == ["Fivetran"]
    assert found["competitors"] == ["Airbyte", "Confluent"] and found["integrations"] == ["Kafka"]


@pytest.mark.parametrize(
    ("messages", "competitors", "incumbents"),
    [
        (["ripping out Boomi, shortlist is us and Workato"], ["Workato"], ["Boomi"]),
        (["replacing Dell Boomi and some PowerCenter jobs"], [], ["Boomi", "Informatica"]),
        (["evaluating us against Snowflake and Databricks"], ["Snowflake", "Databricks"], []),
        (["they tried Stitch back in 2024 and dropped it", "shortlist is us and Matillion"], ["Matillion"], []),
        (["moving off Talend (contract ends in March)", "Fivetran also in the mix"], ["Fivetran"], ["Talend"]),
        (["They use Workato for app integrations and are fine keeping it"], [], []),
        (["Competitors: Fivetran, Matillion", "they're on Fivetran today, replacing it"], ["Matillion"], ["Fivetran"]),
        (["comp landscape: Fivetran (incumbent), Airbyte + Hevo in the eval"], ["Airbyte", "Hevo"], ["Fivetran"]),
        (["Their old vendor was Informatica, they moved to Fivetran two years ago and now want out"], [], ["Fivetran"]),
        (
            ["They were burned by Informatica's pricing and ripped it out last year. Now evaluating us vs Fivetran."],
            ["Fivetran"],
            [],
        ),
        (["Currently they're paying about $5k a month for Stitch"], [], ["Stitch"]),
    ],
)
def test_vendors_take_the_role_their_words_give_them(messages, competitors, incumbents):
    record = thread(*messages)
    assert (record.competitors, record.incumbents) == (competitors, incumbents)


def test_a_vendor_already_replaced_is_not_a_competitor():
    assert facts("They ripped Informatica out last year. Now evaluating us vs Fivetran.")["competitors"] == ["Fivetran"]


def test_products_from_skus_and_names():
    found = facts("Interested in the Enterprise edition with premium support, the connectors pack and HS-ONB.")
    assert found["products_of_interest"] == ["HS-ENT", "HS-SUP", "HS-CONN", "HS-ONB"]


@pytest.mark.parametrize(
    ("messages", "products"),
    [
        (["hospital network, BAA needed, 1,200 clinicians"], ["HS-ENT"]),
        (["state agency, FedRAMP Moderate required"], ["HS-GOV"]),
        (["they asked for a quote on Business, 150 seats", "wait, they need a BAA signed"], ["HS-ENT"]),
        (["Enterprise edition, self-hosted in their own AWS account"], ["HS-ENT", "HS-SELF"]),
        (["SOC 2 and GDPR, 40 seats"], []),
        (["They want Enterprise for all 300 seats with SSO and premium support"], ["HS-ENT", "HS-SSO", "HS-SUP"]),
        (
            ["Enterprise for 250, premium support yes", "self-hosted runtime maybe next year", "retention add-on: no"],
            ["HS-ENT", "HS-SUP"],
        ),
        (["Larkspur Retail — 95 seats, Business, SaaS"], ["HS-BUS"]),
        (["so the onboarding & migration package makes sense"], ["HS-ONB"]),
    ],
)
def test_products_named_listed_or_implied_by_the_requirements(messages, products):
    assert thread(*messages).products_of_interest == products


def test_sso_alone_is_a_requirement_not_the_add_on():
    found = facts("Enterprise, 300 seats, SSO required")
    assert found["products_of_interest"] == ["HS-ENT"] and found["sso_required"] is True


# ---- people, narrative, disqualification, evidence -------------------------------------------


def test_contact_economic_buyer_champion_and_narrative():
    found = facts(
        "Call with Dana Lee (VP Data) at Northwind Health. The economic buyer is Priya Shah, CIO. "
        "Champion is Tom Baker. Pain: nightly batch jobs break weekly. Success means under 5 min latency. "
        "Decision by committee after a 4-week POC. Procurement needs a security questionnaire."
    )
    assert (found["contact_name"], found["contact_role"], found["company"]) == (
        "Dana Lee",
        "VP Data",
        "Northwind Health",
    )
    assert found["economic_buyer"] == "Priya Shah" and found["champion"] == "Tom Baker"
    assert found["pain"] == "nightly batch jobs break weekly"
    assert found["metrics"] == "under 5 min latency"
    assert found["decision_process"].startswith("Decision by committee")
    assert found["paper_process"] == "Procurement needs a security questionnaire"


@pytest.mark.parametrize(
    ("messages", "buyer", "champion"),
    [
        (
            ["met Priya Nair, Head of Data Platform at Tessellate — she's our champion", "the VP Finance signs off"],
            "the VP Finance",
            "Priya Nair",
        ),
        (["Raj is pushing for us internally", "the CIO has final say on the $$"], "the CIO", "Raj"),
        (
            [
                "my contact is Tomás Ferreira, Data Eng Manager",
                "Tomás is our champion but the buyer is Helen Cho, their COO",
            ],
            "Helen Cho",
            "Tomás Ferreira",
        ),
        (["econ buyer = the CTO", "correction — budget sits with the CFO, CTO only recommends"], "the CFO", None),
        (
            ["economic buyer is Grace Liu, she runs Ops", "champion is whoever runs the data team, haven't met them"],
            "Grace Liu",
            None,
        ),
        (["econ buyer probably the COO but TBD", "champion is their data lead, Sam Okafor"], None, "Sam Okafor"),
        (["the one who holds the purse strings is their CFO, Arjun Mehta"], "Arjun Mehta", None),
        (["We met the CFO, she signs off on anything IT buys.", "champ = Leo Marsh"], "the CFO", "Leo Marsh"),
        (
            ["The CTO, Nadia Rahman, is the one signing", "Chris from their data team loves us and is driving this"],
            "Nadia Rahman",
            "Chris",
        ),
    ],
)
def test_buyer_and_champion_as_reps_phrase_them(messages, buyer, champion):
    record = thread(*messages)
    assert (record.economic_buyer, record.champion) == (buyer, champion)


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("Kickoff w/ Brightwater Foods went well. ~300 users on the data team", "Brightwater Foods"),
        ("Halvorsen Energy — Oslo HQ, 220 users across the Nordics", "Halvorsen Energy"),
        ("Alder & Finch, design agency, 18 seats", "Alder & Finch"),
        ("Granite Peak Credit Union: 110 users, all in Colorado", "Granite Peak Credit Union"),
        ("Northwind Traders call: 220 users in Warsaw and Prague", "Northwind Traders"),
        ("Okta SSO, 250 users", None),
        ("New York, 200 users", None),
        ("Seats: ~85", None),
    ],
)
def test_the_company_a_thread_opens_with(text, company):
    assert facts(text).get("company") == company


@pytest.mark.parametrize(
    "text",
    [
        "Bad news, they went with Fivetran.",
        "no budget this year, closing it out",
        "Project cancelled after the merger.",
    ],
)
def test_a_dead_deal_is_proposed_for_disqualification(text):
    assert extract(text, today=TODAY).disqualify_reason


@pytest.mark.parametrize(
    "text", ["They chose us over Boomi!", "We are going with SaaS.", "They didn't go with Fivetran in the end."]
)
def test_a_win_or_a_choice_of_ours_is_not_a_disqualification(text):
    assert extract(text, today=TODAY).disqualify_reason is None


def test_every_fact_keeps_the_words_it_came_from():
    found = extract("About 250 seats, budget around $180k, sign by end of Q1, users in Frankfurt.", today=TODAY)
    assert found.evidence == {
        "seats": "About 250 seats",
        "budget": "$180k",
        "target_close": "end of Q1",
        "regions": "Frankfurt",
    }


async def test_a_canonical_name_keeps_the_reps_word_in_the_reply_and_the_evidence():
    deps = DiscoveryDeps(record=Qualification(), deal_id=1, user_id="U0REP", today=TODAY)
    outcome = await run_turn(
        prompt=turn_prompt(user="<@U0REP>", day=TODAY, text="auth via Azure AD, 120 seats"),
        deps=deps,
        history_json=[],
        model=resolve_model("offline", offline=offline_discovery),
        model_name="offline",
    )
    assert deps.current().identity_provider == "Microsoft Entra ID"
    assert deps.updates[0][1]["identity_provider"] == "Azure AD"  # the evidence the audit trail keeps
    assert outcome.reply is not None and "Microsoft Entra ID (you wrote “Azure AD”)" in outcome.reply.reply


# ---- the scorer --------------------------------------------------------------------------------


def test_scorer_counts_true_and_false_positives_by_hand():
    scenarios = [
        Scenario(
            id="a",
            today=TODAY,
            messages=["-"],
            expected={"seats": 100, "regions": ["US", "EU"], "budget": {"amount": "50000", "currency": "USD"}},
        ),
        Scenario(id="b", today=TODAY, messages=["-"], expected={"deployment": "saas", "target_close": None}),
    ]
    records = {
        "a": Qualification(seats=120, regions=["US", "UK"], budget={"amount": "50000.00", "currency": "usd".upper()}),
        "b": Qualification(deployment="saas"),
    }
    report = score(scenarios, lambda s: records[s.id])
    # seats: wrong value = FP + FN; regions: US TP, UK FP, EU FN; budget TP; deployment TP; null kept.
    assert (report.micro.tp, report.micro.fp, report.micro.fn) == (3, 2, 2)
    assert report.micro.precision == pytest.approx(0.6) and report.micro.f1 == pytest.approx(0.6)
    assert report.exact == 1 and report.exact_match_rate == 0.5
    assert report.fields["regions"].f1 == pytest.approx(0.5)
    assert "all fields (micro)" in report.render()


def test_scorer_counts_a_prediction_where_none_was_expected_as_a_false_positive():
    scenario = Scenario(id="n", today=TODAY, messages=["-"], expected={"budget": None, "compliance": []})
    report = score([scenario], lambda s: Qualification(budget={"amount": "1"}, compliance=["SOC2"]))
    assert (report.micro.tp, report.micro.fp, report.micro.fn) == (0, 2, 0) and report.exact == 0


def test_list_names_are_compared_without_case():
    scenario = Scenario(id="c", today=TODAY, messages=["-"], expected={"competitors": ["fivetran"]})
    assert score([scenario], lambda s: Qualification(competitors=["Fivetran"])).f1 == 1.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "x", "today": "2026-11-24", "messages": ["hi"], "expected": {"seats": 1}', "not JSON"),
        ('{"id": "x", "today": "2026-11-24", "messages": [], "expected": {}}', "messages"),
        ('{"id": "x", "today": "2026-11-24", "messages": ["hi"], "expected": {"seat": 1}}', "unknown fields"),
        ('{"id": "x", "today": "2026-11-24", "messages": ["hi"], "expected": {"regions": ["Mars"]}}', "regions"),
        ('{"id": "x", "today": "soon", "messages": ["hi"], "expected": {}}', "today"),
    ],
)
def test_malformed_scenario_lines_are_reported_with_their_line_number(tmp_path, line, message):
    path = tmp_path / "scenarios.jsonl"
    good = '{"id": "ok", "today": "2026-11-24", "messages": ["hi"], "expected": {}}'
    path.write_text(f"{good}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=rf"scenarios.jsonl:3: .*{message}"):
        load_scenarios(path)


# ---- accuracy on the shipped scenarios --------------------------------------------------------


@pytest.mark.parametrize("name", ["discovery.jsonl", "discovery_families.jsonl"])
def test_the_extractor_keeps_an_f1_of_at_least_0_9_on_the_discovery_scenarios(name):
    report = score(load_scenarios(EVALS / name), run_offline)
    assert report.scenarios >= 45
    assert report.micro.f1 >= 0.9, report.render() + "\n" + "\n".join(map(str, report.misses))


@pytest.mark.parametrize("name", ["discovery.jsonl", "discovery_holdout.jsonl", "discovery_families.jsonl"])
async def test_the_offline_model_keeps_an_f1_of_at_least_0_9_through_the_agent(name):
    report = await evaluate(
        load_scenarios(EVALS / name),
        model=resolve_model("offline", offline=offline_discovery),
        model_name="offline",
    )
    assert report.micro.f1 >= 0.9, report.render()

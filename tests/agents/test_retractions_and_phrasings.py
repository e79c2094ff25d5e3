"""Facts taken back, and the phrasings reps use for companies, people and money, read by the offline model."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic_ai import models

from agents.discovery import DiscoveryDeps, run_turn
from agents.models import resolve_model
from agents.offline.discovery_model import offline_discovery
from agents.offline.extraction import extract
from agents.prompts import turn_prompt
from bot.serving import serve_asgi
from deals.qualification import Qualification, QualificationUpdate
from tests.fakes.openai_compat import ScriptedChatServer, tool_calls

TODAY = date(2026, 11, 24)


def thread(*messages: str, today: date = TODAY) -> Qualification:
    """The record after a rep's messages, each merged as the discovery model does, with the earlier ones as context."""
    record = Qualification()
    for index, message in enumerate(messages):
        earlier = "\n".join(messages[:index])
        record, _ = record.merged(extract(message, today=today, known=record, context=earlier).update)
    return record


# ---- the record: clearing a field -------------------------------------------------------------


def test_a_cleared_field_is_unknown_again_and_reported_as_a_change():
    record = Qualification(seats=75, regions=["EU"], budget={"amount": "40000", "currency": "EUR"})
    after, changes = record.merged(QualificationUpdate(cleared=["budget", "regions"]))
    assert after.budget is None and after.regions == [] and after.seats == 75
    assert set(changes) == {"budget", "regions"} and changes["regions"] == (["EU"], [])


def test_a_value_set_in_the_same_update_wins_over_clearing_it():
    record = Qualification(economic_buyer="Omar Haddad")
    after, changes = record.merged(QualificationUpdate(economic_buyer="Ines Duarte", cleared=["economic_buyer"]))
    assert after.economic_buyer == "Ines Duarte" and changes == {"economic_buyer": ("Omar Haddad", "Ines Duarte")}


def test_clearing_what_is_not_known_changes_nothing_and_an_update_that_only_clears_is_not_empty():
    update = QualificationUpdate(cleared=["poc_weeks"])
    assert not update.is_empty()
    assert Qualification().merged(update)[1] == {}


def test_clearing_the_close_date_keeps_its_history():
    record, _ = Qualification().merged(QualificationUpdate(target_close=date(2027, 2, 26)))
    after, _ = record.merged(QualificationUpdate(cleared=["target_close"]))
    assert after.target_close is None and after.target_close_first == date(2027, 2, 26)
    assert after.target_close_moves == 0


def test_an_unknown_field_cannot_be_cleared():
    with pytest.raises(ValueError):
        QualificationUpdate(cleared=["target_close_moves"])


def test_the_tool_schema_tells_a_model_how_to_clear_a_field():
    schema = QualificationUpdate.model_json_schema()
    cleared = schema["properties"]["cleared"]
    assert "budget" in str(cleared) and "takes back" in cleared["description"]


# ---- retractions read from a rep's words ------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        (["Budget is $75k a year", "please disregard the $75k, finance never signed it off"], "budget"),
        (
            ["they'd run a 6 week pilot, success = invoices matched within a day", "scrap the pilot, they'll buy"],
            "poc_weeks",
        ),
        (["320 users on day one", "turns out the 320 is everyone on payroll, not users"], "seats"),
        (["Omar Haddad is pushing for us", "Omar has resigned, starts at a bank next month"], "champion"),
        (["SCIM provisioning is required", "SCIM is still up in the air, security wants a demo"], "scim_required"),
    ],
)
def test_a_fact_taken_back_is_cleared(messages, field):
    before = thread(*messages[:1])
    assert getattr(before, field) is not None
    assert getattr(thread(*messages), field) is None


def test_forgetting_a_pilot_clears_its_criteria_too():
    record = thread("they'd run a 6 week pilot, success = invoices matched within a day", "forget the pilot")
    assert record.poc_weeks is None and record.poc_success_criteria is None


def test_an_open_decision_is_neither_yes_nor_no():
    assert thread("single sign-on TBD, they'll tell us after the workshop").sso_required is None


def test_a_retraction_with_a_new_value_keeps_the_new_value():
    record = thread("budget $75k", "ignore the 75k, the real number is $90k")
    assert record.budget is not None and record.budget.amount == Decimal(90000)


def test_nothing_is_cleared_without_a_record_to_clear_it_from():
    assert extract("ignore the 150k", today=TODAY).update.cleared == []


# ---- the rep sees what was cleared --------------------------------------------------------------


async def test_the_reply_says_which_fields_were_cleared():
    record = Qualification(company="Tallis Foods", budget={"amount": "75000", "currency": "USD"}, seats=40)
    deps = DiscoveryDeps(record=record, deal_id=1, user_id="U0REP", today=TODAY)
    outcome = await run_turn(
        prompt=turn_prompt(user="<@U0REP>", day=TODAY, text="disregard the 75k, it was never approved. 45 seats"),
        deps=deps,
        history_json=[],
        model=resolve_model("offline", offline=offline_discovery),
        model_name="offline",
    )
    assert deps.current().budget is None and deps.current().seats == 45
    assert outcome.reply is not None
    assert "Noted — *Seats:* 45" in outcome.reply.reply
    assert "Cleared — Budget" in outcome.reply.reply
    assert "*Budget:* —" not in outcome.reply.reply


# ---- companies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "company"),
    [
        ("Spoke to Marlowe Textiles about their ERP sync", "Marlowe Textiles"),
        ("Quinn & Doyle need the SAP connector", "Quinn & Doyle"),
        ("Whitby Fisheries Co-op (Yorkshire) plans 40 seats", "Whitby Fisheries Co-op"),
        ("who owns the budget at Harrow Water? probably finance", "Harrow Water"),
        ("Recap - Lindell Medtech x Halyard - intro", "Lindell Medtech"),
        ("VP Ops of Calder Ferries wants a demo", "Calder Ferries"),
    ],
)
def test_a_company_is_recognised_where_reps_name_it(text, company):
    assert thread(text).company == company


@pytest.mark.parametrize(
    "text",
    [
        "moving the warehouse to Google Cloud next year, 80 seats",
        "they talked to Harrow Water about us last month",
        "Called Ines Duarte at 2pm",
    ],
)
def test_a_place_their_data_goes_someone_elses_contact_or_a_person_is_not_the_company(text):
    assert thread(text).company is None


def test_a_later_company_name_does_not_replace_the_deals_company():
    assert thread("Marlowe Textiles: 40 seats", "they met Harrow Water at a conference").company == "Marlowe Textiles"


# ---- people ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "buyer"),
    [
        (["approval sits with the COO Ines Duarte"], "Ines Duarte"),
        (["economic buyer: Ines Duarte, CFO"], "Ines Duarte"),
        (["the CEO signs - Ines Duarte"], "Ines Duarte"),
        (["final approval by their CFO, Omar Haddad"], "Omar Haddad"),
        (["the money comes from the founder, Omar Haddad"], "Omar Haddad"),
        (["the CFO signs"], "the CFO"),
    ],
)
def test_the_economic_buyer_is_the_name_without_the_title_around_it(messages, buyer):
    assert thread(*messages).economic_buyer == buyer


def test_a_contact_written_surname_first_is_recorded_given_name_first():
    record = thread("contact: Haddad, Omar - Head of Analytics @ Tallis Foods")
    assert (record.contact_name, record.contact_role, record.company) == (
        "Omar Haddad",
        "Head of Analytics",
        "Tallis Foods",
    )


def test_a_phone_number_between_the_contact_and_the_role_is_skipped():
    record = thread("Contact at Tallis Foods: Ines Duarte, +1 415 555 0142, she's the integration lead")
    assert (record.contact_name, record.contact_role) == ("Ines Duarte", "integration lead")


def test_a_meeting_with_the_company_is_not_a_contact():
    record = thread("sync w/ Tallis Foods - contact is Ines Duarte, Data Manager")
    assert (record.company, record.contact_name) == ("Tallis Foods", "Ines Duarte")


def test_pasted_meeting_notes_give_the_contact_the_champion_and_the_buyer():
    record = thread(
        "Call notes - Tallis Foods x Halyard\n"
        "Attendees: Ines Duarte (Data Manager, Tallis), Omar Haddad (Security, Tallis)\n"
        "- Ines runs the migration and is championing it internally\n"
        "- Sign-off by the CFO, Ruth Malik"
    )
    assert (record.company, record.contact_name, record.contact_role) == ("Tallis Foods", "Ines Duarte", "Data Manager")
    assert (record.champion, record.economic_buyer) == ("Ines Duarte", "Ruth Malik")


# ---- money ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "currency", "period", "years"),
    [
        ("they can spend roughly €8k a month", "96000", "EUR", "annual", None),
        ("comfortable with 300k over four years", "300000", "USD", "total", 4),
        ("budget of seventy five thousand euros a year", "75000", "EUR", "annual", None),
    ],
)
def test_budgets_said_per_month_over_years_or_in_words(text, amount, currency, period, years):
    budget = thread(text).budget
    assert budget is not None
    assert (budget.amount, budget.currency, budget.period, budget.years) == (Decimal(amount), currency, period, years)


def test_a_currency_correction_keeps_the_amount():
    record = thread("budget 120k per year", "that's GBP, not USD")
    assert record.budget is not None and (record.budget.amount, record.budget.currency) == (Decimal(120000), "GBP")
    assert record.budget.period == "annual"


@pytest.mark.parametrize(
    ("messages", "buyer", "champion"),
    [
        (
            [
                "I meet today Mrs. Aiko Sato, she is manager of data team in Hoshino Chemicals. She like our product "
                "very much and will push for us. The budget decide by the CEO, Mr. Ren Ito"
            ],
            "Ren Ito",
            "Aiko Sato",
        ),
        (["Aiko Sato is pushing for us", "Aiko has resigned. no champion for now"], None, None),
        (["Aiko Sato is pushing for us", "Aiko left the call early, still keen"], None, "Aiko Sato"),
    ],
)
def test_people_in_non_native_phrasings_and_people_who_leave(messages, buyer, champion):
    record = thread(*messages)
    assert (record.economic_buyer, record.champion) == (buyer, champion)


# ---- corrections ------------------------------------------------------------------------------------


def test_a_number_taken_back_before_the_new_one_corrects_the_seats():
    assert thread("Tallis Foods, 140 users", "not 140 - it's 165, they added the QA team").seats == 165


def test_a_vendor_out_of_the_evaluation_but_in_place_today_is_the_incumbent():
    record = thread(
        "Tallis Foods are comparing us with Matillion and Talend",
        "Talend isn't in the running - it's what they run today. Matillion is the real competitor",
    )
    assert (record.competitors, record.incumbents) == (["Matillion"], ["Talend"])


def test_terms_we_offered_are_not_the_terms_they_ask_for():
    assert thread("they asked for net 45; we had offered net 30").payment_terms_days == 45


# ---- dates ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "today", "close"),
    [
        (
            ["their financial year starts in July", "they'll sign by the end of their Q2"],
            date(2026, 5, 4),
            "2026-12-31",
        ),
        (["FY runs October to September; signature before fiscal year end"], date(2026, 5, 4), "2026-09-30"),
        (["sign by end of their Q2"], date(2026, 5, 4), "2026-06-30"),  # no fiscal calendar said: calendar quarters
        (["Oct 2 is their steering committee, that's when it gets signed"], date(2026, 5, 4), "2026-10-02"),
    ],
)
def test_close_dates_with_a_stated_fiscal_calendar_or_said_after_the_date(messages, today, close):
    assert thread(*messages, today=today).target_close == date.fromisoformat(close)


def test_a_go_live_counted_from_the_signing_date():
    record = thread("signature by June 30", "go live 8 weeks after signing", today=date(2026, 5, 4))
    assert record.go_live == date(2026, 8, 25)


def test_a_renewal_date_said_earlier_is_the_go_live_deadline():
    record = thread(
        "they pay Stitch about 90k a year, the contract runs out on Sep 30",
        "they need to be live before that renewal",
        today=date(2026, 5, 4),
    )
    assert record.go_live == date(2026, 9, 30)


async def test_the_agent_reads_a_fiscal_calendar_from_an_earlier_turn():
    record, history = Qualification(), []
    for text in ("Tallis Foods: their fiscal year starts on 1 April", "they want to sign by the end of their Q3"):
        deps = DiscoveryDeps(record=record, deal_id=1, user_id="U0REP", today=date(2026, 5, 4))
        outcome = await run_turn(
            prompt=turn_prompt(user="<@U0REP>", day=date(2026, 5, 4), text=text),
            deps=deps,
            history_json=history,
            model=resolve_model("offline", offline=offline_discovery),
            model_name="offline",
        )
        record, history = deps.current(), outcome.history
    assert record.target_close == date(2026, 12, 31)


# ---- distractors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "regions"),
    [
        ("Tallis Foods: their parent group already runs us in Australia; this deal is Canada, 60 seats", ["CA"]),
        ("Tallis Foods: parent is in Germany, users all in the US", ["US"]),
        ("Tallis Foods: stores across EMEA and NA, but the first rollout is UK stores only", ["UK"]),
    ],
)
def test_another_companys_places_and_a_limited_first_phase(text, regions):
    assert [r.value for r in thread(text).regions] == regions


# ---- the provider path --------------------------------------------------------------------------------


async def test_an_openai_compatible_model_clears_a_field_through_the_record_tool():
    server = ScriptedChatServer(
        [
            tool_calls(("record_qualification", {"update": {"cleared": ["poc_weeks", "poc_success_criteria"]}})),
            tool_calls(("final_result", {"reply": "Dropped the POC.", "next_questions": []})),
        ]
    )
    record = Qualification(company="Tallis Foods", poc_weeks=3, poc_success_criteria="nightly loads under 1h")
    deps = DiscoveryDeps(record=record, deal_id=4, user_id="U1", today=TODAY)
    async with serve_asgi(server.app) as url:
        with models.override_allow_model_requests(True):
            await run_turn(
                prompt=turn_prompt(user="<@U1>", day=TODAY, text="no POC any more, they'll buy outright"),
                deps=deps,
                history_json=[],
                model=resolve_model("openai:gpt-test", offline=None, base_url=f"{url}/v1", api_key="test-key"),
                model_name="openai:gpt-test",
            )
    assert deps.current().poc_weeks is None and deps.current().poc_success_criteria is None
    tool = next(t for t in server.requests[0]["tools"] if t["function"]["name"] == "record_qualification")
    assert "cleared" in str(tool["function"]["parameters"])


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        (["signature by July 31", "forget July, they have no date now"], "target_close"),
        (["go-live Oct 1", "go-live date is TBD again"], "go_live"),
        (["3 week pilot agreed", "they're no longer doing a pilot"], "poc_weeks"),
        (["budget 60k", "take the budget off, nobody confirmed it"], "budget"),
        (["budget is 60k", "the 60k was for another project"], "budget"),
    ],
)
def test_more_ways_of_taking_a_fact_back(messages, field):
    assert getattr(thread(*messages[:1]), field) is not None
    assert getattr(thread(*messages), field) is None


def test_a_date_after_a_retracting_word_is_not_taken_back_unless_it_is_what_was_dropped():
    assert thread("signature by July 31", "they'll drop the old ETL by July").target_close == date(2027, 7, 31)


def test_the_first_customer_attendee_of_pasted_notes_is_the_contact():
    record = thread(
        "Summary: Tallis Foods <> Halyard\n"
        "Attendees: Halyard (AE, SE); Tallis Foods: Ines Duarte (Head of Data), Omar Haddad (Security Lead)\n"
        "Action items:\n* Ines to send the architecture diagram"
    )
    assert (record.company, record.contact_name, record.contact_role) == ("Tallis Foods", "Ines Duarte", "Head of Data")


@pytest.mark.parametrize(
    ("text", "amount", "period", "years"),
    [("budget: EUR 200k / 4 years", "200000", "total", 4), ("budget 30k per quarter", "120000", "annual", None)],
)
def test_a_budget_per_quarter_or_over_years_after_a_slash(text, amount, period, years):
    budget = thread(text).budget
    assert budget is not None and (budget.amount, budget.period, budget.years) == (Decimal(amount), period, years)


def test_a_champion_named_by_first_name_with_an_aside_is_the_name():
    assert thread("champion: Ines (integration lead)").champion == "Ines"


@pytest.mark.parametrize(
    ("messages", "competitors", "incumbents"),
    [
        (["up against Fivetran and Airbyte", "Airbyte got eliminated on price"], ["Fivetran"], []),
        (["up against Fivetran and Airbyte", "Fivetran pulled out"], ["Airbyte"], []),
        (["their existing platform is MuleSoft"], [], ["MuleSoft"]),
        (["they have been on Talend since 2019"], [], ["Talend"]),
    ],
)
def test_vendors_ruled_out_of_the_evaluation_and_vendors_in_place(messages, competitors, incumbents):
    record = thread(*messages)
    assert (record.competitors, record.incumbents) == (competitors, incumbents)

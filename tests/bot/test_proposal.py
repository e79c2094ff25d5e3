"""Proposals: grounded prose, prices inserted by code from the stored quote, checked, uploaded as a PDF."""

from __future__ import annotations

from pathlib import Path

from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import FunctionModel

from agents.proposal import guardrail
from bot.emulator.transcript import render_message
from knowledge.ingest import ingest
from tests.bot.conftest import REP, Harness

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knowledge"
QUALIFIED = (
    "new Acme: Pain: nightly batch loads from Oracle into Snowflake take 6 hours. 200 seats, budget $250k, "
    "sign by end of Q1, SaaS, users in Boston, SOC 2 and HIPAA, the CFO signs."
)


def seen(harness: Harness, message: dict) -> str:
    return " ".join(" ".join(render_message(message, harness.workspace)).split())


async def test_the_draft_proposal_button_uploads_a_priced_grounded_pdf_to_the_deal_thread(harness: Harness):
    ingest([SAMPLE], harness.runtime.knowledge())
    await harness.command(QUALIFIED)
    await harness.work()
    await harness.command("quote Acme HS-ENT 200")
    await harness.work()
    card = harness.workspace.history(harness.deals_channel)[0]
    await harness.actor.click(REP, harness.deals_channel, card["ts"], "deal.draft_proposal")
    await harness.work()
    thread = harness.thread(harness.deals_channel, card["ts"])
    upload = thread[-1]
    assert upload["files"][0]["name"] == "proposal-deal-1-v1.pdf"
    pdf = harness.workspace.files[upload["files"][0]["id"]].content
    assert pdf.startswith(b"%PDF")
    assert "ready to send" in seen(harness, upload) and "$211,600" in seen(harness, upload)
    assert "Proposal" in seen(harness, harness.workspace.history(harness.deals_channel)[0])


async def test_a_proposal_needs_a_qualified_deal_and_a_quote(harness: Harness):
    await harness.command("new Acme: 200 seats")
    await harness.work()
    await harness.command("proposal Acme")
    await harness.work()
    assert "not qualified yet" in harness.workspace.ephemeral_for(REP)[-1]["text"]


def test_the_guardrail_catches_a_price_the_model_wrote_itself():
    document = "We can do this for $99,000 with a 40% discount on HS-ULTRA. The list is $230,000."
    problems = guardrail(
        document, allowed_money={"$230,000"}, allowed_percent={"8%"}, catalog_skus={"HS-ENT"}, grounded_text=""
    )
    assert problems == [
        "amount '$99,000' is not from the quote",
        "percentage '40%' is not from the quote",
        "SKU HS-ULTRA is not in the catalog",
    ]


async def test_a_model_that_writes_its_own_price_is_posted_as_needing_review(harness: Harness):
    from agents.proposal import proposal_agent

    def pricing_model(messages, info):
        draft = {
            "executive_summary": "A great deal at only $1,000 per year, 90% off.",
            "situation": "They need streaming.",
        }
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, draft)])

    await harness.command(QUALIFIED)
    await harness.work()
    await harness.command("quote Acme HS-ENT 200")
    await harness.work()
    with proposal_agent.override(model=FunctionModel(pricing_model)):
        await harness.command("proposal Acme")
        await harness.work()
    upload = harness.thread(harness.deals_channel, harness.workspace.history(harness.deals_channel)[0]["ts"])[-1]
    text = seen(harness, upload)
    assert "needs review" in text and "'$1,000' is not from the quote" in text and "'90%' is not from the quote" in text

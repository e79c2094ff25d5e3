"""Proposals: grounded prose, prices and terms inserted by code from the stored quote, checked, uploaded as a PDF."""

from __future__ import annotations

import io
from pathlib import Path

from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import FunctionModel
from pypdf import PdfReader

from bot.emulator.transcript import render_message
from knowledge.ingest import ingest
from tests.bot.conftest import REP, Harness

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knowledge"
QUALIFIED = (
    "new Acme: Pain: nightly batch loads from Oracle into Snowflake take 6 hours. 200 seats, budget $250k, "
    "sign by end of Q1, SaaS, users in Boston, SOC 2 and HIPAA, the CFO signs."
)
QUOTE = "quote Acme HS-ENT 200 HS-CONN 1"  # Oracle connects through the connectors pack
# A sentence only an internal document holds, on a topic the proposal searches for (HIPAA).
INTERNAL_NOTE = """---
title: "Deal desk notes: HIPAA deals"
product: halyard-stream
doc_type: deal_notes
url: https://sales.halyard.example/notes/hipaa
audience: internal
updated_at: 2026-11-01
---
# Deal desk notes: HIPAA deals

HIPAA compliance certification deals: the Halyard BAA reviewer Priya Okonkwo-Lindqvist signs off every HIPAA order.
"""


def seen(harness: Harness, message: dict) -> str:
    return " ".join(" ".join(render_message(message, harness.workspace)).split())


def uploaded(harness: Harness, suffix: str) -> tuple[dict, bytes]:
    """The last upload in the deal's thread whose file name ends with `suffix`, and the file's bytes."""
    thread = harness.thread(harness.deals_channel, harness.workspace.history(harness.deals_channel)[0]["ts"])
    message = next(m for m in reversed(thread) if m.get("files") and m["files"][0]["name"].endswith(suffix))
    return message, harness.workspace.files[message["files"][0]["id"]].content


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


async def test_the_draft_proposal_button_uploads_a_priced_grounded_pdf_to_the_deal_thread(harness: Harness):
    ingest([SAMPLE], harness.runtime.knowledge())
    await harness.command(QUALIFIED)
    await harness.work()
    await harness.command(QUOTE)
    await harness.work()
    card = harness.workspace.history(harness.deals_channel)[0]
    await harness.actor.click(REP, harness.deals_channel, card["ts"], "deal.draft_proposal")
    await harness.work()
    upload, pdf = uploaded(harness, ".pdf")
    assert upload["files"][0]["name"] == "proposal-acme-r1.pdf"  # the customer's name, no internal deal number
    assert pdf.startswith(b"%PDF")
    assert "ready to send" in seen(harness, upload) and "$229,600" in seen(harness, upload)
    assert "Proposal" in seen(harness, harness.workspace.history(harness.deals_channel)[0])
    text = pdf_text(pdf)
    for section in ("Executive summary", "Solution and scope", "Implementation plan", "Security and compliance"):
        assert section in text
    for part in ("Order form", "Acceptance", "Signature", "Page 2 of", "Halyard Stream Enterprise (HS-ENT)"):
        assert part in text
    assert "$229,600" in text and "Net 30" in text  # the quote's terms: this quote was committed at net 30
    assert "Deal #" not in text and "Quote v1" not in text and "sales.halyard.example" not in text


async def test_a_net_60_quote_legal_approved_prints_net_60(harness: Harness):
    await harness.command(QUALIFIED)
    await harness.work()
    await harness.command(f"{QUOTE} --net 60")
    await harness.work()
    approvals = harness.workspace.channel_id("deal-approvals")
    card = harness.workspace.history(approvals)[-1]
    assert "Legal" in seen(harness, card)
    await harness.actor.click("U0LEGAL", approvals, card["ts"], "approval.approve")
    await harness.work()  # the approval drafts the proposal from the now final quote
    _, pdf = uploaded(harness, ".pdf")
    text = pdf_text(pdf)
    assert "Payment terms Net 60" in text and "Net 30" not in text
    _, markdown = uploaded(harness, ".md")
    assert "| **Payment terms** | Net 60 |" in markdown.decode()


async def test_an_internal_chunk_never_reaches_a_proposal(harness: Harness, tmp_path: Path):
    notes = tmp_path / "kb"
    notes.mkdir()
    (notes / "hipaa-deal-desk.md").write_text(INTERNAL_NOTE)
    ingest([SAMPLE, notes], harness.runtime.knowledge())
    assert any("Okonkwo-Lindqvist" in p.text for p in harness.runtime.knowledge_search("HIPAA BAA reviewer"))
    await harness.command(QUALIFIED)
    await harness.work()
    await harness.command(QUOTE)
    await harness.work()
    await harness.command("proposal Acme")
    await harness.work()
    upload, pdf = uploaded(harness, ".pdf")
    _, markdown = uploaded(harness, ".md")
    assert "ready to send" in seen(harness, upload)
    assert "[1]" in markdown.decode()  # shareable material is cited...
    for leaked in ("Okonkwo-Lindqvist", "Deal desk notes", "sales.halyard.example"):  # ...internal material never
        assert leaked not in markdown.decode() and leaked not in pdf_text(pdf)


async def test_a_proposal_needs_a_qualified_deal_and_a_quote(harness: Harness):
    await harness.command("new Acme: 200 seats")
    await harness.work()
    await harness.command("proposal Acme")
    await harness.work()
    assert "not qualified yet" in harness.workspace.ephemeral_for(REP)[-1]["text"]


async def test_a_model_that_writes_its_own_price_is_posted_as_needing_review(harness: Harness):
    from agents.proposal import proposal_agent

    def pricing_model(messages, info):
        draft = {"executive_summary": "A great deal at only $1,000 per year, 90% off, with the HS-SELF licence."}
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, draft)])

    await harness.command(QUALIFIED)
    await harness.work()
    await harness.command(QUOTE)
    await harness.work()
    with proposal_agent.override(model=FunctionModel(pricing_model)):
        await harness.command("proposal Acme")
        await harness.work()
    upload, _ = uploaded(harness, ".pdf")
    text = seen(harness, upload)
    assert "needs review" in text and "'$1,000' is not from the quote" in text and "'90%' is not from the quote" in text
    assert "SKU HS-SELF is not on the quote" in text

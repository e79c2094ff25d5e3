"""What leaves the company: proposals use only customer-facing knowledge; answers to reps say when theirs
rest on internal or confidential sources."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from core.models import AuditEvent
from knowledge.ingest import ingest
from knowledge.models import CUSTOMER_FACING
from tests.bot.conftest import Harness
from tests.bot.test_proposal import QUALIFIED, seen

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "knowledge"


def audience_by_chunk(harness: Harness) -> dict[str, str]:
    store = harness.runtime.knowledge()
    return {chunk_id: payload["audience"] for chunk_id, payload in store.engine.scroll(store.collection, ["audience"])}


async def test_a_proposal_is_grounded_only_in_public_and_customer_shareable_chunks(harness: Harness):
    ingest([SAMPLE], harness.runtime.knowledge())
    await harness.command(QUALIFIED + " They are also evaluating Fivetran.")
    await harness.work()
    await harness.command("quote Acme HS-ENT 200 HS-CONN 1")
    await harness.work()
    await harness.command("proposal Acme")
    await harness.work()

    with harness.runtime.session_factory() as session:
        drafted = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.draft")).one()
    cited = [chunk["id"] for chunk in drafted.inputs["chunks"]]
    audiences = audience_by_chunk(harness)
    assert cited and {audiences[chunk] for chunk in cited} <= {a.value for a in CUSTOMER_FACING}
    # The same questions, asked without the filter, reach the battlecard, the NDA case study, the sales FAQ.
    unfiltered = {
        p.audience
        for query in ("replaced Fivetran with continuous real-time streaming", "HIPAA compliance certification")
        for p in harness.runtime.knowledge_search(query)
    }
    assert unfiltered - CUSTOMER_FACING
    thread = harness.thread(harness.deals_channel, harness.workspace.history(harness.deals_channel)[0]["ts"])
    uploads = [file for message in thread for file in message.get("files", [])]
    markdown = next(f for f in uploads if f["name"].endswith(".md"))
    document = harness.workspace.files[markdown["id"]].content.decode()
    assert "Meridian" not in document and "win rate" not in document.lower()  # the NDA case study, the battlecard


async def test_an_answer_that_rests_on_internal_sources_says_so_beside_each_of_them(harness: Harness):
    ingest([SAMPLE], harness.runtime.knowledge())
    await harness.command("ask what is our win rate against Fivetran?")
    await harness.work()
    answer = harness.workspace.history(harness.deals_channel)[-1]
    sources = [line for line in seen(harness, answer).split(":page_facing_up:")[1:]]
    assert sources, seen(harness, answer)
    assert any("Win/loss review" in line or "Battlecard: Fivetran" in line for line in sources)
    for line in sources:
        internal = "Win/loss review" in line or "Battlecard" in line or "Sales FAQ" in line
        assert ("Internal — don't forward" in line) == internal, line
    assert "don't forward" in answer["text"]  # the notification says it too


async def test_an_answer_from_public_documents_carries_no_label(harness: Harness):
    ingest([SAMPLE], harness.runtime.knowledge())
    await harness.command("ask which Snowflake loading method do you use?")
    await harness.work()
    answer = harness.workspace.history(harness.deals_channel)[-1]
    text = seen(harness, answer)
    assert "Snowflake destination guide" in text and "don't forward" not in text

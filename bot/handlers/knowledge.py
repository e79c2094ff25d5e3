"""`/lto ask`: answer from the knowledge base with sources, and keep the answer for feedback."""

from __future__ import annotations

import asyncio

from agents.qa import answer_question, offline_qa
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.answer import answer_blocks
from bot.views.text import as_dicts
from core.jobs import ClaimedJob
from knowledge import answers


async def handle_ask(runtime: Runtime, job: ClaimedJob) -> None:
    payload = job.payload
    question = payload["question"]
    outcome = await answer_question(
        question,
        search=runtime.knowledge_search,
        model=runtime.model_for(offline_qa),
        model_name=runtime.settings.model,
    )

    def store() -> int:
        with runtime.session_factory() as session, session.begin():
            return answers.record_answer(
                session,
                question=question,
                asked_by=payload["user_id"],
                channel_id=payload.get("channel_id"),
                chunk_ids=[p.chunk_id for p in outcome.sources],
                answer=outcome.answer.text,
                model=outcome.model_name,
                clock=runtime.clock,
            )

    answer_id = await asyncio.to_thread(store)
    await respond(
        payload.get("response_url"),
        text=f"Q: {question}\n{outcome.answer.text}",
        blocks=as_dicts(answer_blocks(question, outcome, answer_id)),
        public=True,
    )

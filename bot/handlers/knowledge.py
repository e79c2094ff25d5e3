"""`/lto ask`: answer from the knowledge base with sources, and keep the answer for feedback."""

from __future__ import annotations

from agents.qa import ask
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.answer import answer_blocks, answer_text
from bot.views.text import as_dicts
from core.job_kinds import AskKnowledge
from core.jobs import ClaimedJob


async def handle_ask(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto ask`: the answer and its sources, posted in the channel with feedback buttons."""
    args = job.args(AskKnowledge)
    answered = await ask(runtime, question=args.question, user_id=args.user_id, channel_id=args.channel_id)
    await respond(
        args.response_url,
        text=answer_text(answered.question, answered.outcome, answered.ask_in),
        blocks=as_dicts(answer_blocks(answered.question, answered.outcome, answered.answer_id, answered.ask_in)),
        public=True,
    )

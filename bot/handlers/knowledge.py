"""`/lto ask`: answer from the knowledge base with sources, and keep the answer for feedback."""

from __future__ import annotations

from agents.paused_runs import ModelFailed
from agents.qa import ask
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.answer import answer_blocks, answer_text
from bot.views.text import as_dicts
from core.job_kinds import AskKnowledge
from core.jobs import ClaimedJob
from core.worker import RetryLater

ANSWER_TROUBLE = (
    ":warning: I could not put a checked answer together: the model did not answer properly. "
    "I will try your question again shortly."
)


async def handle_ask(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto ask`: the answer and its sources, posted in the channel with feedback buttons."""
    args = job.args(AskKnowledge)
    try:
        answered = await ask(runtime, question=args.question, user_id=args.user_id, channel_id=args.channel_id)
    except ModelFailed as exc:  # the rep hears it now; the job runs again after a back-off
        await respond(args.response_url, text=ANSWER_TROUBLE)
        raise RetryLater(str(exc)) from exc
    await respond(
        args.response_url,
        text=answer_text(answered.question, answered.outcome, answered.ask_in),
        blocks=as_dicts(answer_blocks(answered.question, answered.outcome, answered.answer_id, answered.ask_in)),
        public=True,
    )

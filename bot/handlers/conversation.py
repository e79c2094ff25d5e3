"""A conversation turn in Slack: the status message, the discovery use case, the reply posted in place.

The status message is posted once (keyed); the turn itself (agents/turns.py) saves everything it
decided in one transaction; then the status message is replaced by the reply and the deal card
refreshed, both harmless to repeat. A re-run after the commit skips the agent and only re-renders.
"""

from __future__ import annotations

import asyncio

from agents import technical_scope, turns
from bot.gateway import Posted
from bot.handlers.steps_said import add_steps_from_words
from bot.runtime import Runtime
from bot.views.deal import CLOSED, card_of, finding_blocks, finding_text
from bot.views.next_steps import proposal_message
from bot.views.reply import notice_blocks, reply_blocks, working_blocks
from bot.views.text import as_dicts
from core.job_kinds import TakeTurn
from core.jobs import ClaimedJob
from core.worker import RetryLater
from deals import next_steps
from deals import service as deals
from deals.inspection import Severity

MODEL_TROUBLE = (
    ":warning: I could not finish that one: the model did not answer properly. "
    "Your message is kept and I will try again shortly."
)


async def refresh_deal_card(runtime: Runtime, deal_id: int) -> None:
    """The card shows the deal as it is now; a finding that appears for the first time is also said in the thread."""
    view = await asyncio.to_thread(
        deals.load_deal_view, runtime.session_factory, deal_id=deal_id, inspection=runtime.inspection()
    )
    channel, ts = view.deal.channel_id, view.deal.thread_ts
    if not (channel and ts):
        return
    text, blocks = card_of(view)
    await runtime.gateway.update_message(channel=channel, ts=ts, text=text, blocks=blocks, deal_id=deal_id)
    for finding in view.findings:
        if finding.severity == Severity.LOW:
            continue
        await runtime.gateway.post_message(  # keyed: once per deal and kind of finding
            key=f"deal:{deal_id}:finding:{finding.code}",
            channel=channel,
            thread_ts=ts,
            text=finding_text(finding),
            blocks=as_dicts(finding_blocks(finding, deal_id)),
            deal_id=deal_id,
        )
    if view.deal.stage not in CLOSED:  # a requirement the quoted edition lacks: sales engineering is asked, once
        await asyncio.to_thread(technical_scope.request_for_findings, runtime, deal_id=deal_id, findings=view.findings)


async def post_proposals(runtime: Runtime, *, deal_id: int, key: str, channel: str, thread_ts: str) -> None:
    """The next steps the agent proposed in a turn, each its own message with "Add as next step" and "Dismiss"
    (keyed: a re-run of the turn's job posts none twice)."""
    proposed = await asyncio.to_thread(next_steps.proposals_made, runtime.session_factory, deal_id=deal_id, key=key)
    today = runtime.clock.now().date()
    for proposal in proposed:
        text, blocks = proposal_message(proposal, today)
        await runtime.gateway.post_message(
            key=f"next_step_proposal:{proposal.id}",
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=as_dicts(blocks),
            deal_id=deal_id,
        )


async def take_turn(runtime: Runtime, turn: TakeTurn) -> None:
    """Run one rep message through discovery and show the reply where the rep wrote."""
    async with runtime.thread_lock(turn.channel_id, turn.thread_ts):
        who = await runtime.who(turn.user_id)  # roles: user groups are cached, so usually no call
        context = await asyncio.to_thread(turns.load_context, runtime, turn, who)
        if context.reply_given is None and context.refusal is not None:
            await _tell_refused(runtime, turn, context.refusal)
            return
        if context.deal_id is not None and context.reply_given is None:
            bot_user = runtime.identity.user_id if runtime.identity else None
            # "follow up with their CISO next Tuesday" is a next step, not discovery: added and confirmed here.
            if await add_steps_from_words(runtime, turn, deal_id=context.deal_id, bot_user_id=bot_user):
                await refresh_deal_card(runtime, context.deal_id)
                return
        status = await _post_working(runtime, turn, context.deal_id)
        reply = context.reply_given or await _reply(runtime, turn, context, status)
        blocks = as_dicts(reply_blocks(reply, model=runtime.settings.model))
        await runtime.gateway.update_message(
            channel=status.channel, ts=status.ts, text=reply, blocks=blocks, deal_id=context.deal_id
        )
        if context.deal_id is not None:
            await post_proposals(
                runtime,
                deal_id=context.deal_id,
                key=turns.proposal_key(turn.channel_id, turn.message_ts),
                channel=turn.channel_id,
                thread_ts=turn.thread_ts,
            )
            await refresh_deal_card(runtime, context.deal_id)


async def _tell_refused(runtime: Runtime, turn: TakeTurn, refusal: str) -> None:
    await runtime.gateway.post_ephemeral(
        key=f"turn:{turn.channel_id}:{turn.message_ts}:refused",
        channel=turn.channel_id,
        user=turn.user_id,
        text=f":no_entry: {refusal} I did not record anything from your message.",
    )


async def _post_working(runtime: Runtime, turn: TakeTurn, deal_id: int | None) -> Posted:
    """The "Working on it…" message the reply replaces: in the thread, or at the top of a DM."""
    in_dm_root = turn.thread_kind == "dm" and turn.thread_ts == turn.channel_id
    return await runtime.gateway.post_message(
        key=f"turn:{turn.channel_id}:{turn.message_ts}:status",
        channel=turn.channel_id,
        thread_ts=None if in_dm_root else turn.thread_ts,
        text="Working on it…",
        blocks=as_dicts(working_blocks()),
        deal_id=deal_id,
    )


async def _reply(runtime: Runtime, turn: TakeTurn, context: turns.ThreadContext, status: Posted) -> str:
    """The turn's reply; when the model fails, the status message says so and the job retries later."""
    try:
        bot_user = runtime.identity.user_id if runtime.identity else None
        return await turns.take_turn(runtime, turn, context, bot_user_id=bot_user)
    except turns.ModelFailed as exc:
        blocks = as_dicts(notice_blocks(MODEL_TROUBLE))
        await runtime.gateway.update_message(channel=status.channel, ts=status.ts, text=MODEL_TROUBLE, blocks=blocks)
        raise RetryLater(str(exc)) from exc


async def handle_turn(runtime: Runtime, job: ClaimedJob) -> None:
    await take_turn(runtime, job.args(TakeTurn))

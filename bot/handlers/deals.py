"""Deal jobs: open a deal thread, show a deal's status, disqualify a deal."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.gateway import Posted
from bot.handlers.conversation import refresh_deal_card, take_turn
from bot.runtime import Runtime
from bot.views.deal import card_of
from bot.views.text import escape
from core.job_kinds import Disqualify, OpenDeal, ShowStatus, TakeTurn
from core.jobs import ClaimedJob
from core.worker import PermanentJobError
from deals import access
from deals import service as deals


async def respond(
    response_url: str | None, *, text: str, blocks: list[dict[str, Any]] | None = None, public: bool = False
) -> None:
    """Answer a slash command or click through its response_url (ephemeral unless `public`)."""
    if not response_url:
        return
    client = AsyncWebhookClient(response_url, timeout=10)
    await client.send(
        text=text,
        blocks=blocks,
        response_type="in_channel" if public else "ephemeral",
        replace_original=False,
    )


async def handle_open(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto new`: open the deal, post its card as the thread root, and run discovery on the notes."""
    args = job.args(OpenDeal)
    opened = await asyncio.to_thread(
        deals.open_new_deal,
        runtime.session_factory,
        company=args.company,
        owner_slack_id=args.user_id,
        origin=f"job:{job.id}",
        clock=runtime.clock,
    )
    channel = await _sales_channel(runtime, args, opened)
    posted = await post_deal_card(runtime, deal_id=opened.deal_id, thread_ts=opened.thread_ts, channel=channel)
    notes = args.notes.strip()
    intro = await runtime.gateway.post_message(
        key=f"deal:{opened.deal_id}:intro",
        channel=posted.channel,
        thread_ts=posted.ts,
        text=_opening(args.user_id, opened, notes),
        deal_id=opened.deal_id,
    )
    await _point_to_thread(runtime, args, opened, posted)
    if notes:
        # The free text of `/lto new` is the first discovery message of the thread.
        await take_turn(
            runtime,
            TakeTurn(
                channel_id=posted.channel,
                thread_ts=posted.ts,
                message_ts=intro.ts,
                user_id=args.user_id,
                text=notes,
                thread_kind="deal",
            ),
        )


async def _sales_channel(runtime: Runtime, args: OpenDeal, opened: deals.OpenedDeal) -> str:
    """The sales channel's id; when the bot cannot post there, the rep is told what to do and the job stops."""
    try:
        return await runtime.channel_id(runtime.settings.sales_channel)
    except LookupError:
        name = runtime.settings.sales_channel
        await respond(
            args.response_url,
            text=f":warning: Deal #{opened.deal_id} for *{escape(opened.company)}* is saved, but I can't post in "
            f"`#{name}`: invite me there (`/invite @lto`) or ask an admin to check LTO_SALES_CHANNEL, then run "
            f"`/lto status #{opened.deal_id}`.",
        )
        raise PermanentJobError(f"sales channel {name!r} not found") from None


async def post_deal_card(runtime: Runtime, *, deal_id: int, thread_ts: str | None, channel: str) -> Posted:
    """Post the deal card (once) and make it the root of the deal's thread (unless it has one already)."""
    view = await asyncio.to_thread(
        deals.load_deal_view, runtime.session_factory, deal_id=deal_id, inspection=runtime.inspection()
    )
    text, blocks = card_of(view)
    posted = await runtime.gateway.post_message(
        key=f"deal:{deal_id}:card", channel=channel, text=text, blocks=blocks, deal_id=deal_id
    )
    if thread_ts is None:
        await asyncio.to_thread(
            deals.attach_deal_thread,
            runtime.session_factory,
            deal_id=deal_id,
            channel_id=posted.channel,
            thread_ts=posted.ts,
            clock=runtime.clock,
        )
    return posted


async def _point_to_thread(runtime: Runtime, args: OpenDeal, opened: deals.OpenedDeal, posted: Posted) -> None:
    """Tell the rep the deal is open, with a link to its thread."""
    permalink = await runtime.client.chat_getPermalink(channel=posted.channel, message_ts=posted.ts)
    await respond(
        args.response_url,
        text=f":white_check_mark: Deal #{opened.deal_id} for *{escape(opened.company)}* is open: "
        f"<{permalink['permalink']}|go to the thread>.",
    )


def _opening(user_id: str, opened: deals.OpenedDeal, notes: str) -> str:
    """The first message in the thread: who opened the deal, and their notes or an invitation to write."""
    opening = f"<@{user_id}> opened deal #{opened.deal_id} for *{escape(opened.company)}*."
    if notes:
        return opening + f"\n>{escape(notes)}"
    return opening + " Tell me what you know so far: reply in this thread."


async def handle_status(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto status [deal]`: the deal card, or the person's latest deals, only to them."""
    args = job.args(ShowStatus)
    who = await runtime.who(args.user_id)
    try:
        text, blocks = await _status(runtime, who, args.deal)
    except (deals.DealNotFound, access.Forbidden) as exc:
        await respond(args.response_url, text=escape(str(exc)))  # it may quote what the person typed
        return
    await respond(args.response_url, text=text, blocks=blocks or None)


async def _status(runtime: Runtime, who: access.Identity, reference: str | None) -> tuple[str, list[dict[str, Any]]]:
    """The deal's card, or without a deal the person's latest deals as a list."""
    if reference:
        view = await asyncio.to_thread(
            deals.deal_status,
            runtime.session_factory,
            who=who,
            reference=reference,
            inspection=runtime.inspection(),
        )
        return card_of(view)
    latest = await asyncio.to_thread(deals.latest_deals_of, runtime.session_factory, owner_slack_id=who.user_id)
    if not latest:
        return "You have no deals yet. Open one with `/lto new <company>`.", []
    lines = [f"• *#{d.deal_id} {escape(d.company)}* — {d.stage}, score {d.score}/100" for d in latest]
    return "*Your latest deals*\n" + "\n".join(lines) + "\nUse `/lto status #<number>` for a card.", []


async def handle_disqualify(runtime: Runtime, job: ClaimedJob) -> None:
    """The disqualify modal's submission: the deal is disqualified, its card and thread say why."""
    args = job.args(Disqualify)
    who = await runtime.who(args.user_id)
    try:
        thread = await asyncio.to_thread(
            deals.disqualify_deal,
            runtime.session_factory,
            who=who,
            deal_id=args.deal_id,
            reason=args.reason,
            clock=runtime.clock,
        )
    except (deals.DealNotFound, access.Forbidden) as exc:
        # A form has no response URL: the person learns it in a DM, once, and the job fails once.
        dm = await runtime.client.conversations_open(users=args.user_id)
        await runtime.gateway.post_message(
            key=f"job:{job.id}:refused",
            channel=dm["channel"]["id"],
            text=f":no_entry: I did not disqualify it: {escape(str(exc))}",
        )
        raise PermanentJobError(str(exc)) from exc
    await refresh_deal_card(runtime, args.deal_id)
    if thread.channel_id and thread.thread_ts:
        await runtime.gateway.post_message(
            key=f"deal:{args.deal_id}:disqualified",
            channel=thread.channel_id,
            thread_ts=thread.thread_ts,
            text=f":no_entry: <@{args.user_id}> disqualified *{escape(thread.company)}*: {escape(args.reason)}",
            deal_id=args.deal_id,
        )

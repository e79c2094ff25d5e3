"""Deal jobs: open a deal thread, show a deal's status, disqualify a deal."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.handlers.conversation import TurnInput, refresh_deal_card, take_turn
from bot.runtime import Runtime
from bot.views.deal import deal_card, deal_card_text
from bot.views.text import as_dicts, escape
from core import access, deals
from core.jobs import ClaimedJob
from core.worker import PermanentJobError


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
    payload = job.payload
    user_id = payload["user_id"]

    def create() -> tuple[int, str | None, str]:
        with runtime.session_factory() as session, session.begin():
            deal = deals.open_deal(
                session,
                company=payload["company"],
                owner_slack_id=user_id,
                clock=runtime.clock,
                origin=f"job:{job.id}",
            )
            return deal.id, deal.thread_ts, deal.account.name

    deal_id, thread_ts, company = await asyncio.to_thread(create)
    try:
        channel = await runtime.channel_id(runtime.settings.sales_channel)
    except LookupError:
        name = runtime.settings.sales_channel
        await respond(
            payload.get("response_url"),
            text=f":warning: Deal #{deal_id} for *{escape(company)}* is saved, but I can't post in `#{name}`: "
            f"invite me there (`/invite @lto`) or ask an admin to check LTO_SALES_CHANNEL, then run "
            f"`/lto status #{deal_id}`.",
        )
        raise PermanentJobError(f"sales channel {name!r} not found") from None

    def card() -> tuple[str, list[dict[str, Any]]]:
        with runtime.session_factory() as session:
            deal = deals.get_deal(session, deal_id)
            assessment = deals.assessment_of(deal)
            return deal_card_text(deal, assessment), as_dicts(deal_card(deal, deals.qualification_of(deal), assessment))

    text, blocks = await asyncio.to_thread(card)
    posted = await runtime.gateway.post_message(
        key=f"deal:{deal_id}:card", channel=channel, text=text, blocks=blocks, deal_id=deal_id
    )

    def attach() -> None:
        with runtime.session_factory() as session, session.begin():
            deal = deals.get_deal(session, deal_id)
            deals.attach_thread(session, deal, channel_id=posted.channel, thread_ts=posted.ts, clock=runtime.clock)

    if thread_ts is None:
        await asyncio.to_thread(attach)
    notes = (payload.get("notes") or "").strip()
    opening = f"<@{user_id}> opened deal #{deal_id} for *{escape(company)}*."
    if notes:
        opening += f"\n>{escape(notes)}"
    else:
        opening += " Tell me what you know so far: reply in this thread."
    intro = await runtime.gateway.post_message(
        key=f"deal:{deal_id}:intro",
        channel=posted.channel,
        thread_ts=posted.ts,
        text=opening,
        deal_id=deal_id,
    )
    permalink = await runtime.client.chat_getPermalink(channel=posted.channel, message_ts=posted.ts)
    await respond(
        payload.get("response_url"),
        text=f":white_check_mark: Deal #{deal_id} for *{escape(company)}* is open: "
        f"<{permalink['permalink']}|go to the thread>.",
    )
    if notes:
        # The free text of `/lto new` is the first discovery message of the thread.
        await take_turn(
            runtime,
            TurnInput(
                channel_id=posted.channel,
                thread_ts=posted.ts,
                message_ts=intro.ts,
                user_id=user_id,
                text=notes,
                kind="deal",
            ),
        )


async def handle_status(runtime: Runtime, job: ClaimedJob) -> None:
    payload = job.payload
    reference = payload.get("deal")
    who = await runtime.who(payload["user_id"])

    def load() -> tuple[str, list[dict[str, Any]]]:
        with runtime.session_factory() as session:
            if reference:
                deal = deals.find_deal(session, reference=reference, user_id=payload["user_id"])
                access.check(session, who, access.Action.READ_DEAL, deal)
                assessment = deals.assessment_of(deal)
                return deal_card_text(deal, assessment), as_dicts(
                    deal_card(deal, deals.qualification_of(deal), assessment)
                )
            latest = deals.latest_deals(session, owner_slack_id=payload["user_id"])
            if not latest:
                return "You have no deals yet. Open one with `/lto new <company>`.", []
            lines = [f"• *#{d.id} {escape(d.account.name)}* — {d.stage}, score {d.score}/100" for d in latest]
            text = "*Your latest deals*\n" + "\n".join(lines) + "\nUse `/lto status #<number>` for a card."
            return text, []

    try:
        text, blocks = await asyncio.to_thread(load)
    except (deals.DealNotFound, access.Forbidden) as exc:
        await respond(payload.get("response_url"), text=str(exc))
        return
    await respond(payload.get("response_url"), text=text, blocks=blocks or None)


async def handle_disqualify(runtime: Runtime, job: ClaimedJob) -> None:
    payload = job.payload
    who = await runtime.who(payload["user_id"])

    def apply() -> tuple[str | None, str | None, str]:
        with runtime.session_factory() as session, session.begin():
            try:
                deal = deals.get_deal(session, payload["deal_id"])
            except deals.DealNotFound as exc:
                raise PermanentJobError(str(exc)) from exc
            try:
                access.check(session, who, access.Action.CHANGE_DEAL, deal)
            except access.Forbidden as exc:
                raise PermanentJobError(str(exc)) from exc
            deals.disqualify(session, deal, reason=payload["reason"], actor_id=payload["user_id"], clock=runtime.clock)
            return deal.channel_id, deal.thread_ts, deal.account.name

    channel, thread_ts, company = await asyncio.to_thread(apply)
    await refresh_deal_card(runtime, payload["deal_id"])
    if channel and thread_ts:
        await runtime.gateway.post_message(
            key=f"deal:{payload['deal_id']}:disqualified",
            channel=channel,
            thread_ts=thread_ts,
            text=f":no_entry: <@{payload['user_id']}> disqualified *{escape(company)}*: {escape(payload['reason'])}",
            deal_id=payload["deal_id"],
        )

"""Sharing deals and admin commands: who may do them is decided by `deals/access.py`."""

from __future__ import annotations

import asyncio

from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.text import escape
from core.job_kinds import AdminCommand, ShareDeal
from core.jobs import ClaimedJob
from deals import access
from deals import service as deals


async def handle_share(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto share <deal> @person`: the owner (or a manager) lets another rep see and work on a deal."""
    args = job.args(ShareDeal)
    who = await runtime.who(args.user_id)
    try:
        shared = await asyncio.to_thread(
            deals.share_deal,
            runtime.session_factory,
            clock=runtime.clock,
            who=who,
            deal_ref=args.deal,
            share_with=args.share_with,
        )
    except (deals.DealNotFound, access.Forbidden) as exc:
        await respond(args.response_url, text=f":no_entry: {escape(str(exc))}")  # it may quote what they typed
        return
    if shared.already:
        await respond(args.response_url, text=f"Deal #{shared.deal_id} is already shared with them.")
        return
    await respond(args.response_url, text=f":handshake: Deal #{shared.deal_id} is shared.")
    if shared.channel_id and shared.thread_ts:
        await runtime.gateway.post_message(
            key=f"job:{job.id}:shared",
            channel=shared.channel_id,
            thread_ts=shared.thread_ts,
            text=f":handshake: <@{args.user_id}> shared this deal with <@{args.share_with}>.",
            deal_id=shared.deal_id,
        )


async def handle_admin(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto admin reload|replay`: admins only; every use is audited, refused or not."""
    args = job.args(AdminCommand)
    who = await runtime.who(args.user_id)
    try:
        outcome = await asyncio.to_thread(
            access.run_admin_command,
            runtime.session_factory,
            clock=runtime.clock,
            who=who,
            action=args.action,
            event_ids=args.event_ids,
            reload=runtime.reload_governed,
        )
    except ValueError as exc:  # a broken governed file (catalog, policy, roles): the running versions stay
        await respond(args.response_url, text=f":warning: Nothing changed: {exc}")
        return
    await respond(args.response_url, text=admin_reply(outcome))


def admin_reply(outcome: access.AdminOutcome) -> str:
    """What the admin reads: the refusal, the versions now running, or the events queued again."""
    if outcome.refused is not None:
        return f":no_entry: {outcome.refused}"
    if outcome.action == "reload":
        return "Reloaded on this replica: " + ", ".join(outcome.versions) + "."
    replayed = ", ".join(map(str, outcome.replayed)) or "none"
    others = " (the others were not found or already delivered)." if len(outcome.replayed) < len(outcome.asked) else "."
    return f"Queued for delivery again: {replayed}{others}"

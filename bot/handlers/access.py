"""Sharing deals and admin commands: who may do them is decided by `core/access.py`."""

from __future__ import annotations

import asyncio

from bot.handlers.deals import respond
from bot.runtime import Runtime
from core import access, audit, deals, outbox
from core.jobs import ClaimedJob
from core.models import DealShare


async def handle_share(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto share <deal> @person`: the owner (or a manager) lets another rep see and work on a deal."""
    payload = job.payload
    who = await runtime.who(payload["user_id"])

    def share() -> tuple[int, str | None, str | None, bool]:
        with runtime.session_factory() as session, session.begin():
            deal = deals.find_deal(session, reference=payload["deal"], user_id=who.user_id)
            access.check(session, who, access.Action.CHANGE_DEAL, deal)
            already = payload["share_with"] in access.shared_with(session, deal.id)
            if not already and payload["share_with"] != deal.owner_slack_id:
                session.add(
                    DealShare(
                        deal_id=deal.id,
                        user_id=payload["share_with"],
                        shared_by=who.user_id,
                        created_at=runtime.clock.now(),
                    )
                )
                audit.record(
                    session,
                    clock=runtime.clock,
                    actor_type="user",
                    actor_id=who.user_id,
                    action="deal.share",
                    subject=f"deal:{deal.id}",
                    deal_id=deal.id,
                    inputs={"with": payload["share_with"]},
                    outcome="shared",
                )
            return deal.id, deal.channel_id, deal.thread_ts, already

    try:
        deal_id, channel, thread_ts, already = await asyncio.to_thread(share)
    except (deals.DealNotFound, access.Forbidden) as exc:
        await respond(payload.get("response_url"), text=f":no_entry: {exc}")
        return
    if already:
        await respond(payload.get("response_url"), text=f"Deal #{deal_id} is already shared with them.")
        return
    await respond(payload.get("response_url"), text=f":handshake: Deal #{deal_id} is shared.")
    if channel and thread_ts:
        await runtime.gateway.post_message(
            key=f"job:{job.id}:shared",
            channel=channel,
            thread_ts=thread_ts,
            text=f":handshake: <@{payload['user_id']}> shared this deal with <@{payload['share_with']}>.",
            deal_id=deal_id,
        )


async def handle_admin(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto admin reload|replay`: admins only; every use is audited, refused or not."""
    payload = job.payload
    who = await runtime.who(payload["user_id"])

    def run() -> str:
        with runtime.session_factory() as session, session.begin():
            try:
                access.check(session, who, access.Action.ADMIN)
            except access.Forbidden as exc:
                audit.record(
                    session,
                    clock=runtime.clock,
                    actor_type="user",
                    actor_id=who.user_id,
                    action=f"admin.{payload['action']}",
                    outcome="forbidden",
                )
                return f":no_entry: {exc}"  # the refusal is recorded: this transaction commits
            if payload["action"] == "reload":
                versions = runtime.reload_governed()
                outcome, said = "reloaded", "Reloaded on this replica: " + ", ".join(versions) + "."
            else:
                replayed = [i for i in payload["event_ids"] if outbox.replay(session, i, clock=runtime.clock)]
                outcome = f"replayed:{len(replayed)}"
                said = f"Queued for delivery again: {', '.join(map(str, replayed)) or 'none'}" + (
                    " (the others were not found or already delivered)."
                    if len(replayed) < len(payload["event_ids"])
                    else "."
                )
            audit.record(
                session,
                clock=runtime.clock,
                actor_type="user",
                actor_id=who.user_id,
                action=f"admin.{payload['action']}",
                inputs={"event_ids": payload.get("event_ids", [])},
                outcome=outcome,
            )
            return said

    try:
        said = await asyncio.to_thread(run)
    except ValueError as exc:  # a broken governed file (catalog, policy, roles): the running versions stay
        said = f":warning: Nothing changed: {exc}"
    await respond(payload.get("response_url"), text=said)

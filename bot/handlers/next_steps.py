"""Next-step jobs: a finding's step accepted by a click, steps written in the deal thread, Done / Snooze /
Reassign on a nudge, and sending a nudge once quiet hours allow where its recipient is."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, tzinfo
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.handlers.conversation import refresh_deal_card
from bot.handlers.deals import respond
from bot.handlers.steps_said import timezone_of
from bot.runtime import Runtime
from bot.views.next_steps import (
    added_text,
    changed_message,
    nudge_message,
    proposal_decided_message,
    stale_text,
)
from bot.views.text import as_dicts, escape
from core.job_kinds import AcceptFinding, ChangeStep, DecideProposal, SendFollowUp
from core.jobs import ClaimedJob
from deals import access, follow_ups, next_steps
from deals.follow_up_rules import send_after
from deals.models import FollowUpKind
from deals.service import DealNotFound

logger = logging.getLogger(__name__)

REFUSED = (
    DealNotFound,
    access.Forbidden,
    next_steps.StepNotFound,
    next_steps.StepChanged,
    next_steps.FindingGone,
    next_steps.ProposalGone,
)


async def handle_accept_finding(runtime: Runtime, job: ClaimedJob) -> None:
    """A click on a finding's "Add as next step": the step is added for the deal's owner; thread and card show it."""
    args = job.args(AcceptFinding)
    who = await runtime.who(args.user_id)
    try:
        added = await asyncio.to_thread(
            next_steps.accept_finding,
            runtime.session_factory,
            who=who,
            deal_id=args.deal_id,
            code=args.code,
            origin=f"job:{job.id}",
            rules=runtime.follow_up_rules(),
            inspection=runtime.inspection(),
            clock=runtime.clock,
        )
    except REFUSED as exc:
        await respond(args.response_url, text=f":no_entry: {escape(str(exc))}")
        return
    item = added.steps[0]
    thread = added.thread
    if not item.added:
        await respond(args.response_url, text=added_text(added, runtime.clock.now().date()))
        return
    if thread.channel_id and thread.thread_ts:
        await runtime.gateway.post_message(
            key=f"next_step:{item.step.id}:added",
            channel=thread.channel_id,
            thread_ts=thread.thread_ts,
            text=added_text(added, runtime.clock.now().date()) + f" · accepted by <@{args.user_id}>",
            deal_id=thread.deal_id,
        )
    await refresh_deal_card(runtime, thread.deal_id)


async def handle_proposal_decision(runtime: Runtime, job: ClaimedJob) -> None:
    """ "Add as next step" on a proposed step adds it once (the proposal is read back, never the button's text);
    "Dismiss" sets it aside. The proposal then says what became of it, and an added step joins the card."""
    args = job.args(DecideProposal)
    who = await runtime.who(args.user_id)
    try:
        if args.decision == "add":
            await _add_proposed(runtime, args, who)
        else:
            await _dismiss_proposed(runtime, args, who)
    except REFUSED as exc:
        await respond(args.response_url, text=f":no_entry: {escape(str(exc))}")


async def _dismiss_proposed(runtime: Runtime, args: DecideProposal, who: access.Identity) -> None:
    proposal, thread = await asyncio.to_thread(
        next_steps.dismiss_proposal,
        runtime.session_factory,
        who=who,
        proposal_id=args.proposal_id,
        clock=runtime.clock,
    )
    said = f":wastebasket: Dismissed by <@{args.user_id}>"
    await _settle_proposal(runtime, args, proposal, said, deal_id=thread.deal_id)


async def _add_proposed(runtime: Runtime, args: DecideProposal, who: access.Identity) -> None:
    today = runtime.clock.now().date()
    added = await asyncio.to_thread(
        next_steps.accept_proposal,
        runtime.session_factory,
        who=who,
        proposal_id=args.proposal_id,
        rules=runtime.follow_up_rules(),
        today=today,
        clock=runtime.clock,
    )
    item, thread = added.steps[0], added.thread
    step = item.step
    if not item.added:
        await respond(args.response_url, text=added_text(added, today))
        return
    proposal = next_steps.ProposedStep(
        id=args.proposal_id,
        deal_id=thread.deal_id,
        title=step.title,
        owner_slack_id=step.owner_slack_id,
        due=step.due,
        when_said=None,
    )
    # The proposal itself says it was added (the thread needs no second message); the card lists the step.
    said = f":pushpin: Added as a next step by <@{step.created_by}>"
    await _settle_proposal(runtime, args, proposal, said, deal_id=thread.deal_id)
    await refresh_deal_card(runtime, thread.deal_id)


async def _settle_proposal(
    runtime: Runtime, args: DecideProposal, proposal: next_steps.ProposedStep, said: str, *, deal_id: int
) -> None:
    """The proposal's message, its buttons replaced by what became of it."""
    if not (args.message_channel and args.message_ts):
        return
    text, blocks = proposal_decided_message(proposal, runtime.clock.now().date(), said=said)
    await runtime.gateway.update_message(
        channel=args.message_channel, ts=args.message_ts, text=text, blocks=as_dicts(blocks), deal_id=deal_id
    )


async def handle_change_step(runtime: Runtime, job: ClaimedJob) -> None:
    """Done, Snooze or Reassign on a nudge: applied once if the step is still as the person saw it; the nudge then
    says what was done, the card follows, and a new owner is told in the thread."""
    args = job.args(ChangeStep)
    who = await runtime.who(args.user_id)
    try:
        if args.change == "reassign":
            await _check_assignable(runtime, args.new_owner)
        change = await asyncio.to_thread(_apply, runtime, args, who)
    except REFUSED as exc:
        await _refuse(runtime, job, args, exc)
        return
    today = runtime.clock.now().date()
    if args.message_channel and args.message_ts:
        text, blocks = changed_message(change, what=args.change, by=args.user_id, today=today)
        await runtime.gateway.update_message(
            channel=args.message_channel,
            ts=args.message_ts,
            text=text,
            blocks=as_dicts(blocks),
            deal_id=change.thread.deal_id,
        )
    thread = change.thread
    if args.change == "reassign" and thread.channel_id and thread.thread_ts:
        await runtime.gateway.post_message(
            key=f"job:{job.id}:reassigned",
            channel=thread.channel_id,
            thread_ts=thread.thread_ts,
            text=f":arrow_right_hook: <@{change.step.owner_slack_id}>, <@{args.user_id}> gave you a next step: "
            f"*{escape(change.step.title)}*, due {change.step.due.isoformat()}.",
            deal_id=thread.deal_id,
        )
    await refresh_deal_card(runtime, thread.deal_id)


def _apply(runtime: Runtime, args: ChangeStep, who: access.Identity) -> next_steps.StepChange:
    factory, clock = runtime.session_factory, runtime.clock
    if args.change == "done":
        return next_steps.complete_step(factory, who=who, step_id=args.step_id, clock=clock)
    if args.change == "snooze":
        assert args.seen_due is not None and args.days is not None
        return next_steps.snooze_step(
            factory,
            who=who,
            step_id=args.step_id,
            seen_due=args.seen_due,
            days=args.days,
            today=clock.now().date(),
            clock=clock,
        )
    assert args.seen_owner is not None and args.new_owner is not None
    return next_steps.reassign_step(
        factory, who=who, step_id=args.step_id, seen_owner=args.seen_owner, new_owner=args.new_owner, clock=clock
    )


async def _check_assignable(runtime: Runtime, user_id: str | None) -> None:
    """A step goes to a person of this workspace: not a bot, not a deactivated account."""
    try:
        response = await runtime.client.users_info(user=user_id or "")
    except SlackApiError:
        raise access.Forbidden("I can't find that person in this workspace; the step stays as it is.") from None
    user: dict[str, Any] = response.get("user") or {}
    if user.get("is_bot") or user.get("deleted"):
        raise access.Forbidden("A next step goes to a person (not a bot or a deactivated account); nothing changed.")


async def _refuse(runtime: Runtime, job: ClaimedJob, args: ChangeStep, refused: Exception) -> None:
    """Tell only the person who clicked why nothing changed: through the click's response URL, or (a modal has
    none) beside the nudge they acted on."""
    if isinstance(refused, next_steps.StepChanged):
        reason = stale_text(refused.now, runtime.clock.now().date())
    else:
        reason = escape(str(refused))
    text = f":no_entry: I changed nothing: {reason}"
    if args.response_url:
        await respond(args.response_url, text=text)
    elif args.message_channel:
        await runtime.gateway.post_ephemeral(
            key=f"job:{job.id}:refused", channel=args.message_channel, user=args.user_id, text=text
        )


async def _deferred_for_quiet_hours(runtime: Runtime, nudge: follow_ups.Nudge, now: datetime, where: tzinfo) -> bool:
    """During the recipient's quiet hours (or before the step is due) the nudge waits: a job queued for then."""
    not_before = nudge.step.due if nudge.step is not None else None
    until = send_after(now, where, runtime.follow_up_rules().quiet_hours, not_before=not_before)
    if until is None:
        return False
    await asyncio.to_thread(
        follow_ups.defer, runtime.session_factory, follow_up_id=nudge.follow_up_id, until=until, clock=runtime.clock
    )
    return True


async def handle_send_follow_up(runtime: Runtime, job: ClaimedJob) -> None:
    """Post a claimed nudge in the deal thread, unless it no longer applies; during the recipient's quiet hours it
    waits (a job queued for when they end). Posted once per nudge, however often the job runs."""
    args = job.args(SendFollowUp)
    nudge = await asyncio.to_thread(
        follow_ups.nudge_to_send, runtime.session_factory, follow_up_id=args.follow_up_id, clock=runtime.clock
    )
    if isinstance(nudge, follow_ups.Skip):
        logger.info("follow-up %s not sent: %s", args.follow_up_id, nudge.reason)
        return
    people = [r for r in nudge.recipients if not r.startswith("S")]
    where = await timezone_of(runtime, people[0] if people else nudge.owner_slack_id)
    now = runtime.clock.now()
    if nudge.sent_ts is None and await _deferred_for_quiet_hours(runtime, nudge, now, where):
        return
    text, blocks = nudge_message(nudge, now.astimezone(where).date())
    posted = await runtime.gateway.post_message(
        key=f"follow_up:{nudge.follow_up_id}",
        channel=nudge.channel_id,
        thread_ts=nudge.thread_ts,
        text=text,
        blocks=as_dicts(blocks),
        deal_id=nudge.deal_id,
    )
    await asyncio.to_thread(
        follow_ups.mark_sent,
        runtime.session_factory,
        follow_up_id=nudge.follow_up_id,
        channel_id=posted.channel,
        ts=posted.ts,
        clock=runtime.clock,
    )
    if nudge.kind == FollowUpKind.AT_RISK:
        await refresh_deal_card(runtime, nudge.deal_id)  # the card says it is at risk

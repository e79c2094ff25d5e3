"""POC plan jobs: `/lto poc` drafts or shows the plan in the deal thread, "Send for SE review" sends it once, the
decided review is told in the thread (agreed with its dated steps, or sent back), and the outcome modal's
submission is recorded once and told. Each is safe to run again: the use cases recognise their own earlier work,
and every post is keyed."""

from __future__ import annotations

import asyncio

from bot.handlers.conversation import refresh_deal_card
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.poc import agreed_text, not_feasible_text, outcome_text, plan_message, sent_text
from bot.views.text import as_dicts, escape
from core.job_kinds import AnnouncePoc, RecordPocOutcome, SendPocForReview, ShowPoc
from core.jobs import ClaimedJob
from core.worker import PermanentJobError
from deals import access, poc_service
from deals.poc_models import CriterionResult
from deals.service import DealNotFound

REFUSED = (DealNotFound, access.Forbidden, poc_service.PocError)


async def handle_show(runtime: Runtime, job: ClaimedJob) -> None:
    """`/lto poc <deal>`: the plan, drafted from the record if there is none, posted in the deal thread."""
    args = job.args(ShowPoc)
    who = await runtime.who(args.user_id)
    try:
        view = await asyncio.to_thread(
            poc_service.draft_or_show,
            runtime.session_factory,
            who=who,
            reference=args.deal,
            today=runtime.clock.now().date(),
            calendar=runtime.follow_up_rules().working_days,
            clock=runtime.clock,
        )
    except REFUSED as exc:
        await respond(args.response_url, text=f":no_entry: {escape(str(exc))}")
        return
    text, blocks = plan_message(view)
    thread = view.thread
    if not (thread.channel_id and thread.thread_ts):
        await respond(args.response_url, text=text, blocks=as_dicts(blocks))
        return
    await runtime.gateway.post_message(
        key=f"job:{job.id}:poc",
        channel=thread.channel_id,
        thread_ts=thread.thread_ts,
        text=text,
        blocks=as_dicts(blocks),
        deal_id=view.deal_id,
    )
    said = "drafted" if view.drafted else "posted"
    await respond(args.response_url, text=f":memo: I {said} the POC plan for deal #{view.deal_id} in its thread.")


async def handle_send_for_review(runtime: Runtime, job: ClaimedJob) -> None:
    """ "Send for SE review": the plan goes to sales engineering once; the plan message and the thread say so."""
    args = job.args(SendPocForReview)
    who = await runtime.who(args.user_id)
    try:
        view = await asyncio.to_thread(
            poc_service.send_for_review,
            runtime.session_factory,
            who=who,
            plan_id=args.plan_id,
            seen_version=args.version,
            clock=runtime.clock,
        )
    except REFUSED as exc:
        await respond(args.response_url, text=f":no_entry: {escape(str(exc))}")
        return
    if args.message_channel and args.message_ts:
        text, blocks = plan_message(view)
        await runtime.gateway.update_message(
            channel=args.message_channel, ts=args.message_ts, text=text, blocks=as_dicts(blocks), deal_id=view.deal_id
        )
    thread = view.thread
    if thread.channel_id and thread.thread_ts:
        await runtime.gateway.post_message(
            key=f"poc:{view.plan_id}:review:{view.review_id}:sent",
            channel=thread.channel_id,
            thread_ts=thread.thread_ts,
            text=sent_text(view, args.user_id),
            deal_id=view.deal_id,
        )


async def handle_announce(runtime: Runtime, job: ClaimedJob) -> None:
    """A plan's review was decided: the thread hears it is agreed (with its steps) or sent back to the rep."""
    args = job.args(AnnouncePoc)
    told = await asyncio.to_thread(
        poc_service.announcement, runtime.session_factory, plan_id=args.plan_id, review_id=args.review_id
    )
    view, thread = told.view, told.view.thread
    if args.event == "agreed":
        text = agreed_text(view, told.steps, told.decided_by, told.conditions)
    else:
        text = not_feasible_text(view, told.owner, told.decided_by, told.notes)
    if thread.channel_id and thread.thread_ts:
        await runtime.gateway.post_message(
            key=f"poc:{args.plan_id}:review:{args.review_id}:{args.event}",
            channel=thread.channel_id,
            thread_ts=thread.thread_ts,
            text=text,
            deal_id=view.deal_id,
        )
        if args.event == "agreed":
            plan_text, blocks = plan_message(view)
            await runtime.gateway.post_message(
                key=f"poc:{args.plan_id}:review:{args.review_id}:plan",
                channel=thread.channel_id,
                thread_ts=thread.thread_ts,
                text=plan_text,
                blocks=as_dicts(blocks),
                deal_id=view.deal_id,
            )
    await refresh_deal_card(runtime, view.deal_id)


async def handle_outcome(runtime: Runtime, job: ClaimedJob) -> None:
    """The outcome modal's submission: recorded once; the thread hears passed (and the proposal step) or what
    failed (and the deal is flagged); the card follows. A second submission is told it was recorded already."""
    args = job.args(RecordPocOutcome)
    who = await runtime.who(args.user_id)
    results = [CriterionResult.model_validate(result.model_dump()) for result in args.results]
    try:
        recorded = await asyncio.to_thread(
            poc_service.record_outcome,
            runtime.session_factory,
            who=who,
            plan_id=args.plan_id,
            results=results,
            calendar=runtime.follow_up_rules().working_days,
            clock=runtime.clock,
            origin=f"job:{job.id}",
        )
    except REFUSED as exc:
        dm = await runtime.client.conversations_open(users=args.user_id)
        await runtime.gateway.post_message(
            key=f"job:{job.id}:refused", channel=dm["channel"]["id"], text=f":no_entry: {escape(str(exc))}"
        )
        raise PermanentJobError(str(exc)) from exc
    view, thread = recorded.view, recorded.view.thread
    if thread.channel_id and thread.thread_ts:
        await runtime.gateway.post_message(
            key=f"poc:{view.plan_id}:outcome",
            channel=thread.channel_id,
            thread_ts=thread.thread_ts,
            text=outcome_text(recorded, args.user_id),
            deal_id=view.deal_id,
        )
    await refresh_deal_card(runtime, view.deal_id)

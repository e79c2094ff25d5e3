"""Technical reviews in Slack: ask for one, post its card, turn the edit modal into exactly one decision, and
tell the card, the deal's thread, the deal card and the people the SLA calls on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agents import technical_scope
from approvals import reviews
from approvals.review_models import ReviewStatus, TechnicalReview
from bot.handlers.conversation import refresh_deal_card
from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.review import decided_message, mentions, review_card, review_text
from bot.views.text import as_dicts, escape
from core.job_kinds import DecideReview, NotifyReview, PostReviewCard, RequestReview, ReviewDecided
from core.jobs import ClaimedJob
from deals import access
from deals import service as deals


@dataclass(frozen=True)
class ReviewCard:
    review: TechnicalReview
    company: str
    text: str
    blocks: list[dict[str, Any]]
    deal_channel: str | None
    deal_thread: str | None


def deadline_of(runtime: Runtime, review: TechnicalReview) -> datetime:
    return review.created_at + runtime.review_policy().sla.expires_after


def load_card(runtime: Runtime, review_id: int) -> ReviewCard:
    """The review as its card shows it now, and where its deal's thread is."""
    with runtime.session_factory() as session:
        review = reviews.get_review(session, review_id)
        deal = deals.get_deal(session, review.deal_id)
        company = deal.account.name
        blocks = review_card(
            review,
            company=company,
            deal_id=deal.id,
            reviewers=runtime.review_policy().reviewers,
            deadline=deadline_of(runtime, review),
        )
        return ReviewCard(
            review=review,
            company=company,
            text=review_text(company, review),
            blocks=as_dicts(blocks),
            deal_channel=deal.channel_id,
            deal_thread=deal.thread_ts,
        )


async def handle_request(runtime: Runtime, job: ClaimedJob) -> None:
    """ "Request SE review" or `/lto review <deal>`: the scope drafted and sent; the person is told where."""
    ask = job.args(RequestReview)
    who = await runtime.who(ask.user_id)
    try:
        requested = await asyncio.to_thread(
            technical_scope.request_scope_review, runtime, deal_ref=ask.deal, who=who, origin=f"job:{job.id}"
        )
    except (deals.DealNotFound, access.Forbidden) as exc:
        await respond(ask.response_url, text=f":no_entry: {escape(str(exc))}")
        return
    channel = runtime.review_policy().channel
    if requested.new:
        said = (
            f":mag: Sent the technical scope of *{escape(requested.company)}* to sales engineering in "
            f"#{escape(channel)} (review #{requested.review_id})."
        )
    else:
        said = (
            f"A technical review of *{escape(requested.company)}* is already {requested.status} "
            f"(review #{requested.review_id}); I did not ask again."
        )
    await respond(ask.response_url, text=said)


async def post_card(runtime: Runtime, review_id: int) -> None:
    """Post the review's card once, then keep it up to date in place; the deal's thread hears it was asked."""
    card = await asyncio.to_thread(load_card, runtime, review_id)
    review = card.review
    if review.card_channel and review.card_ts:
        await runtime.gateway.update_message(
            channel=review.card_channel, ts=review.card_ts, text=card.text, blocks=card.blocks
        )
        return
    channel = await runtime.channel_id(runtime.review_policy().channel)
    posted = await runtime.gateway.post_message(
        key=f"review:{review_id}:card", channel=channel, text=card.text, blocks=card.blocks
    )

    def remember() -> None:
        with runtime.session_factory() as session, session.begin():
            row = session.get_one(TechnicalReview, review_id)
            row.card_channel, row.card_ts = posted.channel, posted.ts

    await asyncio.to_thread(remember)
    if review.status != ReviewStatus.PENDING:  # claimed or decided before the card was first posted
        fresh = await asyncio.to_thread(load_card, runtime, review_id)
        await runtime.gateway.update_message(channel=posted.channel, ts=posted.ts, text=fresh.text, blocks=fresh.blocks)
    if card.deal_channel and card.deal_thread:
        await runtime.gateway.post_message(
            key=f"review:{review_id}:asked",
            channel=card.deal_channel,
            thread_ts=card.deal_thread,
            text=f":mag: {_who_asked(review)} asked sales engineering to review *{escape(review.title)}* "
            f"in <#{posted.channel}>.",
            deal_id=review.deal_id,
        )
        await refresh_deal_card(runtime, review.deal_id)


def _who_asked(review: TechnicalReview) -> str:
    if (review.origin or "").startswith(technical_scope.INSPECTION_ORIGIN):
        return "Deal inspection (the quoted edition lacks a requirement of the deal)"
    return f"<@{review.requester}>"


async def handle_post_card(runtime: Runtime, job: ClaimedJob) -> None:
    await post_card(runtime, job.args(PostReviewCard).review_id)


async def handle_decide(runtime: Runtime, job: ClaimedJob) -> None:
    """The edit modal's submission: decided once (a re-run of this job gets its own decision back); what the
    decision changes for people is the `review.decided` job it queued. A refusal is told to the engineer."""
    ask = job.args(DecideReview)
    who = await runtime.who(ask.user_id)
    try:
        await asyncio.to_thread(
            reviews.decide, runtime.session_factory, ask=ask, who=who, clock=runtime.clock, origin=f"job:{job.id}"
        )
    except reviews.ReviewError as exc:
        await _refuse(runtime, job, ask, exc)


async def _refuse(runtime: Runtime, job: ClaimedJob, ask: DecideReview, problem: Exception) -> None:
    """Beside the card when there is one, else in a DM (a modal has no response URL)."""
    text = f":no_entry: {problem}"
    card = None
    if not isinstance(problem, reviews.ReviewNotFound):
        card = await asyncio.to_thread(load_card, runtime, ask.review_id)
    if card is not None and card.review.card_channel:
        await runtime.gateway.post_ephemeral(
            key=f"job:{job.id}:refused", channel=card.review.card_channel, user=ask.user_id, text=text
        )
        return
    dm = await runtime.client.conversations_open(users=ask.user_id)
    await runtime.gateway.post_message(key=f"job:{job.id}:refused", channel=dm["channel"]["id"], text=text)


async def handle_decided(runtime: Runtime, job: ClaimedJob) -> None:
    """The card shows the verdict, the deal's thread and the requester read it, the deal card shows it; then
    the review kind's own hook runs once (a POC plan's, say). Each post is keyed by the review."""
    decided = job.args(ReviewDecided)
    card = await asyncio.to_thread(load_card, runtime, decided.review_id)
    review = card.review
    if review.card_channel and review.card_ts:  # not posted yet: the card job renders the decision itself
        await runtime.gateway.update_message(
            channel=review.card_channel, ts=review.card_ts, text=card.text, blocks=card.blocks
        )
    message = decided_message(review)
    key = f"review:{review.id}:decided"
    if card.deal_channel and card.deal_thread:
        await runtime.gateway.post_message(
            key=f"{key}:thread",
            channel=card.deal_channel,
            thread_ts=card.deal_thread,
            text=message,
            deal_id=review.deal_id,
        )
    if review.requester != review.decided_by:
        dm = await runtime.client.conversations_open(users=review.requester)
        await runtime.gateway.post_message(
            key=f"{key}:requester", channel=dm["channel"]["id"], text=f"*{escape(card.company)}* · {message}"
        )
    await refresh_deal_card(runtime, review.deal_id)
    await asyncio.to_thread(reviews.run_hook_once, runtime.session_factory, review_id=review.id, clock=runtime.clock)


async def _tell_expired(runtime: Runtime, job: ClaimedJob, card: ReviewCard) -> None:
    """The card shows the review expired; the deal thread and the rep who asked are told how to ask again."""
    review = card.review
    if review.card_channel and review.card_ts:
        await runtime.gateway.update_message(
            channel=review.card_channel, ts=review.card_ts, text=card.text, blocks=card.blocks
        )
    told = (
        f":hourglass: Sales engineering did not decide the review of *{escape(review.title)}* in time; it "
        f"expired. Ask again with `/lto review #{review.deal_id}` if it is still needed."
    )
    if card.deal_channel and card.deal_thread:
        await runtime.gateway.post_message(
            key=f"job:{job.id}:deal",
            channel=card.deal_channel,
            thread_ts=card.deal_thread,
            text=told,
            deal_id=review.deal_id,
        )
    dm = await runtime.client.conversations_open(users=review.requester)
    await runtime.gateway.post_message(key=f"job:{job.id}:requester", channel=dm["channel"]["id"], text=told)


async def handle_notify(runtime: Runtime, job: ClaimedJob) -> None:
    """A reminder, escalation or expiry from the review SLA sweep."""
    notice = job.args(NotifyReview)
    card = await asyncio.to_thread(load_card, runtime, notice.review_id)
    review, policy = card.review, runtime.review_policy()
    if notice.what == "expiry":
        await _tell_expired(runtime, job, card)
        return
    if review.status not in (ReviewStatus.PENDING, ReviewStatus.CLAIMED):
        return  # decided since the sweep claimed the notice
    if notice.what == "reminder" and review.status == ReviewStatus.CLAIMED and review.claimed_by:
        dm = await runtime.client.conversations_open(users=review.claimed_by)
        await runtime.gateway.post_message(
            key=f"job:{job.id}:claimer",
            channel=dm["channel"]["id"],
            text=f":bell: Reminder: you claimed the review of *{escape(review.title)}*; it waits for your verdict.",
        )
        return
    if not (review.card_channel and review.card_ts):
        return
    if notice.what == "reminder":
        text = f":bell: Reminder for {mentions(policy.reviewers)}: this review is waiting for a sales engineer."
    else:
        text = f":arrow_up: Escalated to {mentions(policy.sla.escalate_to)}: nobody has decided this review in time."
    await runtime.gateway.post_message(
        key=f"job:{job.id}:card-thread", channel=review.card_channel, thread_ts=review.card_ts, text=text
    )

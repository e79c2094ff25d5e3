"""Job handlers: the work a listener recorded, run by a worker. Each is safe to run again."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.handlers import (
    access,
    approvals,
    contracts,
    conversation,
    deals,
    home,
    knowledge,
    leads,
    meetings,
    next_steps,
    paused_runs,
    poc,
    privacy,
    proposals,
    quotes,
    reports,
    reviews,
)
from core.job_kinds import JobKind
from core.worker import Handler

if TYPE_CHECKING:
    from bot.runtime import Runtime


# Every job kind, and the function that runs it (bound to a runtime by `job_handlers`).
JOB_HANDLERS: dict[JobKind, Callable[..., Any]] = {
    JobKind.DEAL_OPEN: deals.handle_open,
    JobKind.DEAL_STATUS: deals.handle_status,
    JobKind.DEAL_DISQUALIFY: deals.handle_disqualify,
    JobKind.CONVERSATION_TURN: conversation.handle_turn,
    JobKind.KNOWLEDGE_ASK: knowledge.handle_ask,
    JobKind.DEAL_QUOTE: quotes.handle_quote,
    JobKind.DEAL_PROPOSAL: proposals.handle_proposal,
    JobKind.APPROVAL_DECIDE: approvals.handle_decision,
    JobKind.APPROVAL_DECIDED: approvals.handle_decided,
    JobKind.APPROVALS_LIST: approvals.handle_list,
    JobKind.APPROVAL_NOTIFY: approvals.handle_notify,
    JobKind.DEAL_SHARE: access.handle_share,
    JobKind.ADMIN: access.handle_admin,
    JobKind.APPROVAL_CARD: approvals.handle_post_card,
    JobKind.APPROVAL_RESUME: paused_runs.handle_resume,
    JobKind.PRIVACY_ERASE_SLACK: privacy.handle_erase_from_slack,
    JobKind.HOME_PUBLISH: home.handle_publish_home,
    JobKind.REPORT_OUTCOMES: reports.handle_report,
    JobKind.LEAD_OPEN: leads.handle_open_lead,
    JobKind.NEXT_STEP_ADD: next_steps.handle_accept_finding,
    JobKind.NEXT_STEP_CHANGE: next_steps.handle_change_step,
    JobKind.NEXT_STEP_PROPOSAL: next_steps.handle_proposal_decision,
    JobKind.FOLLOW_UP_SEND: next_steps.handle_send_follow_up,
    JobKind.CONTRACT_ORDER_FORM: contracts.handle_order_form,
    JobKind.CONTRACT_SECURITY_REVIEW: contracts.handle_security_review,
    JobKind.CONTRACT_SEND: contracts.handle_send,
    JobKind.CONTRACT_ENVELOPE: contracts.handle_envelope,
    JobKind.REVIEW_REQUEST: reviews.handle_request,
    JobKind.REVIEW_CARD: reviews.handle_post_card,
    JobKind.REVIEW_DECIDE: reviews.handle_decide,
    JobKind.REVIEW_DECIDED: reviews.handle_decided,
    JobKind.REVIEW_NOTIFY: reviews.handle_notify,
    JobKind.MEETING_SCHEDULE: meetings.handle_schedule,
    JobKind.MEETING_OFFER: meetings.handle_post_offer,
    JobKind.MEETING_BOOK: meetings.handle_book,
    JobKind.MEETING_CHANGE: meetings.handle_change,
    JobKind.MEETING_SYNC: meetings.handle_sync,
    JobKind.MEETING_REMIND: meetings.handle_remind,
    JobKind.POC_SHOW: poc.handle_show,
    JobKind.POC_REVIEW: poc.handle_send_for_review,
    JobKind.POC_OUTCOME: poc.handle_outcome,
    JobKind.POC_ANNOUNCE: poc.handle_announce,
}


def job_handlers(runtime: Runtime) -> dict[str, Handler]:
    """Every job kind this process can run, bound to its runtime."""
    missing = set(JobKind) - set(JOB_HANDLERS)
    if missing:  # every kind a listener or a domain can record must have a handler
        raise RuntimeError(f"no handler for job kinds: {', '.join(sorted(missing))}")
    return {str(kind): partial(handler, runtime) for kind, handler in JOB_HANDLERS.items()}

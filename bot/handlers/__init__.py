"""Job handlers: the work a listener recorded, run by a worker. Each is safe to run again."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from bot.handlers import access, approvals, conversation, deals, knowledge, paused_runs, proposals, quotes
from core.worker import Handler

if TYPE_CHECKING:
    from bot.runtime import Runtime


def job_handlers(runtime: Runtime) -> dict[str, Handler]:
    """Every job kind this process can run, bound to its runtime."""
    return {
        "deal.open": partial(deals.handle_open, runtime),
        "deal.status": partial(deals.handle_status, runtime),
        "deal.disqualify": partial(deals.handle_disqualify, runtime),
        "conversation.turn": partial(conversation.handle_turn, runtime),
        "knowledge.ask": partial(knowledge.handle_ask, runtime),
        "deal.quote": partial(quotes.handle_quote, runtime),
        "deal.proposal": partial(proposals.handle_proposal, runtime),
        "approval.decide": partial(approvals.handle_decision, runtime),
        "approvals.list": partial(approvals.handle_list, runtime),
        "approval.notify": partial(approvals.handle_notify, runtime),
        "deal.share": partial(access.handle_share, runtime),
        "admin": partial(access.handle_admin, runtime),
        "approval.card": partial(approvals.handle_post_card, runtime),
        "approval.resume": partial(paused_runs.handle_resume, runtime),
    }

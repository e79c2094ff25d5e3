"""Work one job queues for another, recorded like a Slack delivery so it happens once."""

from __future__ import annotations

from bot.listeners.intake import accept
from bot.runtime import Runtime
from core.job_kinds import DraftProposal


async def draft_proposal(runtime: Runtime, *, request_id: int, deal_id: int, requester: str) -> None:
    """The approved prices are final: draft the proposal from them without waiting for a click (once)."""
    await accept(
        runtime,
        key=f"approval:{request_id}:proposal",
        kind="approval",
        job=DraftProposal(user_id=requester, deal=f"#{deal_id}"),
        actor="system",
    )

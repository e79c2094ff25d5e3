"""Work one job queues for another, recorded like a Slack delivery so it happens once."""

from __future__ import annotations

from bot.listeners.intake import accept
from bot.runtime import Runtime


async def draft_proposal(runtime: Runtime, *, request_id: int, deal_id: int, requester: str) -> None:
    """The approved prices are final: draft the proposal from them without waiting for a click (once)."""
    await accept(
        runtime,
        key=f"approval:{request_id}:proposal",
        kind="approval",
        job_kind="deal.proposal",
        payload={"user_id": requester, "deal": f"#{deal_id}", "response_url": None},
        actor="system",
    )

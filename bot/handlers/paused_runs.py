"""A paused discovery run resumed with its approval's outcome: the answer posted in the deal thread."""

from __future__ import annotations

from agents import paused_runs
from bot.handlers.followups import draft_proposal
from bot.runtime import Runtime
from core.job_kinds import ResumeRun
from core.jobs import ClaimedJob
from core.worker import RetryLater


async def handle_resume(runtime: Runtime, job: ClaimedJob) -> None:
    """Resume the paused run with the decision; post its answer in the deal thread; an approval drafts the proposal."""
    try:
        resumed = await paused_runs.resume(runtime, job.args(ResumeRun).request_id)
    except paused_runs.ModelFailed as exc:
        raise RetryLater(str(exc)) from exc
    if resumed.channel_id and resumed.thread_ts:
        await runtime.gateway.post_message(
            key=f"approval:{resumed.request_id}:resumed",
            channel=resumed.channel_id,
            thread_ts=resumed.thread_ts,
            text=resumed.reply,
            deal_id=resumed.deal_id,
        )
    if resumed.status == "approved":
        await draft_proposal(
            runtime, request_id=resumed.request_id, deal_id=resumed.deal_id, requester=resumed.requester
        )

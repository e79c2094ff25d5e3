"""`/lto report`: the team's outcome metrics with their chart, uploaded to the person who asked (managers)."""

from __future__ import annotations

import asyncio

from bot.handlers.deals import respond
from bot.runtime import Runtime
from bot.views.outcomes import outcome_lines
from bot.views.text import escape
from core.job_kinds import ReportOutcomes
from core.jobs import ClaimedJob
from deals import access
from deals.outcome_chart import render_png
from deals.outcomes import load_time_saved, team_outcomes


async def handle_report(runtime: Runtime, job: ClaimedJob) -> None:
    """Refused for anyone but managers and admins; otherwise the figures and the PNG chart in their DM."""
    args = job.args(ReportOutcomes)
    now = runtime.clock.now()
    if args.since is not None and args.since > now.date():
        await respond(
            args.response_url, text=f":no_entry: {args.since.isoformat()} is after today: no deal started then."
        )
        return
    who = await runtime.who(args.user_id)
    try:
        report = await asyncio.to_thread(
            team_outcomes,
            runtime.session_factory,
            who=who,
            since=args.since,
            now=now,
            segment_of=runtime.routing().segment_of,
            assumptions=load_time_saved(runtime.settings.time_saved_path),
        )
    except access.Forbidden as exc:
        await respond(args.response_url, text=f":no_entry: {escape(str(exc))}")
        return
    chart = await asyncio.to_thread(render_png, report)
    dm = await runtime.client.conversations_open(users=args.user_id)
    summary = "\n".join(outcome_lines(report))
    await runtime.gateway.upload_file(
        key=f"job:{job.id}:outcome-chart",
        channel=dm["channel"]["id"],
        thread_ts=None,
        filename=f"outcomes-{now.date().isoformat()}.png",
        content=chart,
        title=f"Outcomes of {report.deals} {report.period}",
        comment=f"*Outcome report*\n{summary}",
    )
    await respond(
        args.response_url, text=":bar_chart: I sent you the outcome report and its chart in a direct message."
    )

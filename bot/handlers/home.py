"""The Home tab: load what the person may see (one use case), render it, publish it."""

from __future__ import annotations

import asyncio
from functools import partial

from bot.runtime import Runtime
from bot.views.home import home_view
from core.job_kinds import PublishHome
from core.jobs import ClaimedJob
from deals.home import load_home
from deals.outcomes import load_time_saved


async def handle_publish_home(runtime: Runtime, job: ClaimedJob) -> None:
    """Someone opened the Home tab: publish their pipeline as it is now (a re-run publishes it again)."""
    args = job.args(PublishHome)
    who = await runtime.who(args.user_id)
    policy = runtime.policy()
    policy_groups = {a for level in policy.levels.values() for a in level.approvers if a.startswith("S")}
    groups = await runtime.groups_of(args.user_id, policy_groups)
    home = await asyncio.to_thread(
        load_home,
        runtime.session_factory,
        who=who,
        groups=groups,
        policy=policy,
        inspection=runtime.inspection(),
        now=runtime.clock.now(),
        segment_of=runtime.routing().segment_of,
        assumptions=partial(load_time_saved, runtime.settings.time_saved_path),
    )
    await runtime.gateway.publish_home(user_id=args.user_id, view=home_view(home))

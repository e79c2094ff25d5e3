"""Replaying discovery scenarios through the real agent (offline model by default), for `lto eval discovery`."""

from __future__ import annotations

from datetime import date
from typing import Any

from agents.discovery import DiscoveryDeps, run_turn
from agents.offline.discovery_model import offline_discovery
from agents.prompts import turn_prompt
from core.qualification import Qualification


async def replay(scenario: dict[str, Any], *, model: Any, model_name: str) -> Qualification:
    """Send each message of the scenario as one turn and return the record discovery ends with."""
    today = date.fromisoformat(scenario["today"])
    record = Qualification()
    history: list[Any] = []
    for message in scenario["messages"]:
        deps = DiscoveryDeps(record=record, deal_id=1, user_id="U0EVAL", today=today)
        outcome = await run_turn(
            prompt=turn_prompt(user="<@U0EVAL>", day=today, text=message),
            deps=deps,
            history_json=history,
            model=model,
            model_name=model_name,
        )
        record, history = deps.current(), outcome.history
    return record


def offline_model() -> Any:
    from agents.models import resolve_model

    return resolve_model("offline", offline=offline_discovery)

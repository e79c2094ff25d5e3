"""`lto eval discovery`: replay scenarios through the real agent and score the records it ends with.

The scenarios and their scoring are those of `agents/offline/evaluation.py` (which scores the
extractor alone); here each message goes through the discovery agent as a turn, with whatever
model LTO_MODEL names, so the figure is the product's.
"""

from __future__ import annotations

from typing import Any

from agents.discovery import DiscoveryDeps, run_turn
from agents.offline.evaluation import Report, Scenario, load_scenarios
from agents.prompts import turn_prompt
from deals.qualification import Qualification

__all__ = ["evaluate", "load_scenarios", "replay"]


async def replay(scenario: Scenario, *, model: Any, model_name: str) -> Qualification:
    """Send each message as one turn, as a rep would in a thread; return the final record."""
    record = Qualification()
    history: list[Any] = []
    for message in scenario.messages:
        deps = DiscoveryDeps(record=record, deal_id=1, user_id="U0EVAL", today=scenario.today)
        outcome = await run_turn(
            prompt=turn_prompt(user="<@U0EVAL>", day=scenario.today, text=message),
            deps=deps,
            history_json=history,
            model=model,
            model_name=model_name,
        )
        record, history = deps.current(), outcome.history
    return record


async def evaluate(scenarios: list[Scenario], *, model: Any, model_name: str) -> Report:
    report = Report()
    for scenario in scenarios:
        report.add(scenario, await replay(scenario, model=model, model_name=model_name))
    return report

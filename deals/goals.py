"""Each stage's goals: what a deal needs to move on, read from what the rules already decide. Discovery aims at
qualified (the qualification items the scoring requires), qualified at a proposal (a final quote), proposal
at closing (the contract checklist: deals/contract.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deals.contract import ContractReadiness, Item, ItemState
from deals.models import DealStage
from deals.qualification import FIELD_LABELS, REQUIREMENTS

NO_QUOTE = "No quote yet: price the deal with `/lto quote`."


@dataclass(frozen=True)
class Goal:
    label: str
    met: bool
    hint: str  # what to do while it is not met


@dataclass(frozen=True)
class StageGoals:
    toward: str  # where the goals lead: "qualified", "a proposal", "closing"
    goals: tuple[Goal, ...]

    @property
    def missing(self) -> list[Goal]:
        return [goal for goal in self.goals if not goal.met]


def stage_goals(
    stage: DealStage, *, missing_fields: Sequence[str], contract: ContractReadiness | None
) -> StageGoals | None:
    """The goals of a deal at `stage` (None for a closed deal): `missing_fields` are the record's unknown fields
    (the assessment's), `contract` the deal's checklist when it has one."""
    if stage in (DealStage.NEW, DealStage.DISCOVERY):
        required = [(name, question) for name, _, needed, question in REQUIREMENTS if needed]
        goals = tuple(Goal(FIELD_LABELS[name], name not in missing_fields, question) for name, question in required)
        return StageGoals(toward="qualified", goals=goals)
    if stage == DealStage.QUALIFIED:
        quote = contract.item(Item.QUOTE) if contract is not None else None
        met = quote is not None and quote.state == ItemState.DONE
        return StageGoals(
            toward="a proposal", goals=(Goal("Final quote", met, quote.detail if quote is not None else NO_QUOTE),)
        )
    if stage == DealStage.PROPOSAL and contract is not None:
        goals = tuple(
            Goal(item.item.label, item.state == ItemState.DONE, item.detail)
            for item in contract.items
            if item.state != ItemState.NOT_NEEDED
        )
        return StageGoals(toward="closing", goals=goals)
    return None

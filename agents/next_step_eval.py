"""`lto eval next-steps`: which next steps the discovery agent proposes for a rep's message, against expectations.

A case is a day, one message in a deal thread and the steps a sales manager would expect proposed: each by
words its title must contain, and, where the case says, its due date and owner (none expected: nothing may be
proposed). Each message goes through the discovery agent as one turn with whatever model LTO_MODEL names, so
the figure is the product's. Cases carry a split: rules are written against `dev`; `holdout` is scored last.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.discovery import DiscoveryDeps, run_turn
from agents.prompts import turn_prompt
from core.evaluation import Failure, Report, Row
from deals.next_steps import StepProposal
from deals.qualification import Qualification

EVAL_REP = "U0EVAL"
Split = Literal["dev", "holdout"]


class ExpectedStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_has: list[str] = Field(min_length=1, description="Words the proposed title contains (any case).")
    due: date | Literal["any"] | None = Field("any", description="The due date; null: none said; left out: any.")
    owner: str | None = Field(None, description="The owner's Slack id, when the message names someone.")


class ProposalCase(BaseModel):
    """One line of evals/next_step_proposals.jsonl."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    split: Split = "dev"
    today: date
    text: str = Field(min_length=1)
    expected: list[ExpectedStep]


async def proposals_for(case: ProposalCase, *, model: Any, model_name: str) -> list[StepProposal]:
    """The steps the agent proposes for the case's message, in a deal thread with an empty record."""
    deps = DiscoveryDeps(record=Qualification(), deal_id=1, user_id=EVAL_REP, today=case.today)
    outcome = await run_turn(
        prompt=turn_prompt(user=f"<@{EVAL_REP}>", day=case.today, text=case.text),
        deps=deps,
        history_json=[],
        model=model,
        model_name=model_name,
    )
    return outcome.proposals


def problem(case: ProposalCase, proposed: list[StepProposal]) -> str | None:
    """How the proposals differ from the case's expectation, or None when they match."""
    said = "; ".join(f"{p.title!r} due {p.due} for {p.owner_slack_id}" for p in proposed) or "nothing"
    if len(proposed) != len(case.expected):
        return f"expected {len(case.expected)} step(s), proposed {said}"
    for want, got in zip(case.expected, proposed, strict=True):
        title = got.title.casefold()
        if any(word.casefold() not in title for word in want.title_has):
            return f"title should name {want.title_has}, proposed {said}"
        if want.due != "any" and got.due != want.due:
            return f"due should be {want.due}, proposed {said}"
        owner = want.owner or EVAL_REP
        if got.owner_slack_id != owner:
            return f"owner should be {owner}, proposed {said}"
    return None


async def evaluate(cases: list[ProposalCase], *, model: Any, model_name: str, heading: str) -> Report:
    """Run every case; one row per split and a total: cases, matches, and how often a step was proposed where
    none should be (false) or none where one should (missed)."""
    failures: list[Failure] = []
    counts: dict[str, dict[str, int]] = {}
    for case in cases:
        proposed = await proposals_for(case, model=model, model_name=model_name)
        found = problem(case, proposed)
        row = counts.setdefault(case.split, {"cases": 0, "match": 0, "false": 0, "missed": 0})
        row["cases"] += 1
        row["match"] += found is None
        row["false"] += bool(proposed) and not case.expected
        row["missed"] += not proposed and bool(case.expected)
        if found is not None:
            failures.append(Failure(case=case.id, problem=found, group=case.split))
    rows = [Row(label=split, metrics=dict(metrics)) for split, metrics in counts.items()]
    if len(rows) > 1:
        total = {name: sum(row.metrics[name] for row in rows) for name in ("cases", "match", "false", "missed")}
        rows.append(Row(label="all", metrics=dict(total), total=True))
    for row in rows:
        row.metrics["accuracy"] = row.metrics["match"] / row.metrics["cases"] if row.metrics["cases"] else 0.0
    return Report(heading=heading, title="split", rows=rows, failures=failures)

"""Next steps the discovery agent proposes: read from the message (the offline model's rules, scored on the eval's
dev split), and checked by the tool whatever model calls it (a passed date or a made-up owner is sent back)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, RetryPromptPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agents.discovery import DiscoveryDeps, run_turn
from agents.next_step_eval import ProposalCase, evaluate
from agents.offline.discovery_model import offline_discovery
from agents.prompts import turn_prompt
from core.evaluation import load_cases
from deals.qualification import Qualification

CASES = Path(__file__).resolve().parents[2] / "evals" / "next_step_proposals.jsonl"
WEDNESDAY = date(2026, 12, 2)


async def test_the_offline_model_proposes_what_the_dev_messages_make_evident_and_nothing_else():
    cases = [case for case in load_cases(CASES, ProposalCase) if case.split == "dev"]
    assert len(cases) >= 15 and any(not case.expected for case in cases)
    report = await evaluate(cases, model=FunctionModel(offline_discovery), model_name="offline", heading="dev")
    assert [str(failure) for failure in report.failures] == []
    assert report.rows[0].metrics["false"] == 0


def _proposing(args: dict[str, Any]) -> FunctionModel:
    """A model that proposes a step with `args`, then replies whether the tool took it or sent it back."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if len(messages) == 1:
            return ModelResponse(parts=[ToolCallPart("propose_next_step", args)])
        final = info.output_tools[0].name
        answers = [p.content for p in messages[-1].parts if isinstance(p, ToolReturnPart | RetryPromptPart)]
        reply = "proposed" if isinstance(answers[0], dict) and answers[0].get("proposed") else "sent back"
        return ModelResponse(parts=[ToolCallPart(final, {"reply": reply, "next_questions": []})])

    return FunctionModel(respond)


async def _proposals(args: dict[str, Any]) -> tuple[list[Any], str]:
    deps = DiscoveryDeps(record=Qualification(), deal_id=7, user_id="U0REP1", today=WEDNESDAY)
    outcome = await run_turn(
        prompt=turn_prompt(user="<@U0REP1>", day=WEDNESDAY, text="They'll send the questionnaire."),
        deps=deps,
        history_json=[],
        model=_proposing(args),
        model_name="function",
    )
    assert outcome.reply is not None
    return outcome.proposals, outcome.reply.reply


async def test_a_proposal_is_for_the_rep_unless_someone_is_named_and_carries_its_date():
    proposals, reply = await _proposals({"title": " Chase the questionnaire. ", "due": "2026-12-04"})
    assert reply == "proposed"
    assert [(p.title, p.owner_slack_id, p.due) for p in proposals] == [
        ("Chase the questionnaire", "U0REP1", date(2026, 12, 4))
    ]
    proposals, _ = await _proposals({"title": "Run the review", "owner": "U0SE1"})
    assert [(p.owner_slack_id, p.due) for p in proposals] == [("U0SE1", None)]


async def test_a_passed_date_or_an_owner_that_is_not_a_slack_user_is_sent_back_and_nothing_is_proposed():
    for bad in ({"title": "Chase it", "due": "2026-12-01"}, {"title": "Chase it", "owner": "Dana"}, {"title": " "}):
        proposals, reply = await _proposals(bad)
        assert (proposals, reply) == ([], "sent back"), bad

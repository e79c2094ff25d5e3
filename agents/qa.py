"""The knowledge Q&A agent behind `/lto ask`: answers only from retrieved passages, and cites them.

An answer may cite only chunks this run retrieved; the output validator sends anything else
back to the model. With nothing relevant retrieved, the answer says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo
from pydantic_ai.usage import UsageLimits

from agents.allowlist import enforce
from agents.grounding import search_and_remember
from agents.offline.quoting import best_passages, quote
from knowledge.models import Passage

NOTHING_RELEVANT = "The knowledge base has nothing relevant to that, so I won't guess."
QA_LIMITS = UsageLimits(request_limit=5, tool_calls_limit=6)


@dataclass
class QaDeps:
    search: Callable[[str, str | None, str | None], list[Passage]] | None
    passages: list[Passage] = field(default_factory=list)


class Answer(BaseModel):
    text: str = Field(description="The answer in Slack mrkdwn, quoting or closely paraphrasing the passages.")
    cited: list[str] = Field(default_factory=list, description="chunk_id of every passage the answer relies on.")


qa_agent: Agent[QaDeps, Answer] = Agent(
    deps_type=QaDeps,
    output_type=Answer,
    name="knowledge_qa",
    instructions=(
        "Answer the sales rep's question about Halyard Systems' products using only passages returned by "
        "`search_knowledge`; cite the chunk_id of each passage you rely on. If nothing relevant comes back, say "
        f"exactly: {NOTHING_RELEVANT} Never state prices or discounts beyond what a passage says."
    ),
    retries=2,
)


@qa_agent.tool
def search_knowledge(
    ctx: RunContext[QaDeps], query: str, product: str | None = None, doc_type: str | None = None
) -> list[dict[str, Any]] | str:
    """Search the company's knowledge base; returns passages with chunk_id, title, section, source and text."""
    return search_and_remember(ctx.deps.search, ctx.deps.passages, query, product, doc_type)


@qa_agent.output_validator
def cites_only_what_was_retrieved(ctx: RunContext[QaDeps], answer: Answer) -> Answer:
    retrieved = {p.chunk_id for p in ctx.deps.passages}
    unknown = [chunk for chunk in answer.cited if chunk not in retrieved]
    if unknown:
        raise ModelRetry(
            f"These chunk ids were not retrieved in this conversation: {unknown}. Cite only retrieved ones."
        )
    if not answer.cited and retrieved and answer.text.strip() != NOTHING_RELEVANT:
        raise ModelRetry("Cite the chunk_id of each passage your answer relies on.")
    return answer


def offline_qa(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Offline: search with the question, then answer with the sentences that match it best."""
    last = messages[-1]
    output = info.output_tools[0].name if info.output_tools else "final_result"
    if isinstance(last, ModelRequest) and any(isinstance(p, UserPromptPart) for p in last.parts):
        question = next(str(p.content) for p in last.parts if isinstance(p, UserPromptPart))
        return ModelResponse(parts=[ToolCallPart("search_knowledge", {"query": question})], model_name="offline")
    call = next(
        p for m in reversed(messages) if isinstance(m, ModelResponse) for p in m.parts if isinstance(p, ToolCallPart)
    )
    result = next(
        (p.content for p in last.parts if isinstance(p, ToolReturnPart) and p.tool_call_id == call.tool_call_id), []
    )
    if isinstance(result, str):
        answer = {"text": result, "cited": []}
    elif not result:
        answer = {"text": NOTHING_RELEVANT, "cited": []}
    else:
        question = call.args_as_dict().get("query", "")
        best = best_passages(result, question)
        answer = {
            "text": "\n".join(f"> {quote(p['text'], question)}" for p in best),
            "cited": [p["chunk_id"] for p in best],
        }
    return ModelResponse(parts=[ToolCallPart(output, answer)], model_name="offline")


@dataclass
class QaOutcome:
    answer: Answer
    sources: list[Passage]
    model_name: str


async def answer_question(question: str, *, search: Any, model: Any, model_name: str) -> QaOutcome:
    deps = QaDeps(search=search)
    result = await qa_agent.run(question, deps=deps, model=model, usage_limits=QA_LIMITS)
    by_id = {p.chunk_id: p for p in deps.passages}
    return QaOutcome(
        answer=result.output, sources=[by_id[c] for c in result.output.cited if c in by_id], model_name=model_name
    )


enforce(qa_agent)  # least privilege: its tools are exactly those agents/allowlist.py names

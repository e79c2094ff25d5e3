"""The offline Q&A model: search with the question, then answer with the sentences that match it best.

It speaks pydantic-ai's FunctionModel interface. First request: call `search_knowledge` with the
question. Second request (the passages are in): quote the sentences that answer best, from any of
the passages (`agents/offline/answering.py`), each quote naming its document, the table cell the question
names first; or say that nothing relevant was found. Sentences that state
amounts are never quoted: prices come from CPQ, so a price question is pointed at the price list and a
CPQ ballpark.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo

from agents.offline.answering import compose
from agents.offline.quote_ask import PRICE_QUESTION
from agents.offline.quoting import quoted_from
from agents.qa import NOTHING_RELEVANT


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
    return ModelResponse(parts=[ToolCallPart(output, _answer(result, call))], model_name="offline")


def _answer(result: Any, call: ToolCallPart) -> dict[str, Any]:
    """The answer to write from what the search returned: a message, nothing, or passages to quote."""
    if isinstance(result, str):
        return {"text": result, "cited": []}
    if not result:
        return {"text": NOTHING_RELEVANT, "cited": []}
    question = call.args_as_dict().get("query", "")
    composed = compose(question, result)
    lines = [f"> {said} — _{quoted_from(passage)}_" for said, passage in composed.quotes]
    cited = [passage["chunk_id"] for _, passage in composed.quotes]
    if composed.cell is not None:  # the direct answer first: the table cell the question names
        cell, holder = composed.cell
        lines.insert(0, f"*{cell}*")
        cited = [holder["chunk_id"], *(c for c in cited if c != holder["chunk_id"])]
    if composed.priced and (not composed.quotes or PRICE_QUESTION.search(question)):
        lines.append(PRICES_FROM_CPQ)  # point at the price list, never copy it
        cited += [p["chunk_id"] for p in composed.priced if p["chunk_id"] not in cited]
    if not lines:
        return {"text": NOTHING_RELEVANT, "cited": []}
    return {"text": "\n".join(lines), "cited": cited}


PRICES_FROM_CPQ = (
    "Prices come from the CPQ engine, not from documents, so I don't copy amounts out of them: the cited "
    "pricing documents hold the price list. For a figure, ask for a ballpark in the deal's thread (for example "
    "_ballpark for 200 seats of Enterprise_) or price it with `/lto quote`."
)

"""The offline Q&A model: search with the question, then answer with the sentences that match it best.

It speaks pydantic-ai's FunctionModel interface. First request: call `search_knowledge` with the
question. Second request (the passages are in): quote the sentences that answer best, from any of
the passages (`agents/offline/quoting.py: answering_sentences`), each quote naming its document, the
table cell the question names first; or say that nothing relevant was found. Sentences that state
amounts are never quoted: prices come from CPQ, so a price question is pointed at the price list and a
CPQ ballpark.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo

from agents import figures
from agents.offline.quote_ask import PRICE_QUESTION
from agents.offline.quoting import answering_sentences, table_cell
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
    # The sentences that answer best, across the passages; amounts in documents (worked examples, price lists)
    # are not prices: their sentences are left out.
    said = answering_sentences(
        [p["text"] for p in result],
        question,
        headings=[str(p.get("section") or "") for p in result],
        quotable=lambda unit: not figures.states_money(unit),
    )
    lines: list[str] = []
    cited: list[str] = []
    for index in dict.fromkeys(q.passage for q in said):  # the passage of the best sentence first
        passage = result[index]
        quoted = " ".join(q.text for q in sorted(said, key=lambda q: q.position) if q.passage == index)
        lines.append(f"> {quoted} — _{passage.get('title') or 'source'}_")
        cited.append(passage["chunk_id"])
    quoted_passages = [result[i] for i in dict.fromkeys(q.passage for q in said)]
    # The direct answer first: the table cell the question names ("P1" x "Premium") in a quoted passage.
    cells = ((p["chunk_id"], table_cell(p["text"], question)) for p in quoted_passages or result[:1])
    found = next(((holder, cell) for holder, cell in cells if cell and not figures.states_money(cell)), None)
    if found is not None:
        holder, cell = found
        lines.insert(0, f"*{cell}*")
        cited = [holder, *(c for c in cited if c != holder)]
    priced = [p for p in quoted_passages or result[:2] if figures.states_money(p["text"])]
    if priced and (not said or PRICE_QUESTION.search(question)):  # point at the price list, never copy it
        lines.append(PRICES_FROM_CPQ)
        cited += [p["chunk_id"] for p in priced if p["chunk_id"] not in cited]
    if not lines:
        return {"text": NOTHING_RELEVANT, "cited": []}
    return {"text": "\n".join(lines), "cited": cited}


PRICES_FROM_CPQ = (
    "Prices come from the CPQ engine, not from documents, so I don't copy amounts out of them: the cited "
    "pricing documents hold the price list. For a figure, ask for a ballpark in the deal's thread (for example "
    "_ballpark for 200 seats of Enterprise_) or price it with `/lto quote`."
)

"""The knowledge Q&A agent behind `/lto ask`: answers only from retrieved passages, and cites them.

An answer may cite only chunks this run retrieved; the output validator sends anything else
back to the model. With nothing relevant retrieved, the answer says so instead of guessing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import Agent, ModelRetry, RunContext
from pydantic_ai.models import Model
from pydantic_ai.usage import UsageLimits

from agents import figures
from agents.allowlist import enforce
from agents.grounding import Search, search_and_remember
from agents.paused_runs import MODEL_FAILURES, ModelFailed
from agents.services import Services
from knowledge import answers
from knowledge.models import Passage

logger = logging.getLogger(__name__)
NOTHING_RELEVANT = "The knowledge base has nothing relevant to that, so I won't guess."
QA_LIMITS = UsageLimits(request_limit=5, tool_calls_limit=6)


@dataclass
class QaDeps:
    search: Search | None
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
        "`search_knowledge`; cite the chunk_id of each passage you rely on. If nothing relevant comes back, or the "
        "passages are about the subject but do not state what was asked (a HIPAA page that never says a BAA is "
        "signed, a backup page with no recovery-time figure, an integrations list without the product named), "
        f"do not answer from nearby facts: say exactly: {NOTHING_RELEVANT} Never state a price or any other "
        "amount, even one a passage states: prices come only from the CPQ engine. For a price question, say which "
        "cited document holds the price list and that a ballpark in a deal thread or `/lto quote` prices it."
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


@qa_agent.output_validator
def no_amounts_from_documents(ctx: RunContext[QaDeps], answer: Answer) -> Answer:
    """An answer copies no amount out of a document: prices come from CPQ (only the asker's own figures may
    be repeated)."""
    asked = figures.values_in([ctx.prompt] if isinstance(ctx.prompt, str) else [])
    copied = figures.unsourced(answer.text, asked)
    if copied:
        raise ModelRetry(
            f"Your answer states {', '.join(copied)}. Prices come only from the CPQ engine, never from documents: "
            "leave the amounts out, say which cited document holds the price list, and that a ballpark in a deal "
            "thread or `/lto quote` prices it."
        )
    return answer


@dataclass
class QaOutcome:
    answer: Answer
    sources: list[Passage]
    model_name: str
    missing: tuple[str, ...] = ()  # when nothing answers: what the question names that no document holds

    @property
    def abstained(self) -> bool:
        """The knowledge base had no answer, and the agent said so instead of guessing (an unavailable
        knowledge base is not that: the answer says so itself)."""
        return not self.sources and self.answer.text.strip() == NOTHING_RELEVANT


async def answer_question(question: str, *, search: Search | None, model: Model | str, model_name: str) -> QaOutcome:
    """Run the agent on one question; the sources are the retrieved passages the answer cites."""
    deps = QaDeps(search=search)
    result = await qa_agent.run(question, deps=deps, model=model, usage_limits=QA_LIMITS)
    by_id = {p.chunk_id: p for p in deps.passages}
    return QaOutcome(
        answer=result.output, sources=[by_id[c] for c in result.output.cited if c in by_id], model_name=model_name
    )


@dataclass(frozen=True)
class AskResult:
    """An answer given and kept: its id is what feedback buttons refer to."""

    question: str
    outcome: QaOutcome
    answer_id: int
    ask_in: str | None = None  # the subject-matter experts' channel, offered when the knowledge base has no answer


async def ask(services: Services, *, question: str, user_id: str, channel_id: str | None) -> AskResult:
    """`/lto ask`: answer from the knowledge base with sources, and keep the answer for feedback. Raises
    ModelFailed when the model gives no answer that passes its checks."""
    from agents.offline.qa_model import offline_qa  # it reads this module's NOTHING_RELEVANT: import it late

    try:
        outcome = await answer_question(
            question,
            search=services.knowledge_search,
            model=services.model_for(offline_qa),
            model_name=services.settings.model,
        )
    except MODEL_FAILURES as exc:  # e.g. an answer that failed its checks on every retry
        logger.warning("knowledge answer failed: %s", exc)
        raise ModelFailed(f"model: {type(exc).__name__}: {exc}") from exc
    if outcome.abstained:  # say what was not found; the answer kept without sources is a knowledge gap
        outcome.missing = await asyncio.to_thread(_missing, services, question)
    answer_id = await asyncio.to_thread(
        _keep_answer, services, question=question, user_id=user_id, channel_id=channel_id, outcome=outcome
    )
    return AskResult(
        question=question, outcome=outcome, answer_id=answer_id, ask_in=services.settings.sme_channel or None
    )


def _missing(services: Services, question: str) -> tuple[str, ...]:
    try:
        return services.knowledge_missing(question)
    except Exception:  # the answer stands without the detail
        logger.exception("could not tell what the knowledge base lacks")
        return ()


def _keep_answer(services: Services, *, question: str, user_id: str, channel_id: str | None, outcome: QaOutcome) -> int:
    with services.session_factory() as session, session.begin():
        return answers.record_answer(
            session,
            question=question,
            asked_by=user_id,
            channel_id=channel_id,
            chunk_ids=[p.chunk_id for p in outcome.sources],
            answer=outcome.answer.text,
            model=outcome.model_name,
            clock=services.clock,
        )


enforce(qa_agent)  # least privilege: its tools are exactly those agents/allowlist.py names


def offline_answerer(search: Search) -> Callable[[str], str]:
    """What `lto eval retrieval` scores answers with: the offline model's answer to a question, as posted
    (the answer's text, or the plain "I don't know")."""
    from pydantic_ai.models.function import FunctionModel

    from agents.offline.qa_model import offline_qa

    model = FunctionModel(offline_qa)

    def answer(question: str) -> str:
        try:
            outcome = asyncio.run(answer_question(question, search=search, model=model, model_name="offline"))
        except MODEL_FAILURES as exc:  # scored as an answer that states nothing; the run goes on
            return f"(no answer: {type(exc).__name__})"
        return outcome.answer.text if outcome.sources else NOTHING_RELEVANT

    return answer

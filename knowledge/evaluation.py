"""`lto eval retrieval`: recall@1, recall@5 and MRR of the knowledge base on a question set, and how
often it says nothing when it has nothing to say; with an answerer, how many expected facts the answers state.

A question is a hit at k when any expected source is among the first k distinct documents
retrieved for it. Paths are relative to the ingested folder. A question marked
`"answerable": false` has no answer in the corpus: retrieval abstains correctly when it returns
nothing for it; an answerable question that gets nothing was wrongly refused. Recall and MRR
count answerable questions only. Loading and printing are the evaluation harness's
(`core/evaluation.py`); the ranking and its metrics are decided here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.evaluation import Failure, Report, Row
from knowledge.search import search
from knowledge.store import KnowledgeStore


class Question(BaseModel):
    """One line of evals/retrieval.jsonl: a question and the documents that answer it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str
    expected_sources: list[str] = Field(default_factory=list, description="Paths relative to the ingested folder.")
    answerable: bool = Field(True, description="False when the corpus holds no answer to the question.")
    expected_facts: list[str] = Field(
        default_factory=list, description="Short strings a correct answer contains (scored by answer evaluations)."
    )
    split: Literal["dev", "holdout"] | None = Field(None, description="holdout questions run once, at the end.")

    @model_validator(mode="after")
    def _sources_when_answerable(self) -> Question:
        if self.answerable and not self.expected_sources:
            raise ValueError("an answerable question needs expected_sources")
        if not self.answerable and self.expected_sources:
            raise ValueError("an unanswerable question has no expected_sources")
        return self

    @field_validator("question")
    @classmethod
    def _not_blank(cls, question: str) -> str:
        if not question.strip():
            raise ValueError("question must be a non-empty string")
        return question


@dataclass
class RetrievalReport:
    mode: str
    questions: int = 0
    hits_at_1: int = 0
    hits_at_5: int = 0
    reciprocal_ranks: float = 0.0
    unanswerable: int = 0
    abstained: int = 0  # unanswerable questions that got nothing: right
    refused: int = 0  # answerable questions that got nothing: wrong
    facts: int = 0  # expected facts of answerable questions, when answers are evaluated
    facts_found: int = 0  # ... that the answer states
    misses: list[Failure] = field(default_factory=list)

    @property
    def fact_recall(self) -> float | None:
        """Share of expected facts the answers state (None when answers were not evaluated)."""
        return self.facts_found / self.facts if self.facts else None

    @property
    def abstention(self) -> float | None:
        """Share of unanswerable questions retrieval said nothing to (None without such questions)."""
        return self.abstained / self.unanswerable if self.unanswerable else None

    @property
    def wrongly_refused(self) -> float:
        """Share of answerable questions that got nothing."""
        return self.refused / self.questions if self.questions else 0.0

    @property
    def recall_at_1(self) -> float:
        return self.hits_at_1 / self.questions if self.questions else 0.0

    @property
    def recall_at_5(self) -> float:
        return self.hits_at_5 / self.questions if self.questions else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_ranks / self.questions if self.questions else 0.0

    def row(self) -> Row:
        metrics: dict[str, float | int] = {
            "recall@1": self.recall_at_1,
            "recall@5": self.recall_at_5,
            "MRR": self.mrr,
            "questions": self.questions,
        }
        if self.unanswerable:
            metrics |= {"abstain": self.abstained / self.unanswerable, "refused": self.wrongly_refused}
            metrics["no answer"] = self.unanswerable
        if self.fact_recall is not None:
            metrics["facts"] = self.fact_recall
        return Row(label=self.mode, metrics=metrics)

    def add_answer(self, question: Question, answer: str) -> None:
        """Score the facts an answer to an answerable question states (case-insensitive)."""
        if not question.answerable or not question.expected_facts:
            return
        said = " ".join(answer.split()).lower()
        lacking = [fact for fact in question.expected_facts if " ".join(fact.split()).lower() not in said]
        self.facts += len(question.expected_facts)
        self.facts_found += len(question.expected_facts) - len(lacking)
        if lacking:
            problem = f"answer lacks {lacking}: {' '.join(answer.split())[:160]}"
            self.misses.append(Failure(case=question.id, problem=problem, group=self.mode))

    def add(self, question: Question, ranked: list[str]) -> None:
        """Score one question's ranked document paths into the report."""
        if not question.answerable:
            self.unanswerable += 1
            self.abstained += not ranked
            if ranked:
                problem = f"no answer expected, got: {', '.join(ranked[:3])}"
                self.misses.append(Failure(case=question.id, problem=problem, group=self.mode))
            return
        self.refused += not ranked
        expected = set(question.expected_sources)
        rank = next((i + 1 for i, path in enumerate(ranked) if path in expected), None)
        self.questions += 1
        self.hits_at_1 += rank == 1
        self.hits_at_5 += rank is not None and rank <= 5
        self.reciprocal_ranks += 1 / rank if rank else 0.0
        if rank != 1:
            top = ", ".join(ranked[:3]) or "nothing"
            problem = f"expected {sorted(expected)}, rank {rank or '-'}; top: {top}"
            self.misses.append(Failure(case=question.id, problem=problem, group=self.mode))


def ranked_documents(store: KnowledgeStore, question: str, *, today: date) -> list[str]:
    """The distinct document paths retrieved for `question`, best first."""
    ranked: list[str] = []
    for passage in search(store, question, limit=20, today=today):
        if passage.path not in ranked:
            ranked.append(passage.path)
    return ranked


Answerer = Callable[[str], str]  # a question to the answer the product would post


def evaluate(
    store: KnowledgeStore, questions: list[Question], *, mode: str, today: date, answer: Answerer | None = None
) -> RetrievalReport:
    """Retrieval figures; with `answer`, also the facts the answers state."""
    report = RetrievalReport(mode=mode)
    for question in questions:
        report.add(question, ranked_documents(store, question.question, today=today))
        if answer is not None and question.answerable and question.expected_facts:
            report.add_answer(question, answer(question.question))
    return report


def summary(reports: list[RetrievalReport], *, heading: str, notes: list[str] | None = None) -> Report:
    """One table row per retrieval mode; the questions not ranked first, grouped by mode."""
    return Report(
        heading=heading,
        title="retrieval",
        rows=[report.row() for report in reports],
        notes=notes or [],
        failures=[miss for report in reports for miss in report.misses],
        failures_title="Not first",
    )

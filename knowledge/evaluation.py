"""`lto eval retrieval`: recall@1, recall@5 and MRR of the knowledge base on a question set.

A question is a hit at k when any expected source is among the first k distinct documents
retrieved for it. Paths are relative to the ingested folder. Loading and printing are the
evaluation harness's (`core/evaluation.py`); the ranking and its metrics are decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.evaluation import Failure, Report, Row
from knowledge.search import search
from knowledge.store import KnowledgeStore


class Question(BaseModel):
    """One line of evals/retrieval.jsonl: a question and the documents that answer it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str
    expected_sources: list[str] = Field(min_length=1, description="Paths relative to the ingested folder.")

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
    misses: list[Failure] = field(default_factory=list)

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
        metrics = {"recall@1": self.recall_at_1, "recall@5": self.recall_at_5, "MRR": self.mrr}
        return Row(label=self.mode, metrics={**metrics, "questions": self.questions})

    def add(self, question: Question, ranked: list[str]) -> None:
        """Score one question's ranked document paths into the report."""
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


def evaluate(store: KnowledgeStore, questions: list[Question], *, mode: str, today: date) -> RetrievalReport:
    report = RetrievalReport(mode=mode)
    for question in questions:
        report.add(question, ranked_documents(store, question.question, today=today))
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

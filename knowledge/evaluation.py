"""`lto eval retrieval`: recall@1, recall@5 and MRR of the knowledge base on a question set.

A question is a hit at k when any expected source is among the first k distinct documents
retrieved for it. Paths are relative to the ingested folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.search import search
from knowledge.store import KnowledgeStore


class QuestionError(ValueError):
    """A question file line that is not valid; the message names the line."""


def load_questions(path: Path) -> list[dict[str, Any]]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry["question"], str) or not entry["question"].strip():
                raise ValueError("question must be a non-empty string")
            if not isinstance(entry["expected_sources"], list) or not entry["expected_sources"]:
                raise ValueError("expected_sources must be a non-empty list")
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionError(f"{path}:{number}: {exc}") from None
        questions.append(entry)
    return questions


@dataclass
class RetrievalReport:
    mode: str
    questions: int = 0
    hits_at_1: int = 0
    hits_at_5: int = 0
    reciprocal_ranks: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def recall_at_1(self) -> float:
        return self.hits_at_1 / self.questions if self.questions else 0.0

    @property
    def recall_at_5(self) -> float:
        return self.hits_at_5 / self.questions if self.questions else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_ranks / self.questions if self.questions else 0.0

    def row(self) -> str:
        return f"{self.mode:<24}{self.recall_at_1:>10.3f}{self.recall_at_5:>10.3f}{self.mrr:>8.3f}{self.questions:>11}"


def evaluate(store: KnowledgeStore, questions: list[dict[str, Any]], *, mode: str, today: date) -> RetrievalReport:
    report = RetrievalReport(mode=mode)
    for entry in questions:
        expected = set(entry["expected_sources"])
        ranked: list[str] = []
        for passage in search(store, entry["question"], limit=20, today=today):
            if passage.path not in ranked:
                ranked.append(passage.path)
        rank = next((i + 1 for i, path in enumerate(ranked) if path in expected), None)
        report.questions += 1
        report.hits_at_1 += rank == 1
        report.hits_at_5 += rank is not None and rank <= 5
        report.reciprocal_ranks += 1 / rank if rank else 0.0
        if rank != 1:
            got = ", ".join(ranked[:3]) or "nothing"
            report.misses.append(f"{entry.get('id', '?')}: expected {sorted(expected)}, rank {rank or '-'}; top: {got}")
    return report

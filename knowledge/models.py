"""What crosses the knowledge layer's boundary (documents read, chunks stored, passages retrieved, ingest
summaries) and its tables (answers given and the feedback on them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base
from core.privacy import PURGED, RetentionRule, holds_personal_text, retain

META_KEYS = ("title", "product", "doc_type", "url", "owner", "updated_at", "audience")


class Audience(StrEnum):
    """Who may read a document: set in its front matter or sidecar (`audience:`), `internal` when unset."""

    PUBLIC = "public"  # published, or fit to publish
    CUSTOMER_SHAREABLE = "customer-shareable"  # may go to a customer or prospect, not published
    INTERNAL = "internal"  # for the company's own people
    CONFIDENTIAL = "confidential"  # under NDA or need-to-know: not even paraphrased to customers


DEFAULT_AUDIENCE = Audience.INTERNAL
# What may reach a customer: proposals and any text a rep is handed to send.
CUSTOMER_FACING: frozenset[Audience] = frozenset({Audience.PUBLIC, Audience.CUSTOMER_SHAREABLE})
# What a rep must know before passing on an answer that rests on a source that may not leave the company.
NOT_FOR_CUSTOMERS: dict[Audience, str] = {
    Audience.INTERNAL: "Internal — don't forward",
    Audience.CONFIDENTIAL: "Confidential (NDA) — don't forward",
}


def parse_audience(value: object) -> Audience:
    """The audience a document's metadata names; ValueError, listing the choices, for anything else."""
    if value is None:
        return DEFAULT_AUDIENCE
    try:
        return Audience(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(audience.value for audience in Audience)
        raise ValueError(f"audience '{value}' is not one of {choices}") from None


@dataclass
class Document:
    """A file read as Markdown-like text (headings as `#` lines, tables as pipe rows), with its metadata."""

    path: str  # relative to the ingested folder, POSIX separators
    text: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        fallback = PurePosixPath(self.path).stem.replace("-", " ").replace("_", " ").strip().title()
        return str(self.meta.get("title") or fallback)

    @property
    def source(self) -> str:
        """What a citation links to: the document's URL when it has one, else its path."""
        return str(self.meta.get("url") or self.path)


class Chunk(BaseModel):
    """One retrievable piece of a document, with what a citation needs; stored as a Qdrant point's payload."""

    id: str
    source: str = Field(description="Link of the document if it has one, else its path.")
    path: str = Field(description="Path relative to the ingested folder.")
    title: str
    section: str = Field("", description="Heading path, e.g. 'Security › Encryption › At rest'.")
    position: int = Field(0, description="Index of the chunk in its document.")
    text: str
    doc_type: str | None = None
    product: str | None = None
    owner: str | None = None
    updated_at: str | None = Field(None, description="ISO date (YYYY-MM-DD) or datetime of the document.")
    content_hash: str = ""
    root: str = Field("", description="The knowledge root its path is relative to.")
    audience: Audience = Field(DEFAULT_AUDIENCE, description="Who may read it; filtered in Qdrant.")

    def indexed_text(self) -> str:
        """What the lexical and dense vectors are computed from: the heading path says what a chunk is about."""
        return f"{self.title}\n{self.section}\n{self.text}"


class Passage(BaseModel):
    """A retrieved chunk, scored, ready to quote and cite."""

    chunk_id: str
    title: str
    section: str
    source: str
    path: str
    text: str
    score: float
    updated_at: str | None = None
    stale: bool = False
    doc_type: str | None = None
    product: str | None = None
    audience: Audience = DEFAULT_AUDIENCE

    @property
    def customer_facing(self) -> bool:
        return self.audience in CUSTOMER_FACING


class FileProblem(BaseModel):
    """A file that was skipped, and why, in words a person can act on."""

    path: str
    reason: str


class IngestSummary(BaseModel):
    """What one ingest run did."""

    files: int = 0
    documents: int = 0
    added: int = Field(0, description="Chunks of documents new to the collection.")
    updated: int = Field(0, description="New chunks of documents that changed (their old chunks are `removed`).")
    removed: int = Field(0, description="Chunks deleted: replaced by a change, or of documents gone from the folder.")
    unchanged: int = Field(0, description="Chunks left as they were: not re-embedded, not re-written.")
    reembedded: int = Field(0, description="Chunks embedded again because the embedding model changed.")
    problems: list[FileProblem] = Field(default_factory=list, description="Per-file errors; those files were skipped.")
    seconds: float = 0.0

    @property
    def errors(self) -> list[FileProblem]:
        return self.problems

    def render(self) -> str:
        lines = [
            f"{self.files} files, {self.documents} documents ingested in {self.seconds:.1f} s",
            f"chunks: {self.added} added, {self.updated} updated, {self.removed} removed, {self.unchanged} unchanged",
        ]
        if self.reembedded:
            lines.append(f"{self.reembedded} chunks re-embedded with the configured embedding model")
        lines += [f"skipped {p.path}: {p.reason}" for p in self.problems]
        return "\n".join(lines)


# Tables -------------------------------------------------------------------------------------------


class KnowledgeAnswer(Base):
    """An answer given from the knowledge base, with what it was built from (for feedback and audit)."""

    __tablename__ = "knowledge_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    chunk_ids: Mapped[list[Any]] = mapped_column(default=list)
    answer: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class AnswerFeedback(Base):
    """A thumbs up or down on an answer; one vote per person, the latest counts."""

    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("knowledge_answers.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    helpful: Mapped[bool]
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("answer_id", "user_id", name="uq_feedback_vote"),)


holds_personal_text(KnowledgeAnswer.question, KnowledgeAnswer.answer)
retain(
    RetentionRule(
        "answers",
        KnowledgeAnswer.created_at,
        {"question": PURGED, "answer": PURGED},
        KnowledgeAnswer.question != PURGED,
    )
)

"""What crosses the knowledge layer's boundary: chunks going in, passages coming out."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Chunk(BaseModel):
    """One retrievable piece of a document, with what a citation needs."""

    id: str
    source: str = Field(description="Link of the document if it has one, else its path.")
    path: str = Field(description="Path relative to the ingested folder.")
    title: str
    section: str = Field("", description="Heading path, e.g. 'Security › Encryption'.")
    position: int = 0
    text: str
    doc_type: str | None = None
    product: str | None = None
    updated_at: str | None = None
    content_hash: str = ""


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

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
    root: str = Field("", description="The folder it was ingested from: documents gone from it are removed.")


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


class FileProblem(BaseModel):
    path: str
    reason: str


class IngestSummary(BaseModel):
    files: int = 0
    documents: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: list[FileProblem] = Field(default_factory=list)
    seconds: float = 0.0

    def render(self) -> str:
        lines = [
            f"{self.files} files, {self.documents} documents ingested in {self.seconds:.1f} s",
            f"chunks: {self.added} added, {self.updated} updated, {self.removed} removed, {self.unchanged} unchanged",
        ]
        lines += [f"skipped {p.path}: {p.reason}" for p in self.problems]
        return "\n".join(lines)

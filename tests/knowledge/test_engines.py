"""The embedded engine as an operator meets it: one process per knowledge base, indexes that survive a
restart, and a knowledge base left by the earlier embedded engine rebuilt on the next ingest."""

from __future__ import annotations

from pathlib import Path

import pytest
from qdrant_client import QdrantClient, models
from typer.testing import CliRunner

from bot.cli import app
from knowledge.edge_engine import EdgeEngine
from knowledge.engine import INDEXED_FIELDS, EngineBusy
from knowledge.ingest import ingest
from knowledge.store import COLLECTION, KnowledgeStore

runner = CliRunner()
FAQ = """---
title: Support FAQ
audience: public
---
# Support

Premium support answers a P1 incident within 30 minutes, around the clock.
"""


@pytest.fixture
def operator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's shell: the working folder is the knowledge root, with one document in kb/."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LTO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LTO_EMBEDDINGS", "none")
    for name in ("QDRANT_URL", "QDRANT_PATH", "LTO_KNOWLEDGE_ROOT", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "faq.md").write_text(FAQ)
    return tmp_path


def said(result) -> str:
    return " ".join(result.output.split())


def test_a_knowledge_base_left_by_local_mode_is_rebuilt_under_edge_with_a_message(operator: Path):
    old = QdrantClient(path=str(operator / "home" / "qdrant"))  # what the earlier default wrote
    old.create_collection(COLLECTION, vectors_config={}, sparse_vectors_config={"lexical": models.SparseVectorParams()})
    old.upsert(COLLECTION, points=[models.PointStruct(id=1, vector={}, payload={"path": "faq.md"})])
    old.close()

    rebuilt = runner.invoke(app, ["ingest", "kb"], env={"COLUMNS": "200"})

    assert rebuilt.exit_code == 0, rebuilt.output
    assert "earlier embedded engine (qdrant-client local mode)" in said(rebuilt)
    assert "rebuilding it from the documents under kb" in said(rebuilt) and "1 documents ingested" in said(rebuilt)
    again = runner.invoke(app, ["ingest", "kb"], env={"COLUMNS": "200"})
    assert "local mode" not in said(again) and "1 unchanged" in said(again)  # said once, when it rebuilt
    assert "faq.md · public" in said(runner.invoke(app, ["kb", "search", "P1 incident premium support"]))


def test_a_second_process_on_the_same_knowledge_base_is_refused_with_what_to_do(operator: Path):
    holder = EdgeEngine(operator / "home" / "qdrant" / "edge")  # as `lto serve` holds it
    KnowledgeStore(holder).ensure()
    try:
        refused = runner.invoke(app, ["ingest", "kb"], env={"COLUMNS": "200"})
        assert refused.exit_code == 2 and "Traceback" not in refused.output
        assert "open in another process" in said(refused) and "QDRANT_URL" in said(refused)
        with pytest.raises(EngineBusy):
            EdgeEngine(operator / "home" / "qdrant" / "edge").count(COLLECTION)
    finally:
        holder.close()
    assert runner.invoke(app, ["ingest", "kb"]).exit_code == 0  # released on close


def test_an_edge_knowledge_base_keeps_its_chunks_and_payload_indexes_across_a_restart(tmp_path: Path, operator: Path):
    store = KnowledgeStore(EdgeEngine(tmp_path / "edge"))
    ingest([operator / "kb"], store)
    store.close()
    reopened = KnowledgeStore(EdgeEngine(tmp_path / "edge"))
    info = reopened.info()
    assert info.exists and info.points == 1 and set(info.indexed_fields) == set(INDEXED_FIELDS)
    assert reopened.built_with() == "none"
    assert [hit.payload["path"] for hit in reopened.query("P1 incident", limit=3)] == ["faq.md"]
    reopened.close()


def test_doctor_reports_the_embedded_engine_and_what_it_holds(operator: Path):
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["ingest", "kb"]).exit_code == 0
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "250"})
    assert "Qdrant Edge 0.9.0 (embedded)" in said(result) and "1 chunks" in said(result)
    assert "indexed: audience, doc_type, path, product, updated_at" in said(result)

"""The knowledge store's tests run against both engines: Qdrant Edge (embedded, the default) and
qdrant-client, whose local mode speaks a Qdrant server's API without a server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from qdrant_client import QdrantClient

from knowledge.client_engine import ClientEngine
from knowledge.edge_engine import EdgeEngine
from knowledge.engine import VectorEngine
from knowledge.store import KnowledgeStore

ENGINES = ["edge", "server-api"]


def make_engine(kind: str, folder: Path) -> VectorEngine:
    if kind == "edge":
        return EdgeEngine(folder)
    return ClientEngine(QdrantClient(path=str(folder)))


OpenStore = Callable[..., KnowledgeStore]


def opener(kind: str, opened: list[VectorEngine]) -> OpenStore:
    """open_store(folder, **store_options): a store on a folder's engine, reused when opened again
    (each engine holds its folder; a second opening of the same folder would be refused)."""
    engines: dict[Path, VectorEngine] = {}

    def open_store(folder: Path, **options: Any) -> KnowledgeStore:
        if folder not in engines:
            engines[folder] = make_engine(kind, folder)
            opened.append(engines[folder])
        return KnowledgeStore(engines[folder], **options)

    return open_store


@pytest.fixture(params=ENGINES)
def engine_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_store(engine_kind: str) -> Iterator[OpenStore]:
    opened: list[VectorEngine] = []
    yield opener(engine_kind, opened)
    for engine in opened:
        engine.close()


@pytest.fixture(scope="module", params=ENGINES)
def module_open_store(request: pytest.FixtureRequest) -> Iterator[OpenStore]:
    """`open_store` for fixtures shared by a module's tests."""
    opened: list[VectorEngine] = []
    yield opener(str(request.param), opened)
    for engine in opened:
        engine.close()

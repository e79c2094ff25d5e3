"""Knowledge base scale: Qdrant Edge (the embedded engine) against qdrant-client's local mode, same data, same run.

Run: .venv/bin/python bench/knowledge_bench.py [--sizes 5000,50000,200000] [--queries 200]
                                              [--local-max 50000] [--local-queries 30]
                                              [--embeddings static-minilm|MODEL] [--clock wall|cpu]

Chunks are synthetic but shaped like the sample knowledge base: sentences recombined from it, with
doc_type, product and audience fields for the filtered runs. Vectors are computed once per size, before
any clock starts (their cost is printed apart), so "ingest" is what the engine takes to store them; each
engine is then timed on the same points, lexical (sparse only) and hybrid (sparse + the dense model,
weighted RRF). The questions' own embeddings are computed ahead too and their cost printed apart, so
the query figures are retrieval only: `engine` is one query to the engine (`KnowledgeStore.query`),
`search` the whole of `knowledge.search.search` (the engine query plus the relevance floor), `filtered`
the same search limited to customer-facing audiences and one doc_type. `reopen` closes the store and
times opening it again and answering one query. `top5 =` is the share of questions whose top five
passages Edge and local mode agree on (up to ties). Local mode scores every point in Python; sizes above
--local-max are not run on it (minutes per size).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qdrant_client import QdrantClient  # noqa: E402

from agents.offline.quoting import sentences  # noqa: E402
from knowledge.chunking import chunk_document  # noqa: E402
from knowledge.client_engine import ClientEngine  # noqa: E402
from knowledge.edge_engine import EdgeEngine  # noqa: E402
from knowledge.embeddings import DEFAULT, TextEmbedder, make_embedder  # noqa: E402
from knowledge.engine import StoredPoint, VectorEngine  # noqa: E402
from knowledge.loaders import load  # noqa: E402
from knowledge.models import CUSTOMER_FACING, Audience, Chunk  # noqa: E402
from knowledge.search import BESIDE_FOR_ANSWERS, FURTHER_FOR_ANSWERS, search  # noqa: E402
from knowledge.store import KnowledgeStore, to_points  # noqa: E402

# Local mode says it is slow past 20k points: measuring how slow is what this script is for.
warnings.filterwarnings("ignore", message="Local mode is not recommended")

SAMPLE = ROOT / "examples" / "knowledge"
DOC_TYPES = ["security", "pricing", "architecture", "spec", "sla", "integration", "case_study", "faq"]
AUDIENCES = list(Audience)
QUERIES = [
    "do we sign a BAA on the Business edition",
    "data residency in Frankfurt",
    "P1 response time with premium support",
    "SAML single sign-on with Okta",
    "self-hosted on Kubernetes air-gapped",
    "price per seat for Enterprise volume tiers",
    "SOC 2 Type II report",
    "events per second latency Snowflake",
]
ENGINES: dict[str, Callable[[Path], VectorEngine]] = {
    "edge": EdgeEngine,
    "local mode": lambda folder: ClientEngine(QdrantClient(path=str(folder))),
}


def corpus_sentences() -> list[str]:
    units: list[str] = []
    for path in sorted(SAMPLE.rglob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        for chunk in chunk_document(load(path, SAMPLE)):
            units.extend(sentences(chunk.text))
    return units


def synthetic_chunks(count: int, units: list[str], rng: random.Random) -> list[Chunk]:
    chunks = []
    for i in range(count):
        text = " ".join(rng.sample(units, k=min(6, len(units))))
        chunks.append(
            Chunk(
                id=str(uuid.UUID(int=rng.getrandbits(128))),
                source=f"synthetic/doc-{i // 8}.md",
                path=f"synthetic/doc-{i // 8}.md",
                title=f"Synthetic document {i // 8}",
                section=f"Section {i % 8}",
                position=i % 8,
                text=text,
                doc_type=DOC_TYPES[i % len(DOC_TYPES)],
                product="halyard-stream",
                updated_at="2026-06-01",
                audience=AUDIENCES[(i // 8) % len(AUDIENCES)],
            )
        )
    return chunks


class Precomputed:
    """The configured embedder, with the bench's questions embedded ahead: what the clock sees is retrieval.
    Anything else (the relevance floor's own sentence embeddings) still goes to the model."""

    def __init__(self, model: TextEmbedder, questions: dict[str, list[float]]) -> None:
        self.model = model
        self.questions = questions

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def embed_query(self, text: str) -> list[float]:
        return self.questions[text] if text in self.questions else self.model.embed_query(text)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.model.embed_documents(texts)


@dataclass
class Row:
    engine: str
    chunks: int
    mode: str
    ingest_rate: float = 0.0  # chunks/s into the engine, vectors given
    settle: float = 0.0  # s: optimize + flush (Edge), nothing to do for local mode
    engine_p95: float = 0.0
    search_p50: float = 0.0
    search_p95: float = 0.0
    filtered_p95: float = 0.0
    answer_p95: float = 0.0  # search as an answer reads it (further passages, the chunks beside)
    reopen: float = 0.0
    disk_mb: float = 0.0
    agreement: float | None = None


Ranking = list[tuple[str, float]]


def same_ranking(one: Ranking, other: Ranking) -> bool:
    """The same passages, or passages that differ only where scores tie (either is as good an answer)."""
    if {point for point, _ in one} == {point for point, _ in other}:
        return True
    scores = [score for _, score in one], [score for _, score in other]
    return len(scores[0]) == len(scores[1]) and all(abs(a - b) < 1e-4 for a, b in zip(*scores, strict=True))


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def folder_size(folder: Path) -> float:
    return sum(f.stat().st_blocks * 512 for f in folder.rglob("*") if f.is_file()) / 1e6  # allocated, not apparent


def measure(
    kind: str, points: list[StoredPoint], embedder: Any, *, mode: str, queries: int, clock: Callable[[], float]
) -> tuple[Row, dict[str, Ranking]]:
    """One engine, one mode: ingest the points, query, reopen. Also returns each question's top five ids."""
    folder = Path(tempfile.mkdtemp(prefix="lto-kb-bench-"))
    row = Row(engine=kind, chunks=len(points), mode=mode)
    try:
        store = KnowledgeStore(ENGINES[kind](folder), embedder=embedder)
        store.ensure()
        started = clock()
        store.write(points)
        row.ingest_rate = len(points) / (clock() - started)
        started = clock()
        store.settle()
        row.settle = clock() - started
        search(store, QUERIES[0])  # warm-up: the floor reads the corpus vocabulary once
        engine_times, search_times, filtered_times, answer_times = [], [], [], []
        for i in range(queries):
            question = QUERIES[i % len(QUERIES)]
            started = clock()
            store.query(question, limit=15)
            engine_times.append((clock() - started) * 1000)
            started = clock()
            search(store, question, limit=5)
            search_times.append((clock() - started) * 1000)
            started = clock()
            search(store, question, limit=5, doc_type="security", audiences=CUSTOMER_FACING)
            filtered_times.append((clock() - started) * 1000)
            started = clock()  # what an answer reads: two further passages and the chunks beside the first five
            search(store, question, limit=5, further=FURTHER_FOR_ANSWERS, beside=BESIDE_FOR_ANSWERS)
            answer_times.append((clock() - started) * 1000)
        top = {question: [(hit.id, hit.score) for hit in store.query(question, limit=5)] for question in QUERIES}
        row.engine_p95 = percentile(engine_times, 95)
        row.search_p50, row.search_p95 = percentile(search_times, 50), percentile(search_times, 95)
        row.filtered_p95 = percentile(filtered_times, 95)
        row.answer_p95 = percentile(answer_times, 95)
        store.close()
        started = time.perf_counter()  # reopening is mostly disk and memory: always wall time
        store = KnowledgeStore(ENGINES[kind](folder), embedder=embedder)
        store.ensure()
        store.query(QUERIES[1], limit=5)
        row.reopen = time.perf_counter() - started
        store.close()
        row.disk_mb = folder_size(folder)
        return row, top
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000,200000")
    parser.add_argument("--queries", type=int, default=200, help="questions timed per row on Edge")
    parser.add_argument("--local-queries", type=int, default=30, help="questions timed per row on local mode")
    parser.add_argument("--local-max", type=int, default=50000, help="largest size run on local mode")
    parser.add_argument("--embeddings", default=DEFAULT, help="the dense model of the hybrid rows")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall: elapsed time; cpu: this process's CPU time, steadier when other work shares the cores",
    )
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    model = make_embedder(args.embeddings)
    if model is None:
        parser.error("--embeddings names the dense model of the hybrid rows; it cannot be none")
    questions = {question: model.embed_query(question) for question in QUERIES}
    started = time.perf_counter()
    for question in QUERIES * 10:
        model.embed_query(question)
    per_question = (time.perf_counter() - started) / (len(QUERIES) * 10) * 1000
    embedder = Precomputed(model, questions)
    units = corpus_sentences()
    print(f"dense model {model.name} {model.version or ''}; {args.clock} clock; query embedding {per_question:.2f} ms")
    header = (
        f"{'engine':<11}{'chunks':>8}  {'mode':<8}{'ingest/s':>10}{'settle s':>10}{'engine p95':>12}"
        f"{'search p50':>12}{'search p95':>12}{'filtered p95':>14}{'answer p95':>12}"
        f"{'reopen s':>10}{'disk MB':>9}{'top5 =':>8}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        chunks = synthetic_chunks(size, units, random.Random(size))
        started = time.perf_counter()
        hybrid_points = to_points(chunks, model)
        vectors_rate = size / (time.perf_counter() - started)
        lexical_points = [replace(point, dense=None) for point in hybrid_points]
        print(f"\n{size} chunks: vectors computed at {vectors_rate:,.0f} chunks/s (keyword analysis + dense model)")
        print(header, flush=True)
        for mode, points, with_embedder in (("lexical", lexical_points, None), ("hybrid", hybrid_points, embedder)):
            tops: dict[str, dict[str, Ranking]] = {}
            for kind in ENGINES:
                if kind == "local mode" and size > args.local_max:
                    print(f"{kind:<11}{size:>8}  {mode:<8}  not run (above --local-max {args.local_max})")
                    continue
                queries = args.queries if kind == "edge" else args.local_queries
                row, tops[kind] = measure(kind, points, with_embedder, mode=mode, queries=queries, clock=clock)
                if len(tops) == 2:
                    same = sum(same_ranking(tops["edge"][q], tops["local mode"][q]) for q in QUERIES)
                    row.agreement = same / len(QUERIES)
                agreement = f"{row.agreement:>8.2f}" if row.agreement is not None else f"{'':>8}"
                print(
                    f"{row.engine:<11}{row.chunks:>8}  {row.mode:<8}{row.ingest_rate:>10,.0f}{row.settle:>10.1f}"
                    f"{row.engine_p95:>12.1f}{row.search_p50:>12.1f}{row.search_p95:>12.1f}{row.filtered_p95:>14.1f}"
                    f"{row.answer_p95:>12.1f}"
                    f"{row.reopen:>10.2f}{row.disk_mb:>9.0f}{agreement}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

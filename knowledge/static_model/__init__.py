"""The shipped static embedding model: a token table distilled from all-MiniLM-L6-v2, run with numpy.

A text's vector is the mean of its tokens' rows, L2-normalised (model2vec's inference, reimplemented
here so the runtime needs only numpy, safetensors and tokenizers: no torch, no model hub). The table
and its tokenizer live in `minilm-static/`; `distill.py` beside this file says how they were made.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parent / "minilm-static"
DEFAULT_MAX_TOKENS = 512


class StaticModelMissing(RuntimeError):
    """The model files are not where the package put them (a broken install)."""


class StaticEmbeddingModel:
    """Texts to unit vectors: tokenize, look up each token's row, average, normalise."""

    def __init__(
        self,
        table: np.ndarray,
        tokenizer: object,
        *,
        config: dict,
        weights: np.ndarray | None = None,
        mapping: np.ndarray | None = None,
    ) -> None:
        self.table = table  # float16 on disk and in memory; rows are widened when averaged
        self.weights = weights
        self.mapping = mapping
        self.config = config
        self.version = str(config.get("version", "unversioned"))
        self.max_tokens = int(config.get("max_length") or DEFAULT_MAX_TOKENS)
        self.normalize = bool(config.get("normalize", True))
        self._tokenizer = tokenizer
        tokenizer.no_padding()  # type: ignore[attr-defined]
        tokenizer.enable_truncation(self.max_tokens)  # type: ignore[attr-defined]
        vocabulary = tokenizer.get_vocab()  # type: ignore[attr-defined]
        # As model2vec does: cut a very long text by characters first (tokens past the cap are dropped anyway).
        self._max_chars = self.max_tokens * int(np.median([len(token) for token in vocabulary]))
        unknown = getattr(tokenizer.model, "unk_token", None)  # type: ignore[attr-defined]
        self._unknown_id = tokenizer.token_to_id(unknown) if unknown else None  # type: ignore[attr-defined]

    @classmethod
    def load(cls, folder: Path = FOLDER) -> StaticEmbeddingModel:
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer

            tensors = load_file(str(folder / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except Exception as exc:  # missing, truncated or unreadable files, or a missing tokenizers package
            raise StaticModelMissing(f"the static embedding model in {folder} cannot be loaded: {exc}") from None
        return cls(
            tensors["embeddings"],
            tokenizer,
            config=config,
            weights=tensors.get("weights"),
            mapping=tensors.get("mapping"),
        )

    @property
    def dimensions(self) -> int:
        return int(self.table.shape[1])

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        encode = getattr(self._tokenizer, "encode_batch_fast", None) or self._tokenizer.encode_batch  # type: ignore[attr-defined]
        encodings = encode([text[: self._max_chars] for text in texts], add_special_tokens=False)
        return [[i for i in encoding.ids if i != self._unknown_id] for encoding in encodings]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 row per text; a text with no known token gets a zero vector."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, ids in enumerate(self.token_ids(texts)):
            if not ids:
                continue
            rows = self.table[self.mapping[ids] if self.mapping is not None else ids].astype(np.float32)
            if self.weights is not None:
                rows = rows * self.weights[ids][:, None]
            out[row] = rows.mean(axis=0)
        if self.normalize:
            out /= np.linalg.norm(out, axis=1, keepdims=True) + 1e-32
        return out


@lru_cache(maxsize=1)
def shipped_model() -> StaticEmbeddingModel:
    """The model shipped in the package, loaded once per process."""
    return StaticEmbeddingModel.load(FOLDER)

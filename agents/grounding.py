"""What every agent's `search_knowledge` tool does: search, remember what was retrieved, hand it back.

Remembering matters: answers and claims may cite only chunks this run retrieved, and the
validators check them against this list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from knowledge.models import Passage

logger = logging.getLogger(__name__)

UNAVAILABLE = "The knowledge base is unavailable right now: make no product claims you cannot cite."
Search = Callable[[str, str | None, str | None], list[Passage]]


def search_and_remember(
    search: Search | None, retrieved: list[Passage], query: str, product: str | None = None, doc_type: str | None = None
) -> list[dict[str, Any]] | str:
    if search is None:
        return UNAVAILABLE
    try:
        found = search(query, product, doc_type)
    except Exception:  # Qdrant down or misconfigured: say so rather than invent sources
        logger.exception("knowledge search failed")
        return UNAVAILABLE
    for passage in found:
        if all(p.chunk_id != passage.chunk_id for p in retrieved):
            retrieved.append(passage)
    return [p.model_dump(exclude={"score"}) for p in found]

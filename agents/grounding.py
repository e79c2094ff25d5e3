"""What every agent's `search_knowledge` tool does: search, remember what was retrieved, hand it back.

Remembering matters: answers and claims may cite only chunks this run retrieved, and the
validators check them against this list. A search for what a customer will read names the
audiences it may use; a passage written for anyone else never enters the list, even if the
search behind it failed to filter it out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Set
from typing import Any

from knowledge.models import Passage

logger = logging.getLogger(__name__)

UNAVAILABLE = "The knowledge base is unavailable right now: make no product claims you cannot cite."
Search = Callable[[str, str | None, str | None], list[Passage]]


def search_and_remember(
    search: Search | None,
    retrieved: list[Passage],
    query: str,
    product: str | None = None,
    doc_type: str | None = None,
    *,
    audiences: Set[str] | None = None,
) -> list[dict[str, Any]] | str:
    """Search, keep what was found for citing, return it to the model; with `audiences`, only passages
    written for them (None: every audience)."""
    if search is None:
        return UNAVAILABLE
    try:
        found = search(query, product, doc_type)
    except Exception:  # Qdrant down or misconfigured: say so rather than invent sources
        logger.exception("knowledge search failed")
        return UNAVAILABLE
    if audiences is not None:
        found = [passage for passage in found if passage.audience in audiences]
    for passage in found:
        if all(p.chunk_id != passage.chunk_id for p in retrieved):
            retrieved.append(passage)
    return [p.model_dump(exclude={"score"}) for p in found]

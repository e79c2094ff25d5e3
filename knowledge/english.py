"""General English: the words a reader knows without knowing the product.

The embedding model's word pieces know most everyday words as one piece each, but not every one: "sandbox",
"shortcut", "lag" and "gotcha" are split into pieces like "SCIM" and "GraphQL" are. A word list counted over
general speech (pyspellchecker's English list, counted over film and television subtitles) knows them, and
little of the jargon a product's pages are written in.
"""

from __future__ import annotations

import functools

GENERAL_WORDS = 30_000  # the commonest words of the list: below them it is names, jargon and rare forms


@functools.cache
def frequent_words() -> frozenset[str]:
    """The GENERAL_WORDS commonest words of general English."""
    from spellchecker import SpellChecker

    counts = SpellChecker(language="en", distance=1).word_frequency.dictionary
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:GENERAL_WORDS]
    return frozenset(word for word, _ in ordered)

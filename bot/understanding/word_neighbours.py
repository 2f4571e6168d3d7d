"""Words of nearly the same meaning, from the shipped static word vectors.

An intent's examples cannot name every way of saying a thing: "closest" asks what "nearest" asks, and
"restroom" what "toilet" asks. A word is known to an intent when one of the intent's own words lies close
to it in the static vector table (bot/understanding/static_vectors.py), so only words whose meaning the
intent already covers pass; "visa" or "sponsorship" for jobs stay unknown. The table is distilled for
sentences, not single words: it misses many synonyms ("loo" and "toilet" are far apart), so the bar is
high and a miss only means the owner sees the draft first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from bot.understanding.static_vectors import StaticVectors, load_table

# Cosine similarity from which two words count as one meaning: "closest"/"nearest" 0.78, "kids"/"children"
# 0.86, "restroom"/"toilet" 0.77, "telephone"/"phone" 0.73. Siblings that ask something else score lower,
# but some come close ("cats"/"dogs" 0.61, "staff"/"employees" 0.65, "earlier"/"later" 0.65), so the bar
# sits above them; a few opposites still pass ("upstairs"/"downstairs" 0.83).
NEIGHBOUR_CUTOFF = 0.7


def word_vector(table: StaticVectors, word: str) -> np.ndarray | None:
    """The unit-length mean of the word's pieces' vectors, or None for a word with no known piece."""
    ids = table.wordpiece.ids(word)
    if not ids:
        return None
    summed = table.rows(np.asarray(ids, dtype=np.int64)).sum(axis=0)
    norm = float(np.linalg.norm(summed))
    return summed / norm if norm > 0 else None


@dataclass(frozen=True)
class WordNeighbours:
    """Per intent, its words and their unit vectors (one row each)."""

    words: Mapping[str, tuple[str, ...]]
    vectors: Mapping[str, np.ndarray]
    table: StaticVectors

    @classmethod
    def of(cls, words_by_intent: Mapping[str, Iterable[str]], table: StaticVectors | None = None) -> WordNeighbours:
        table = table or load_table()
        words: dict[str, tuple[str, ...]] = {}
        vectors: dict[str, np.ndarray] = {}
        for intent, given in words_by_intent.items():
            found = [(w, v) for w in dict.fromkeys(given) if (v := word_vector(table, w)) is not None]
            words[intent] = tuple(w for w, _ in found)
            vectors[intent] = np.stack([v for _, v in found]) if found else np.zeros((0, table.dims), np.float32)
        return cls(words, vectors, table)

    def closest(self, intent: str, word: str) -> tuple[str, float] | None:
        """The intent's word nearest in meaning to `word` and their similarity (None if it has no words)."""
        rows = self.vectors.get(intent)
        vector = word_vector(self.table, word)
        if rows is None or len(rows) == 0 or vector is None:
            return None
        similarity = rows @ vector
        best = int(similarity.argmax())
        return self.words[intent][best], float(similarity[best])

    def knows(self, intent: str, word: str) -> bool:
        """Whether one of the intent's words means nearly what `word` means. A word that merely starts or
        ends with one of them is another thing ("paypal" is not "pay", "cashpoint" not "cash"): their
        vectors are close only because they share a piece."""
        found = self.closest(intent, word)
        if found is None or found[1] < NEIGHBOUR_CUTOFF:
            return False
        neighbour = found[0]
        return not (word.startswith(neighbour) or word.endswith(neighbour)
                    or neighbour.startswith(word) or neighbour.endswith(word))

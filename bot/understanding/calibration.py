"""Held-out scores and ranks: how confidence is made comparable across businesses.

Each training example is scored by a model trained without it (k-fold). A new message's
score is then ranked among those held-out scores: rank 0.2 means "as unsure as the least
sure fifth of genuine in-scope messages". The rank does not depend on how many examples
an intent has or on the scale of the model's raw scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_FOLDS = 5


@dataclass(frozen=True, slots=True)
class RankScale:
    """The sorted held-out scores of in-scope examples."""

    sorted_scores: np.ndarray

    @classmethod
    def of(cls, scores: Sequence[float] | np.ndarray) -> RankScale:
        return cls(np.sort(np.asarray(scores, dtype=np.float64)))

    def rank(self, score: float) -> float:
        """The fraction of held-out scores strictly below `score` (ties count half)."""
        n = len(self.sorted_scores)
        if n == 0:
            return 1.0
        below = np.searchsorted(self.sorted_scores, score, side="left")
        at_or_below = np.searchsorted(self.sorted_scores, score, side="right")
        return float((below + at_or_below) / (2 * n))

    def ranks(self, scores: np.ndarray) -> np.ndarray:
        n = max(1, len(self.sorted_scores))
        below = np.searchsorted(self.sorted_scores, scores, side="left")
        at_or_below = np.searchsorted(self.sorted_scores, scores, side="right")
        return (below + at_or_below) / (2 * n)


def fold_ids(labels: Sequence[str], seed: int = 0) -> np.ndarray:
    """Assign each example to a fold, spreading every intent's examples round-robin."""
    labels_arr = np.asarray(labels)
    counts = {label: int((labels_arr == label).sum()) for label in set(labels_arr.tolist())}
    n_folds = max(2, min(MAX_FOLDS, max(counts.values(), default=2)))
    rng = np.random.default_rng(seed)
    folds = np.zeros(len(labels_arr), dtype=np.int64)
    offset = 0
    for label in sorted(counts):
        members = np.flatnonzero(labels_arr == label)
        rng.shuffle(members)
        folds[members] = (np.arange(len(members)) + offset) % n_folds
        offset += len(members)
    return folds

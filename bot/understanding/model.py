"""A linear intent model whose scores are ranked against held-out examples.

Two signals are combined, each as a held-out rank: the linear model's score for its best
intent (how far past the decision boundary) and the cosine similarity to the nearest
example of that intent. `similarity_weight` sets their mix; the mix is ranked once more so
the result is again uniformly spread over genuine in-scope messages.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC

from bot.understanding.calibration import RankScale, fold_ids
from bot.understanding.features import Matrix, similarities

CHUNK = 512


@dataclass(frozen=True, slots=True)
class ModelSettings:
    c: float = 3.0
    similarity_weight: float = 0.0


@dataclass(frozen=True, slots=True)
class Scored:
    """The best intent for a message, its held-out rank, and its nearest-example similarity."""

    label: str
    rank: float
    similarity: float


@dataclass(frozen=True, slots=True)
class RawScores:
    labels: np.ndarray
    decision: np.ndarray
    similarity: np.ndarray


def fit_linear(matrix: Matrix, labels: np.ndarray, c: float) -> LinearSVC | None:
    if len(set(labels.tolist())) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LinearSVC(C=c, max_iter=5000).fit(matrix, labels)


def fit_concurrently(matrix: Matrix, labels: np.ndarray, masks: list[np.ndarray], c: float) -> list[LinearSVC | None]:
    """One model per row mask. liblinear releases the GIL, so the fits share the cores."""
    workers = max(1, min(len(masks), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="intent-fit") as pool:
        return list(pool.map(lambda mask: fit_linear(matrix[mask], labels[mask], c), masks))


@dataclass(frozen=True)
class Examples:
    """The training rows grouped by intent, for nearest-example similarity."""

    by_label: dict[str, Matrix]

    @classmethod
    def of(cls, matrix: Matrix, labels: np.ndarray) -> Examples:
        return cls({str(label): matrix[labels == label] for label in np.unique(labels)})

    def nearest(self, rows: Matrix, best: np.ndarray) -> np.ndarray:
        """Cosine similarity of each row to the nearest example of its best label (0 if none)."""
        nearest = np.zeros(rows.shape[0])
        for label in np.unique(best):
            members = self.by_label.get(str(label))
            if members is None:
                continue
            mask = best == label
            chosen = rows if mask.all() else rows[mask]
            for start in range(0, chosen.shape[0], CHUNK):
                part = similarities(chosen[start:start + CHUNK], members).max(axis=1)
                nearest[np.flatnonzero(mask)[start:start + CHUNK]] = part
        return np.maximum(nearest, 0.0)


def decide(linear: LinearSVC | None, labels: np.ndarray, rows: Matrix) -> tuple[np.ndarray, np.ndarray]:
    """Best label and its decision value per row (the matrix product, without sklearn's checks)."""
    n = rows.shape[0]
    if linear is None:
        return np.full(n, labels[0] if len(labels) else ""), np.zeros(n)
    values = np.asarray(rows @ linear.coef_.T) + linear.intercept_
    if values.shape[1] == 1:
        values = np.column_stack([-values[:, 0], values[:, 0]])
    return linear.classes_[values.argmax(axis=1)], values.max(axis=1)


def raw_scores(linear: LinearSVC | None, examples: Examples, labels: np.ndarray, rows: Matrix, with_similarity: bool = True) -> RawScores:
    best, decision = decide(linear, labels, rows)
    similarity = examples.nearest(rows, best) if with_similarity else np.zeros(len(best))
    return RawScores(best, decision, similarity)


class CalibratedModel:
    """Predicts an intent with a held-out rank; see the module docstring."""

    def __init__(self, matrix: Matrix, labels: Sequence[str], settings: ModelSettings = ModelSettings()) -> None:
        self._matrix = matrix
        self._labels = np.asarray(labels)
        self._examples = Examples.of(matrix, self._labels)
        folds = fold_ids(self._labels.tolist())
        masks = [np.ones(len(self._labels), dtype=bool)] + [folds != fold for fold in np.unique(folds)]
        self._linear, *fold_models = fit_concurrently(matrix, self._labels, masks, settings.c)
        self._weight = settings.similarity_weight if self._linear is not None else 1.0
        held = self._held_out(masks[1:], fold_models)
        self._decision_scale = RankScale.of(held.decision)
        self._similarity_scale = RankScale.of(held.similarity)
        self._mix_scale = RankScale.of(self._mix(held.decision, held.similarity))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted(set(self._labels.tolist())))

    def _held_out(self, train_masks: list[np.ndarray], fold_models: list[LinearSVC | None]) -> RawScores:
        parts: list[RawScores] = []
        for train, linear in zip(train_masks, fold_models):
            test = ~train
            if linear is None and self._linear is not None:
                continue
            examples = Examples.of(self._matrix[train], self._labels[train])
            parts.append(raw_scores(linear, examples, self._labels[train], self._matrix[test], self._weight > 0))
        return RawScores(
            np.concatenate([p.labels for p in parts]) if parts else np.array([]),
            np.concatenate([p.decision for p in parts]) if parts else np.array([]),
            np.concatenate([p.similarity for p in parts]) if parts else np.array([]),
        )

    def _mix(self, decision: np.ndarray, similarity: np.ndarray) -> np.ndarray:
        by_decision = self._decision_scale.ranks(decision)
        by_similarity = self._similarity_scale.ranks(similarity)
        return (1.0 - self._weight) * by_decision + self._weight * by_similarity

    def nearest(self, rows: Matrix, labels: np.ndarray) -> np.ndarray:
        return self._examples.nearest(rows, labels)

    def score_rows(self, rows: Matrix, with_similarity: bool = False) -> list[Scored]:
        """Scores for rows; `similarity` is 0 unless it is used or asked for."""
        needed = with_similarity or self._weight > 0
        raw = raw_scores(self._linear, self._examples, self._labels, rows, needed)
        ranks = self._mix_scale.ranks(self._mix(raw.decision, raw.similarity))
        return [Scored(str(lbl), float(r), float(s)) for lbl, r, s in zip(raw.labels, ranks, raw.similarity)]

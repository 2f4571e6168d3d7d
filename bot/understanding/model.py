"""A linear intent model whose scores are ranked against held-out examples.

Up to three signals are combined, each as a held-out rank: the linear model's score for its
best intent (how far past the decision boundary); the cosine similarity to that intent's
prototype, the mean direction of its examples on the featurizer's meaning columns; and the
similarity of the wording (the featurizer's word and character columns) to that intent's
closest example. The ranks are combined as a weighted geometric mean (the settings give the
prototype's and the wording's exponents, the linear score gets the rest), so a message must
clear the boundary, resemble its intent and be worded like one of its examples to rank
high; the mix is ranked once more so the result is again uniformly spread over genuine
in-scope messages.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from bot.understanding.calibration import RankScale, fold_ids
from bot.understanding.features import Matrix, normalize_rows, similarities

CHUNK = 512
# Training rows under this label are what the business does not answer (near misses of its intents and
# requests it does not serve). They are a class the linear model can pick, but never a genuine in-scope
# example: they are left out of the rank scales, so a confidence still means the same thing.
NOT_ANSWERED = "__not_answered__"


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """The linear model's C and the exponents of the prototype, wording and margin ranks in the mix."""

    c: float = 3.0
    prototype_weight: float = 0.0
    wording_weight: float = 0.0
    margin_weight: float = 0.0


@dataclass(frozen=True, slots=True)
class Scored:
    """The best intent for a message, its held-out rank, and its nearest-example similarity."""

    label: str
    rank: float
    similarity: float


@dataclass(frozen=True, slots=True)
class RawScores:
    """Per row: best label, its decision value, nearest-example, prototype and wording similarity, and (for
    held-out training rows) the row's true label."""

    labels: np.ndarray
    decision: np.ndarray
    similarity: np.ndarray
    likeness: np.ndarray
    wording: np.ndarray
    margin: np.ndarray
    truth: np.ndarray | None = None

    FIELDS = ("labels", "decision", "similarity", "likeness", "wording", "margin", "truth")


def _rows(raw: RawScores, keep: np.ndarray) -> RawScores:
    if raw.truth is None or keep.all():
        return raw
    return RawScores(*(getattr(raw, name)[keep] for name in RawScores.FIELDS))


@dataclass(frozen=True)
class LinearWeights:
    """A fitted linear SVM as plain arrays: weights laid out feature by feature (a sparse row times
    `coef_.T` would copy the transposed view on every call), intercepts and class names. A stored model
    keeps these, so it loads and scores without scikit-learn."""

    by_feature: np.ndarray
    intercept: np.ndarray
    classes: np.ndarray


def fit_linear(matrix: Matrix, labels: np.ndarray, c: float) -> LinearWeights | None:
    if len(set(labels.tolist())) < 2:
        return None
    # Imported here: only training needs scikit-learn, and importing it costs a process about a second.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted = LinearSVC(C=c, max_iter=5000).fit(matrix, labels)
    return LinearWeights(np.ascontiguousarray(fitted.coef_.T), np.asarray(fitted.intercept_), np.asarray(fitted.classes_))


def fit_concurrently(matrix: Matrix, labels: np.ndarray, masks: list[np.ndarray], c: float) -> list[LinearWeights | None]:
    """One model per row mask. liblinear releases the GIL, so the fits share the cores."""
    workers = max(1, min(len(masks), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="intent-fit") as pool:
        return list(pool.map(lambda mask: fit_linear(matrix[mask], labels[mask], c), masks))


@dataclass(frozen=True)
class Examples:
    """The training rows grouped by intent, on `columns`, for nearest-example similarity."""

    by_label: dict[str, Matrix]
    columns: slice | None = None  # None: every column

    @classmethod
    def of(cls, matrix: Matrix, labels: np.ndarray, columns: slice | None = None) -> Examples:
        part = matrix[:, columns] if columns is not None else matrix
        return cls({str(label): part[labels == label] for label in np.unique(labels)}, columns)

    def nearest(self, rows: Matrix, best: np.ndarray) -> np.ndarray:
        """Dot product of each row (on `columns`) with the nearest example of its best label (0 if none)."""
        if self.columns is not None:
            rows = rows[:, self.columns]
        if rows.shape[0] == 1:
            # One message, as the bot classifies: the same product without grouping and slicing rows.
            members = self.by_label.get(str(best[0]))
            return np.zeros(1) if members is None else np.maximum(similarities(rows, members).max(axis=1), 0.0)
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


@dataclass(frozen=True)
class Prototypes:
    """Each intent's mean example direction on `columns` (the featurizer's meaning columns).

    A mean over an intent's examples is steadier than its single nearest example, which one
    odd phrasing can make look close to anything; with sentence embeddings, leaving out the
    TF-IDF columns keeps shared filler words from making unrelated messages look alike.
    """

    labels: tuple[str, ...]
    vectors: np.ndarray
    columns: slice

    @classmethod
    def of(cls, matrix: Matrix, labels: np.ndarray, columns: slice) -> Prototypes:
        names = tuple(str(label) for label in np.unique(labels))
        unit = normalize_rows(matrix[:, columns])
        means = [np.asarray(unit[labels == name].mean(axis=0)).ravel() for name in names]
        return cls(names, normalize_rows(np.stack(means)) if means else np.zeros((0, unit.shape[1])), columns)

    def likeness(self, rows: Matrix, best: np.ndarray) -> np.ndarray:
        """Cosine similarity of each row to the prototype of its best label (0 if it has none)."""
        index = {name: i for i, name in enumerate(self.labels)}
        found = np.array([index.get(str(label), -1) for label in best], dtype=np.int64)
        if len(found) == 0 or not self.labels:
            return np.zeros(len(found))
        cosines = similarities(normalize_rows(rows[:, self.columns]), self.vectors)
        return np.where(found >= 0, cosines[np.arange(len(found)), np.maximum(found, 0)], 0.0)


def decide(linear: LinearWeights | None, labels: np.ndarray, rows: Matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best label, its decision value, and how far it leads the runner-up, per row (the matrix product,
    without sklearn's checks)."""
    n = rows.shape[0]
    if linear is None:
        return np.full(n, labels[0] if len(labels) else ""), np.zeros(n), np.zeros(n)
    values = np.asarray(rows @ linear.by_feature) + linear.intercept
    if values.shape[1] == 1:
        values = np.column_stack([-values[:, 0], values[:, 0]])
    top_two = np.partition(values, values.shape[1] - 2, axis=1)[:, -2:]
    return linear.classes[values.argmax(axis=1)], top_two.max(axis=1), top_two[:, 1] - top_two[:, 0]


def raw_scores(linear: LinearWeights | None, examples: Examples | None, prototypes: Prototypes | None,
               wording: Examples | None, labels: np.ndarray, rows: Matrix) -> RawScores:
    """Scores for rows; each similarity is 0 when what it compares with is not given."""
    best, decision, margin = decide(linear, labels, rows)
    zeros = np.zeros(len(best))
    similarity = examples.nearest(rows, best) if examples is not None else zeros
    likeness = prototypes.likeness(rows, best) if prototypes is not None else zeros
    worded = wording.nearest(rows, best) if wording is not None else zeros
    return RawScores(best, decision, similarity, likeness, worded, margin)


class CalibratedModel:
    """Predicts an intent with a held-out rank; see the module docstring."""

    def __init__(self, matrix: Matrix, labels: Sequence[str], settings: ModelSettings = ModelSettings(),
                 meaning_columns: slice = slice(None), wording_columns: slice | None = None) -> None:
        self._labels = np.asarray(labels)
        self._columns = meaning_columns
        self._wording_columns = wording_columns
        self._examples = Examples.of(matrix, self._labels)
        folds = fold_ids(self._labels.tolist())
        masks = [np.ones(len(self._labels), dtype=bool)] + [folds != fold for fold in np.unique(folds)]
        self._linear, *fold_models = fit_concurrently(matrix, self._labels, masks, settings.c)
        # With one intent there is no boundary to clear: the prototype alone decides.
        self._prototype_weight = settings.prototype_weight if self._linear is not None else 1.0
        self._wording_weight = settings.wording_weight if self._linear is not None else 0.0
        self._margin_weight = settings.margin_weight if self._linear is not None else 0.0
        self._prototypes = self._prototypes_of(matrix, self._labels)
        self._wording = self._wording_of(matrix, self._labels)
        held = self._held_out(matrix, masks[1:], fold_models)
        held = _rows(held, held.truth != NOT_ANSWERED)
        self._decision_scale = RankScale.of(held.decision)
        self._likeness_scale = RankScale.of(held.likeness)
        self._wording_scale = RankScale.of(held.wording)
        self._margin_scale = RankScale.of(held.margin)
        self._mix_scale = RankScale.of(self._mix(held))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted(set(self._labels.tolist()) - {NOT_ANSWERED}))

    def _held_out(self, matrix: Matrix, train_masks: list[np.ndarray], fold_models: list[LinearWeights | None]) -> RawScores:
        parts: list[RawScores] = []
        for train, linear in zip(train_masks, fold_models):
            test = ~train
            if linear is None and self._linear is not None:
                continue
            fold_matrix, labels = matrix[train], self._labels[train]
            prototypes, wording = self._prototypes_of(fold_matrix, labels), self._wording_of(fold_matrix, labels)
            scores = raw_scores(linear, None, prototypes, wording, labels, matrix[test])
            parts.append(RawScores(*(getattr(scores, name) for name in RawScores.FIELDS[:-1]), self._labels[test]))
        return RawScores(*(np.concatenate([getattr(p, name) for p in parts]) if parts else np.array([])
                           for name in RawScores.FIELDS))

    def _prototypes_of(self, matrix: Matrix, labels: np.ndarray) -> Prototypes | None:
        # Only built when used: over TF-IDF columns the means are large and dense.
        return Prototypes.of(matrix, labels, self._columns) if self._prototype_weight > 0 else None

    def _wording_of(self, matrix: Matrix, labels: np.ndarray) -> Examples | None:
        return Examples.of(matrix, labels, self._wording_columns) if self._wording_weight > 0 else None

    def _mix(self, raw: RawScores) -> np.ndarray:
        # A geometric mean: one clearly low signal is enough to doubt a message, which an
        # average would let the others outvote (weights of 0 leave the decision rank alone).
        decision_weight = 1.0 - self._prototype_weight - self._wording_weight - self._margin_weight
        mixed = self._decision_scale.ranks(raw.decision) ** decision_weight
        if self._prototype_weight > 0:
            mixed = mixed * self._likeness_scale.ranks(raw.likeness) ** self._prototype_weight
        if self._wording_weight > 0:
            mixed = mixed * self._wording_scale.ranks(raw.wording) ** self._wording_weight
        if self._margin_weight > 0:
            mixed = mixed * self._margin_scale.ranks(raw.margin) ** self._margin_weight
        return mixed

    def score_rows(self, rows: Matrix, with_similarity: bool = False) -> list[Scored]:
        """Scores for rows; `similarity` (to the nearest example) is 0 unless asked for."""
        examples = self._examples if with_similarity else None
        raw = raw_scores(self._linear, examples, self._prototypes, self._wording, self._labels, rows)
        ranks = self._mix_scale.ranks(self._mix(raw))
        return [Scored(str(lbl), float(r), float(s)) for lbl, r, s in zip(raw.labels, ranks, raw.similarity)]

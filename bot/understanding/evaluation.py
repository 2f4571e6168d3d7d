"""Scoring the classifier on a labelled set, as in Larson et al. 2019.

An in-scope message predicted out of scope counts as wrong; out-of-scope recall and
precision are about the out-of-scope label; latency is measured one message at a time,
as the router calls the classifier. Percentages are 0–100.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from bot.understanding import IntentSpec, train_classifier
from bot.understanding.classifier import IntentClassifier
from bot.understanding.evaluation_data import EvalSet, Example


@dataclass(frozen=True, slots=True)
class Metrics:
    in_scope_accuracy: float
    oos_recall: float
    oos_precision: float
    accuracy: float


@dataclass(frozen=True, slots=True)
class EvalReport:
    in_scope_accuracy: float
    oos_recall: float
    oos_precision: float
    accuracy: float
    train_seconds: float
    classify_p50_ms: float
    classify_p99_ms: float
    n_train: int
    n_test: int
    backend: str
    gate: float

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def score(gold: Sequence[str | None], predicted: Sequence[str | None]) -> Metrics:
    """Larson et al.'s metrics; None is the out-of-scope label."""
    pairs = list(zip(gold, predicted, strict=True))
    in_scope = [(g, p) for g, p in pairs if g is not None]
    said_oos = [g for g, p in pairs if p is None]
    n_oos = sum(1 for g, _ in pairs if g is None)
    caught = sum(1 for g in said_oos if g is None)
    return Metrics(
        in_scope_accuracy=_percent(sum(g == p for g, p in in_scope), len(in_scope)),
        oos_recall=_percent(caught, n_oos),
        oos_precision=_percent(caught, len(said_oos)),
        accuracy=_percent(sum(g == p for g, p in pairs), len(pairs)),
    )


def specs_from(examples: Sequence[Example]) -> list[IntentSpec]:
    by_label: dict[str, list[str]] = defaultdict(list)
    for example in examples:
        if example.label is not None:
            by_label[example.label].append(example.text)
    return [IntentSpec(name, tuple(texts)) for name, texts in sorted(by_label.items())]


def tune_gate(classifier: IntentClassifier, val: Sequence[Example], oos_share: float | None = None) -> float:
    """The out-of-scope gate (a held-out rank) with the best accuracy over the validation examples.

    As in Larson et al. 2019 by default: every label, out-of-scope included, counts once per
    message, so the split's own mix sets the trade-off (CLINC150's val is 3 % out of scope).
    `oos_share` re-weights the split as if that share of messages were out of scope, for an
    inbox whose mix is known to differ. Ties go to the lowest gate.
    """
    scored = [(e.label, classifier.score(e.text)) for e in val]
    ranks = np.array([s.rank if s is not None else 0.0 for _, s in scored])
    right = np.array([s is not None and s.label == g for g, s in scored])
    is_oos = np.array([g is None for g, _ in scored])
    if is_oos.all() or not is_oos.any():
        return classifier.gate
    best_gate, best_value = classifier.gate, -1.0
    for gate in np.unique(np.concatenate([[0.0], ranks, [1.0 + 1e-9]])):
        kept = ranks >= gate
        in_scope_right, oos_caught = (right & kept & ~is_oos).sum(), (~kept & is_oos).sum()
        if oos_share is None:
            value = float(in_scope_right + oos_caught)
        else:
            value = (1 - oos_share) * in_scope_right / (~is_oos).sum() + oos_share * oos_caught / is_oos.sum()
        if value > best_value:
            best_gate, best_value = float(gate), value
    return best_gate


def evaluate(data: EvalSet, *, backend: str = "default", calibrate: bool = False, model_name: str | None = None,
             oos_share: float | None = None) -> EvalReport:
    """Train on `data.train`, optionally tune the gate on `data.val`, and score `data.test`."""
    started = time.perf_counter()
    classifier = train_classifier(specs_from(data.train), backend=backend, model_name=model_name)
    train_seconds = time.perf_counter() - started
    if calibrate and data.val:
        classifier = classifier.with_gate(tune_gate(classifier, data.val, oos_share))
    predicted, latencies = classify_all(classifier, [e.text for e in data.test])
    metrics = score([e.label for e in data.test], predicted)
    return EvalReport(
        **asdict(metrics),
        train_seconds=round(train_seconds, 3),
        classify_p50_ms=round(float(np.percentile(latencies, 50)), 3),
        classify_p99_ms=round(float(np.percentile(latencies, 99)), 3),
        n_train=len(data.train),
        n_test=len(data.test),
        backend=backend,
        gate=round(classifier.gate, 4),
    )


def classify_all(classifier: IntentClassifier, texts: Sequence[str]) -> tuple[list[str | None], np.ndarray]:
    """Predicted intents (None = out of scope) and per-message latency in milliseconds."""
    if texts:
        classifier.classify(texts[0])  # warm-up: first-call costs are not the bot's steady state
    predicted: list[str | None] = []
    latencies = np.empty(len(texts))
    for index, text in enumerate(texts):
        started = time.perf_counter()
        predicted.append(classifier.classify(text).name)
        latencies[index] = (time.perf_counter() - started) * 1000.0
    return predicted, latencies

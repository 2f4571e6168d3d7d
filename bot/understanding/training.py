"""Train a classifier from intent specs and owner-confirmed examples."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from bot.messages import Intent
from bot.understanding.base import Classifier, IntentSpec, LabelledExample
from bot.understanding.keywords import compile_rules, match_rules

# Cosine similarity to the nearest training example below which a message is out of scope.
DEFAULT_SIMILARITY_FLOOR = 0.35


class NearestExampleClassifier:
    """TF-IDF (words and character n-grams) and the nearest labelled example, keyword rules first."""

    def __init__(self, specs: Sequence[IntentSpec], owner_examples: Iterable[LabelledExample] = ()) -> None:
        self._rules = compile_rules(list(specs))
        texts: list[str] = []
        labels: list[str] = []
        for spec in specs:
            for example in spec.examples:
                texts.append(example)
                labels.append(spec.name)
        for example in owner_examples:
            if example.intent is not None:
                texts.append(example.text)
                labels.append(example.intent)
        self._labels = np.array(labels)
        self._vectorizer = FeatureUnion([
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
        ])
        self._matrix = self._vectorizer.fit_transform(texts) if texts else None

    def classify(self, text: str) -> Intent:
        ruled = match_rules(self._rules, text)
        if ruled is not None:
            return Intent(ruled, 1.0, "keyword")
        if self._matrix is None or not text.strip():
            return Intent(None, 0.0, "none")
        vector = self._vectorizer.transform([text])
        # Two TF-IDF blocks, each L2-normalised: halve the dot product to get a cosine in [0, 1].
        similarities = (self._matrix @ vector.T).toarray().ravel() / 2.0
        best = int(similarities.argmax())
        score = float(similarities[best])
        if score < DEFAULT_SIMILARITY_FLOOR:
            return Intent(None, score, "none")
        return Intent(str(self._labels[best]), min(1.0, score), "model")


def train_classifier(
    specs: Sequence[IntentSpec],
    owner_examples: Iterable[LabelledExample] = (),
    *,
    backend: str = "default",
) -> Classifier:
    return NearestExampleClassifier(specs, owner_examples)

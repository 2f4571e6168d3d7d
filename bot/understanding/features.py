"""Turning texts into L2-normalised vectors: the part that differs between backends.

A featurizer is fitted on the training texts (TF-IDF learns its vocabulary; a sentence
encoder learns nothing) and then maps any text to a row whose dot product with another row
is their cosine similarity.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.preprocessing import normalize

Matrix = np.ndarray | sparse.spmatrix


class Featurizer(Protocol):
    def fit(self, texts: Sequence[str]) -> Matrix: ...

    def transform(self, texts: Sequence[str]) -> Matrix: ...

    def meaning_columns(self) -> slice:
        """The columns whose cosine says most about two messages meaning the same (after fit)."""
        ...

    def wording_columns(self) -> slice:
        """The columns of exact wording: words, word pairs and character n-grams (after fit)."""
        ...


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_DIGITS = re.compile(r"[0-9]+")
_CONTRACTIONS = {
    "can't": "can not", "cant": "can not", "won't": "will not", "don't": "do not", "dont": "do not",
    "doesn't": "does not", "didn't": "did not", "isn't": "is not", "aren't": "are not",
    "what's": "what is", "whats": "what is", "where's": "where is", "how's": "how is",
    "who's": "who is", "it's": "it is", "that's": "that is", "let's": "let us", "i'm": "i am",
    "im": "i am", "i've": "i have", "i'd": "i would", "i'll": "i will", "you're": "you are",
}


def normalise(text: str) -> str:
    """Lower case, accents and curly apostrophes removed, every run of digits one `0`."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("\u2019", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _DIGITS.sub("0", plain)


def word_terms(text: str) -> list[str]:
    """Normalised words with contractions spelled out, their bigrams, and bigrams that skip one word."""
    words = [part for token in _TOKEN.findall(normalise(text)) for part in _CONTRACTIONS.get(token, token).split()]
    terms = list(words)
    terms += [f"{a} {b}" for a, b in zip(words, words[1:])]
    terms += [f"{a} _ {b}" for a, b in zip(words, words[2:])]
    return terms


class TfidfFeaturizer:
    """Words, word bigrams and one-word-skipping bigrams (see `word_terms`) plus character
    2–5-grams inside word boundaries, sublinear TF: the exact-wording part both backends'
    featurizers join with their dense vectors.

    Batches go through scikit-learn; a single message takes a direct path that gives the
    same vector in a fraction of the time (the bot classifies one message at a time).
    """

    def __init__(self) -> None:
        self._union = FeatureUnion([
            ("words", TfidfVectorizer(analyzer=word_terms, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ])

    def fit(self, texts: Sequence[str]) -> Matrix:
        matrix = normalize(self._union.fit_transform(list(texts))).tocsr()
        return matrix

    def transform(self, texts: Sequence[str]) -> Matrix:
        if len(texts) == 1:
            return self._transform_one(texts[0])
        return normalize(self._union.transform(list(texts))).tocsr()

    def _transform_one(self, text: str) -> sparse.csr_matrix:
        index, value, width = self.entries_one(text)
        return sparse.csr_matrix((value, index, np.array([0, len(index)], dtype=np.int32)), shape=(1, width), copy=False)

    def entries_one(self, text: str) -> tuple[np.ndarray, np.ndarray, int]:
        """One text's unit-length row as (column indices, values, row width), sorted by column."""
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        offset = 0
        for _, vectorizer in self._union.transformer_list:
            block_indices, block_values = _tfidf_block(vectorizer.build_analyzer(), vectorizer, text)
            indices.append(block_indices + offset)
            values.append(block_values)
            offset += len(vectorizer.idf_)
        index, value = np.concatenate(indices), np.concatenate(values)
        norm = unit_norm(value)
        if norm > 0:
            value = value / norm
        return index, value, offset


def _tfidf_block(analyze: Callable[[str], list[str]], vectorizer: TfidfVectorizer, text: str) -> tuple[np.ndarray, np.ndarray]:
    """One vectorizer's sublinear, L2-normalised TF-IDF entries for one text, sorted by column."""
    get = vectorizer.vocabulary_.get
    found = [(column, count) for token, count in Counter(analyze(text)).items() if (column := get(token)) is not None]
    index = np.array([column for column, _ in found], dtype=np.int32)
    # The IDF weights are gathered in one step: indexing a numpy array one entry at a time costs more
    # than the rest of the work.
    value = np.array([_sublinear(count) for _, count in found], dtype=np.float64) * vectorizer.idf_[index]
    order = np.argsort(index)
    index, value = index[order], value[order]
    norm = unit_norm(value)
    return index, (value / norm if norm > 0 else value)


def _sublinear(count: int) -> float:
    return _SUBLINEAR[count] if count < len(_SUBLINEAR) else 1.0 + math.log(count)


_SUBLINEAR = [0.0] + [1.0 + math.log(count) for count in range(1, 64)]


def unit_norm(vector: np.ndarray) -> float:
    """`np.linalg.norm` of a 1-D float vector (the same dot product and square root), without its checks."""
    return math.sqrt(float(vector @ vector))


def join_dense(dense: np.ndarray, words: Matrix, dense_share: float) -> sparse.csr_matrix:
    """Unit-length dense vectors and unit-length TF-IDF rows side by side, as unit-length rows.

    The squared shares add up to one, so a dot product is still a cosine similarity; the
    TF-IDF part keeps exact wording (names, products) that dense vectors blur.
    """
    return sparse.hstack([sparse.csr_matrix(dense * dense_share), words * other_share(dense_share)], format="csr")


def other_share(share: float) -> float:
    """The share left for the other part of a joined unit-length row."""
    return float(np.sqrt(1.0 - share**2))


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length one, as float64 (all-zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norm = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norm > 0, norm, 1.0)


def similarities(rows: Matrix, matrix: Matrix) -> np.ndarray:
    """Cosine similarity of each row of `rows` to each row of `matrix`, dense (n_rows, n_matrix)."""
    if sparse.issparse(rows) and sparse.issparse(matrix) and rows.shape[0] == 1:
        # One message at a time, as the bot classifies: a sparse matrix times a dense vector is one C loop,
        # where a sparse product would first transpose and convert `matrix` on every call.
        row = rows if rows.format == "csr" else rows.tocsr()
        dense = np.zeros(matrix.shape[1])
        dense[row.indices] = row.data
        return np.asarray(matrix @ dense, dtype=np.float64)[None, :]
    product = rows @ matrix.T
    if sparse.issparse(product):
        product = product.toarray()
    return np.asarray(product, dtype=np.float64)

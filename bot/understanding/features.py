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
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
from scipy import sparse

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


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a cache key for its words
class TfidfBlock:
    """What one fitted TF-IDF vectorizer needs to map a text: its vocabulary and IDF weights, and how
    it cuts a text into terms. Plain data, so a stored model loads and runs without scikit-learn."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    char_ngrams: tuple[int, int] | None  # None: the terms are `word_terms`

    @classmethod
    def of(cls, vectorizer: Any) -> TfidfBlock:
        ngrams = tuple(vectorizer.ngram_range) if vectorizer.analyzer == "char_wb" else None
        if ngrams is None and vectorizer.analyzer is not word_terms:
            raise ValueError(f"no direct path for the analyzer {vectorizer.analyzer!r}")
        vocabulary = {str(term): int(column) for term, column in vectorizer.vocabulary_.items()}
        return cls(vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), ngrams)  # type: ignore[arg-type]

    @property
    def width(self) -> int:
        return len(self.idf)

    def word_columns(self, word: str) -> tuple[tuple[int, int], ...]:
        """How often each column occurs in one lower-cased word (character n-grams never cross a word)."""
        assert self.char_ngrams is not None
        return tuple(self.counted(char_wb_grams(word, *self.char_ngrams)).items())

    def counted(self, terms: list[str]) -> dict[int, int]:
        get = self.vocabulary.get
        return {column: count for term, count in Counter(terms).items() if (column := get(term)) is not None}


def char_wb_grams(word: str, shortest: int, longest: int) -> list[str]:
    """A word's character n-grams, the word padded with one space each side (scikit-learn's char_wb):
    every n from `shortest` to `longest`, and once the padded word is shorter than n, the word once."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(shortest, longest + 1):
        grams.append(padded[:n])
        if n >= len(padded):
            break
        grams.extend(padded[offset:offset + n] for offset in range(1, len(padded) - n + 1))
    return grams


class TfidfFeaturizer:
    """Words, word bigrams and one-word-skipping bigrams (see `word_terms`) plus character
    2–5-grams inside word boundaries, sublinear TF: the exact-wording part both backends'
    featurizers join with their dense vectors.

    Fitting goes through scikit-learn. A fitted featurizer keeps only `TfidfBlock`s, which map one
    message at a time to the same vector in a fraction of the time (the bot classifies one message at a
    time), and need no scikit-learn: a stored model loads without importing it.
    """

    def __init__(self) -> None:
        self._blocks: tuple[TfidfBlock, ...] = ()
        self._union: Any = None  # scikit-learn's FeatureUnion, only between fit and storing
        self._word_grams: Callable[[TfidfBlock, str], tuple[tuple[int, int], ...]] | None = None

    def __getstate__(self) -> dict[str, object]:
        return {"_blocks": self._blocks}  # the per-word memory is rebuilt, never stored with the model

    def __setstate__(self, state: dict[str, object]) -> None:
        self._blocks = state["_blocks"]  # type: ignore[assignment]
        self._union = None
        self._word_grams = None

    def fit(self, texts: Sequence[str]) -> Matrix:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion

        self._union = FeatureUnion([
            ("words", TfidfVectorizer(analyzer=word_terms, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ])
        matrix = normalize_rows(self._union.fit_transform(list(texts))).tocsr()
        self._blocks = tuple(TfidfBlock.of(vectorizer) for _, vectorizer in self._union.transformer_list)
        self._word_grams = None
        return matrix

    def transform(self, texts: Sequence[str]) -> Matrix:
        if len(texts) == 1:
            return self._transform_one(texts[0])
        if self._union is not None:
            return normalize_rows(self._union.transform(list(texts))).tocsr()
        return sparse.vstack([self._transform_one(text) for text in texts], format="csr") if texts else (
            sparse.csr_matrix((0, self.width)))

    @property
    def width(self) -> int:
        return sum(block.width for block in self._blocks)

    def _transform_one(self, text: str) -> sparse.csr_matrix:
        index, value, width = self.entries_one(text)
        return sparse.csr_matrix((value, index, np.array([0, len(index)], dtype=np.int32)), shape=(1, width), copy=False)

    def entries_one(self, text: str) -> tuple[np.ndarray, np.ndarray, int]:
        """One text's unit-length row as (column indices, values, row width), sorted by column."""
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        offset = 0
        for block in self._blocks:
            block_indices, block_values = _tfidf_block(self._columns(block, text), block)
            indices.append(block_indices + offset)
            values.append(block_values)
            offset += block.width
        index, value = np.concatenate(indices), np.concatenate(values)
        norm = unit_norm(value)
        if norm > 0:
            value = value / norm
        return index, value, offset

    def _columns(self, block: TfidfBlock, text: str) -> dict[int, int]:
        """How often each of the block's columns occurs in `text`."""
        if block.char_ngrams is None:
            return block.counted(word_terms(text))
        # Character n-grams never cross a word (char_wb splits the lower-cased text on white space):
        # each word's are counted once and remembered, as words recur.
        if self._word_grams is None:
            self._word_grams = lru_cache(maxsize=WORDS_REMEMBERED)(TfidfBlock.word_columns)
        counts: dict[int, int] = {}
        for word in text.lower().split():
            for column, count in self._word_grams(block, word):
                counts[column] = counts.get(column, 0) + count
        return counts


def _tfidf_block(counts: dict[int, int], block: TfidfBlock) -> tuple[np.ndarray, np.ndarray]:
    """One block's sublinear, L2-normalised TF-IDF entries for one text's column counts, sorted by column."""
    index = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
    # The IDF weights are gathered in one step: indexing a numpy array one entry at a time costs more
    # than the rest of the work.
    value = np.fromiter((_sublinear(count) for count in counts.values()), dtype=np.float64, count=len(counts))
    value *= block.idf[index]
    order = np.argsort(index)
    index, value = index[order], value[order]
    norm = unit_norm(value)
    return index, (value / norm if norm > 0 else value)


def normalize_rows(matrix: Matrix) -> Matrix:
    """Rows scaled to length one (all-zero rows stay zero), sparse or dense, as scikit-learn's
    `normalize` does, without importing it."""
    if not sparse.issparse(matrix):
        return unit_rows(np.asarray(matrix))
    rows = sparse.csr_matrix(matrix, dtype=np.float64)
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    return sparse.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ rows


# Distinct words whose character n-grams are remembered (a few MB).
WORDS_REMEMBERED = 4096


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

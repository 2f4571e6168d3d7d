"""The default backend's features: TF-IDF joined with static word-piece vectors.

TF-IDF only knows the words a business's examples use; "reschedule" and "move my booking"
share nothing in it. The shipped table (`data/static_vectors.npz`, distilled from
all-MiniLM-L6-v2 by `python -m bot.understanding.distill`) gives every word piece a vector
in which related words lie close. A message's vector is the IDF-weighted mean of its pieces'
vectors, so rare, telling words count more than "the" or "please". Only numpy is needed:
no model runs, a message takes microseconds.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from bot.errors import ConfigError
from bot.understanding import table_cache
from bot.understanding.features import Matrix, TfidfFeaturizer, join_dense, other_share
from bot.understanding.wordpiece import WordPiece

TABLE_PATH = Path(__file__).with_name("data") / "static_vectors.npz"
# Share of the unit-length feature vector given to the static vectors (the rest is TF-IDF),
# chosen on CLINC150's validation split.
VECTOR_SHARE = 0.7

_tables: dict[Path, StaticVectors] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class StaticVectors:
    """One vector per word piece, stored as int8 with a scale per row."""

    wordpiece: WordPiece
    vectors: np.ndarray
    scales: np.ndarray
    digest: str

    @property
    def dims(self) -> int:
        return int(self.vectors.shape[1])

    def rows(self, ids: np.ndarray) -> np.ndarray:
        return self.vectors[ids].astype(np.float32) * self.scales[ids, None]


def load_table(path: Path = TABLE_PATH) -> StaticVectors:
    """The table at `path`, read once per process; ConfigError if it is missing or damaged."""
    with _lock:
        if path not in _tables:
            _tables[path] = _read(path)
        return _tables[path]


def _read(path: Path) -> StaticVectors:
    try:
        with np.load(path, allow_pickle=False) as stored:
            pieces = [str(piece) for piece in stored["pieces"]]
            scales, digest = stored["scales"].astype(np.float32), str(stored["digest"])
            vectors = _vectors(stored, digest, len(pieces))
    except (OSError, KeyError, ValueError) as exc:
        raise ConfigError(f"the word vector table {path} could not be read ({exc}); reinstall socialdesk") from exc
    if vectors.ndim != 2 or len(pieces) != vectors.shape[0] or scales.shape != (len(pieces),):
        raise ConfigError(f"the word vector table {path} is inconsistent; reinstall socialdesk")
    return StaticVectors(WordPiece({piece: index for index, piece in enumerate(pieces)}), vectors, scales, digest)


def _vectors(stored: Any, digest: str, rows: int) -> np.ndarray:
    """The table's vectors: mapped from the user's cache when unpacked there before (table_cache.py)."""
    cached = table_cache.vectors_file(digest)
    vectors = table_cache.mapped(cached, rows)
    if vectors is None:
        vectors = stored["vectors"]
        table_cache.keep(cached, vectors)
    return vectors


def table_digest() -> str:
    """Identifies the shipped table, so a new table invalidates cached models."""
    return load_table().digest


class StaticVectorFeaturizer:
    """TF-IDF joined with IDF-weighted static word-piece vectors; the table is not pickled.

    Piece IDF is learned from the training texts: a piece the examples never use gets the
    highest weight, so an unfamiliar word pulls a message away from every intent.
    """

    def __init__(self) -> None:
        self._tfidf = TfidfFeaturizer()
        self._idf: dict[int, float] = {}
        self._unseen_idf = 1.0
        self._table: StaticVectors | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"tfidf": self._tfidf, "idf": self._idf, "unseen_idf": self._unseen_idf}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._tfidf, self._idf, self._unseen_idf = state["tfidf"], state["idf"], state["unseen_idf"]
        self._table = None

    def meaning_columns(self) -> slice:
        return slice(None)

    def wording_columns(self) -> slice:
        """The TF-IDF part, after the static vectors."""
        return slice(self.table.dims, None)

    @property
    def table(self) -> StaticVectors:
        if self._table is None:
            self._table = load_table()
        return self._table

    def fit(self, texts: Sequence[str]) -> Matrix:
        piece_ids = [self.table.wordpiece.ids(text) for text in texts]
        frequency = Counter(index for ids in piece_ids for index in set(ids))
        count = len(texts)
        # Smoothed IDF, as scikit-learn's TfidfVectorizer computes it.
        self._idf = {index: float(np.log((1 + count) / (1 + df)) + 1) for index, df in frequency.items()}
        self._unseen_idf = float(np.log(1 + count) + 1)
        return join_dense(self._embed(piece_ids), self._tfidf.fit(texts), VECTOR_SHARE)

    def transform(self, texts: Sequence[str]) -> Matrix:
        if len(texts) == 1:
            return self._transform_one(texts[0])
        piece_ids = [self.table.wordpiece.ids(text) for text in texts]
        return join_dense(self._embed(piece_ids), self._tfidf.transform(texts), VECTOR_SHARE)

    def _transform_one(self, text: str) -> sparse.csr_matrix:
        """`join_dense` for one message, built directly: the bot classifies one at a time and
        scipy's stacking costs more than the rest of the work."""
        dense = self._embed([self.table.wordpiece.ids(text)])[0] * VECTOR_SHARE
        word_index, word_value, width = self._tfidf.entries_one(text)
        nonzero = np.flatnonzero(dense).astype(np.int32)
        index = np.concatenate([nonzero, word_index + np.int32(len(dense))])
        value = np.concatenate([dense[nonzero], word_value * other_share(VECTOR_SHARE)])
        # 32-bit indices, as scipy would choose for them: given so, it skips converting them.
        return sparse.csr_matrix((value, index, np.array([0, len(index)], dtype=np.int32)),
                                 shape=(1, len(dense) + width), copy=False)

    def _embed(self, piece_ids: Sequence[list[int]]) -> np.ndarray:
        """Unit-length IDF-weighted means (a zero row for a text without known pieces)."""
        embedded = np.zeros((len(piece_ids), self.table.dims), dtype=np.float64)
        for row, ids in enumerate(piece_ids):
            if not ids:
                continue
            index = np.asarray(ids, dtype=np.int64)
            weights = np.array([self._idf.get(i, self._unseen_idf) for i in ids], dtype=np.float32)
            vector = weights @ self.table.rows(index)
            norm = float(np.linalg.norm(vector))
            if norm > 0:
                embedded[row] = vector / norm
        return embedded

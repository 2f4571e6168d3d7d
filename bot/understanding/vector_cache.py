"""Sentence vectors of the training examples, kept beside the trained models between trainings.

The running bot retrains whenever the owner edits an intent or teaches it an example, and
with the embeddings backend encoding every example again is most of that time. Vectors are
stored by a digest of the text, in one file per model (named by a digest of the model's
weights, so new weights never reuse old vectors), holding exactly the last training set's
texts, so the file stays the size of the business's examples. A file that cannot be read is
treated as empty: the examples are simply encoded again.
"""

from __future__ import annotations

import hashlib
import logging
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.understanding.files import write_atomically

log = logging.getLogger(__name__)

Encode = Callable[[Sequence[str]], np.ndarray]


KEY_BYTES = 16


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_BYTES).digest()


@dataclass(frozen=True, slots=True)
class VectorCache:
    path: Path

    @classmethod
    def beside(cls, cache_dir: Path, model_digest: str) -> VectorCache:
        return cls(cache_dir / f"vectors-{model_digest[:32]}.npz")

    def vectors(self, texts: Sequence[str], encode: Encode) -> np.ndarray:
        """`encode(texts)`, encoding only the texts the file does not hold, then storing these texts' vectors."""
        keys = [text_key(text) for text in texts]
        known = self._load()
        missing = list(dict.fromkeys(text for text, key in zip(texts, keys) if key not in known))
        if missing:
            known.update(zip((text_key(text) for text in missing), encode(missing)))
        vectors = np.stack([known[key] for key in keys]) if keys else np.zeros((0, 0))
        if missing or len(known) != len(set(keys)):
            self._store(keys, vectors)
        return vectors

    def _load(self) -> dict[bytes, np.ndarray]:
        if not self.path.is_file():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
            if keys.ndim != 2 or keys.shape[1] != KEY_BYTES or vectors.ndim != 2 or len(keys) != len(vectors):
                raise ValueError("keys and vectors do not line up")
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("stored example vectors unreadable; encoding again", extra={"path": str(self.path), "reason": str(exc)})
            return {}
        return {key.tobytes(): vector for key, vector in zip(keys, vectors)}

    def _store(self, keys: list[bytes], vectors: np.ndarray) -> None:
        unique = dict(zip(keys, vectors))
        try:
            write_atomically(self.path, lambda tmp: _save(tmp, unique))
        except OSError as exc:  # a read-only cache folder costs speed, never a training
            log.warning("cannot store example vectors", extra={"path": str(self.path), "reason": str(exc)})


def _save(path: Path, vectors: dict[bytes, np.ndarray]) -> None:
    with path.open("wb") as handle:
        # Keys as raw bytes in a uint8 matrix: numpy's bytes type would drop trailing zero bytes.
        keys = np.frombuffer(b"".join(vectors), dtype=np.uint8).reshape(len(vectors), KEY_BYTES)
        np.savez(handle, keys=keys, vectors=np.stack(list(vectors.values())))

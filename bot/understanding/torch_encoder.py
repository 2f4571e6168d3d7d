"""Sentence embeddings through sentence-transformers on torch: the reference the ONNX runtime
is checked against, and the runtime whenever ONNX cannot be used."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.errors import ConfigError
from bot.understanding.features import unit_rows

INSTALL_HINT = "install the extra: .venv/bin/pip install -e '.[embeddings]' from the socialdesk checkout"


class TorchEncoder:
    """Unit-length sentence vectors from a SentenceTransformer loaded offline on the CPU."""

    def __init__(self, directory: Path) -> None:
        self.model = _load(directory)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:
            return self._encode_one(texts[0])
        vectors = self.model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float64)

    def _encode_one(self, text: str) -> np.ndarray:
        """One message through the model's own modules, without encode()'s batching, sorting
        and device handling: the same vector, 1-2 ms sooner (the bot embeds one at a time)."""
        import torch

        with torch.inference_mode():
            output = self.model(self.model.preprocess([text]))["sentence_embedding"]
        return unit_rows(output.numpy().astype(np.float64))


def _load(directory: Path) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(f"the embeddings backend needs sentence-transformers: {INSTALL_HINT}") from exc
    import torch
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # our output (tables, JSON) stays clean
    # The bot embeds one short message at a time: extra threads only contend for the CPU.
    torch.set_num_threads(1)
    return SentenceTransformer(str(directory), device="cpu", local_files_only=True)

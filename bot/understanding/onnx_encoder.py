"""Sentence embeddings on onnxruntime: the model's own tokenizer, the exported transformer, and
mean pooling over the attention mask in numpy. No torch import: a process starts seconds
sooner, holds about 200 MB less, and one message takes about half the time it takes on torch.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bot.errors import ConfigError
from bot.understanding.features import unit_rows
from bot.understanding.onnx_cache import OUTPUT, PROBE_KEY
from bot.understanding.sentence_layout import MeanPooledModel
from bot.understanding.torch_encoder import INSTALL_HINT

BATCH = 64
# The vectors must be the ones sentence-transformers gives (the classifier cache relies on it).
PROBE_TOLERANCE = 1e-4


def require_runtime() -> None:
    """ConfigError (saying what to install) unless onnxruntime and tokenizers import."""
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"the ONNX runtime needs {exc.name}: {INSTALL_HINT}") from exc


class OnnxEncoder:
    """Unit-length sentence vectors from an exported transformer."""

    def __init__(self, layout: MeanPooledModel, onnx_path: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._lower_case = layout.lower_case
        self._tokenizer = Tokenizer.from_file(str(layout.tokenizer_file))
        # The file's own settings pad every text to a fixed length; pad per batch instead.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(layout.max_seq_length)
        options = onnxruntime.SessionOptions()
        # The bot embeds one short message at a time: a second thread costs more in hand-offs
        # than it saves (measured on 2 cores). Batches run on several threads instead (encode).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own (unexported) classes for unreadable files
            raise ConfigError(f"{onnx_path}: onnxruntime cannot load it ({exc}); delete it to export again") from exc
        self._inputs = [item.name for item in self._session.get_inputs()]
        self._metadata = dict(self._session.get_modelmeta().custom_metadata_map)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float64 unit vectors, one row per text, each the same as the text alone would get."""
        if self._lower_case:
            texts = [text.lower() for text in texts]
        if len(texts) == 1:
            return unit_rows(self._run([self._tokenizer.encode(texts[0]).ids]))
        pieces = [encoding.ids for encoding in self._tokenizer.encode_batch(list(texts))]
        # Batches of similar lengths waste little on padding (half the time on CLINC150's
        # training set); ONNX sessions may run concurrently, so batches share the cores.
        order = np.argsort([len(ids) for ids in pieces], kind="stable")
        batches = [order[start:start + BATCH] for start in range(0, len(order), BATCH)]
        with ThreadPoolExecutor(max_workers=max(1, min(len(batches), os.cpu_count() or 1))) as pool:
            pooled = list(pool.map(lambda rows: self._run([pieces[i] for i in rows]), batches))
        vectors = np.zeros((len(texts), pooled[0].shape[1] if pooled else 0))
        for rows, part in zip(batches, pooled):
            vectors[rows] = part
        return unit_rows(vectors)

    def probe_difference(self) -> float:
        """Largest difference from the vectors recorded at export (inf when none were recorded)."""
        try:
            probe = json.loads(self._metadata[PROBE_KEY])
            expected = np.asarray(probe["vectors"], dtype=np.float64)
            actual = self.encode(probe["texts"])
        except (KeyError, TypeError, ValueError):
            return float("inf")
        if actual.shape != expected.shape:
            return float("inf")
        return float(np.abs(actual - expected).max())

    def _run(self, pieces: list[list[int]]) -> np.ndarray:
        """Mean of each text's token vectors over its real tokens (padding excluded)."""
        ids = np.zeros((len(pieces), max(len(p) for p in pieces)), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, piece_ids in enumerate(pieces):
            ids[row, :len(piece_ids)] = piece_ids
            mask[row, :len(piece_ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (tokens,) = self._session.run([OUTPUT], {name: feed[name] for name in self._inputs})
        weights = mask[:, :, None].astype(tokens.dtype)
        return (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)

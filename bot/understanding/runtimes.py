"""Which runtime embeds: onnxruntime when it gives the model's own vectors, torch otherwise.

The first start exports the model (torch is loaded for that, once); later starts load the
cached export and never import torch. Every load compares the runtime's vectors for the
probe texts with the ones sentence-transformers gave at export, so a damaged file or a
runtime that computes differently is caught and exported again rather than trusted. When
ONNX cannot be used (onnxruntime missing, a model layout it does not reproduce, a failed
export), a warning says why and sentence-transformers on torch does the work as before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.errors import ConfigError
from bot.understanding.onnx_cache import cache_root, onnx_file, prune_exports, record_source
from bot.understanding.onnx_encoder import PROBE_TOLERANCE, OnnxEncoder, require_runtime
from bot.understanding.sentence_layout import MeanPooledModel, mean_pooled_model
from bot.understanding.torch_encoder import TorchEncoder

log = logging.getLogger(__name__)


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """float64 unit vectors, one row per text."""
        ...


def open_encoder(directory: Path, root: Path | None = None) -> Encoder:
    """The fastest runtime that reproduces the model in `directory`; `root` holds its ONNX export."""
    try:
        layout = mean_pooled_model(directory)
        require_runtime()
        path = onnx_file(directory, root or cache_root())
        cached = _load_verified(layout, path)
    except (ConfigError, OSError) as exc:
        return _torch_instead(directory, exc)
    return cached if cached is not None else _export_and_load(layout, path)


def _export_and_load(layout: MeanPooledModel, path: Path) -> Encoder:
    reference = TorchEncoder(layout.directory)
    try:
        from bot.understanding.onnx_export import export_onnx  # imports torch, which is loaded by now anyway

        log.info("exporting the embeddings model to ONNX (once per model)", extra={"path": str(path)})
        export_onnx(reference.model, path)
        exported = _load_verified(layout, path)
        if exported is None:
            raise ConfigError(f"{path}: the export does not give sentence-transformers' vectors")
        record_source(path, layout.directory)
        for old in prune_exports(path, layout.directory):
            log.info("removed an export of replaced weights", extra={"path": str(old)})
        return exported
    except OSError as exc:
        problem = ConfigError(f"cannot write {path} ({exc}): point XDG_CACHE_HOME at a writable folder")
        return _torch_instead(layout.directory, problem, reference)
    except (ConfigError, ImportError) as exc:
        return _torch_instead(layout.directory, exc, reference)


def _load_verified(layout: MeanPooledModel, path: Path) -> OnnxEncoder | None:
    """The cached export, or None (the file removed) when it is missing, unreadable or wrong."""
    if not path.is_file():
        return None
    try:
        encoder = OnnxEncoder(layout, path)
        difference = encoder.probe_difference()
        if difference <= PROBE_TOLERANCE:
            return encoder
        reason = f"its vectors differ from the model's by {difference:.2g}"
    except ConfigError as exc:
        reason = str(exc)
    log.warning("cached ONNX export is unusable; exporting again", extra={"path": str(path), "reason": reason})
    path.unlink(missing_ok=True)
    return None


def _torch_instead(directory: Path, reason: Exception, loaded: TorchEncoder | None = None) -> Encoder:
    log.warning("embeddings run on sentence-transformers (torch), not onnxruntime",
                extra={"model": str(directory), "reason": str(reason)})
    return loaded if loaded is not None else TorchEncoder(directory)

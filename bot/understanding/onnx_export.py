"""Export a sentence-transformers model's transformer to ONNX (needs torch, onnx and onnxscript).

Only the transformer is exported; tokenizing and mean pooling stay in numpy (onnx_encoder.py).
The file carries, as metadata, the vectors sentence-transformers itself gives a few probe
texts, so whoever loads it can check that the runtime reproduces them.
"""

from __future__ import annotations

import inspect
import json
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bot.errors import ConfigError
from bot.understanding.files import write_atomically
from bot.understanding.onnx_cache import INPUTS, OUTPUT, PROBE_KEY

# Accents, an emoji and two lengths, so the check runs the padded batch path too.
PROBE_TEXTS = ("Crème brûlée 🙂 — is the café open on Sunday?", "hi")
# Loggers that narrate every graph rewrite at INFO, and warn about optional torchvision ops.
EXPORTER_LOGGERS = ("torch.onnx", "onnx_ir", "onnxscript")
EXPORT_HINT = "install the extra (.venv/bin/pip install -e '.[embeddings]' from the socialdesk checkout), which brings onnx and onnxscript"


def export_onnx(encoder: Any, target: Path) -> None:
    """Write `encoder`'s (a SentenceTransformer's) transformer to `target`, atomically."""
    transformer = encoder[0].auto_model
    names = _input_names(transformer)
    # Distinct example tensors: the exporter merges inputs that are the same tensor object,
    # and a graph that reads its token ids from the attention mask computes nonsense.
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0], [101, 2054, 2051, 2003, 2009, 102]])
    examples = {"input_ids": ids, "attention_mask": (ids > 0).long(), "token_type_ids": torch.zeros_like(ids)}
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    probe = encoder.encode(list(PROBE_TEXTS), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    try:
        with warnings.catch_warnings(), _quiet(EXPORTER_LOGGERS):
            warnings.simplefilter("ignore")  # the exporter's own deprecation chatter; the probe checks the result
            program = torch.onnx.export(
                _LastHiddenState(transformer).eval(), tuple(examples[name] for name in names),
                input_names=list(names), output_names=[OUTPUT], dynamo=True, external_data=False, verbose=False,
                dynamic_shapes=tuple({0: batch, 1: sequence} for _ in names),
            )
    except ImportError as exc:
        raise ConfigError(f"exporting the embeddings model to ONNX needs {exc.name}: {EXPORT_HINT}") from exc
    except Exception as exc:  # the exporter fails in many ways; each one leaves the torch path in use
        raise ConfigError(f"could not export the embeddings model to ONNX ({type(exc).__name__}: {exc})") from exc
    program.model.metadata_props[PROBE_KEY] = json.dumps(
        {"texts": list(PROBE_TEXTS), "vectors": np.asarray(probe, dtype=np.float64).round(7).tolist()})
    write_atomically(target, lambda path: program.save(str(path), external_data=False))


def _input_names(transformer: torch.nn.Module) -> tuple[str, ...]:
    # BERT takes token type ids; models without them (MPNet, RoBERTa-style) get two inputs.
    accepted = inspect.signature(transformer.forward).parameters
    return tuple(name for name in INPUTS if name in accepted)


class _LastHiddenState(torch.nn.Module):
    """The transformer with positional inputs and its token vectors as the only output."""

    def __init__(self, transformer: torch.nn.Module) -> None:
        super().__init__()
        self.transformer = transformer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        return self.transformer(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state


@contextmanager
def _quiet(names: tuple[str, ...]) -> Iterator[None]:
    """The loggers at ERROR for a while."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)

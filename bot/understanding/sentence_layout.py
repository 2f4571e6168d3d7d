"""What a sentence-transformers directory does to a text, read from its own config files.

The ONNX runtime reproduces one layout only, the one `all-MiniLM-L6-v2` has: a transformer,
mean pooling over the attention mask, and (optionally) normalization. Any other layout is
refused here, and the caller keeps the sentence-transformers path for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

TRANSFORMER = "sentence_transformers.models.Transformer"
POOLING = "sentence_transformers.models.Pooling"
NORMALIZE = "sentence_transformers.models.Normalize"


@dataclass(frozen=True, slots=True)
class MeanPooledModel:
    """A transformer whose token vectors are averaged over the real (unpadded) tokens."""

    directory: Path
    max_seq_length: int
    lower_case: bool

    @property
    def tokenizer_file(self) -> Path:
        return self.directory / "tokenizer.json"


def mean_pooled_model(directory: Path) -> MeanPooledModel:
    """The layout of `directory`; ConfigError (naming what differs) if it is not mean-pooled."""
    modules = _read_json(directory / "modules.json")
    kinds = [str(module.get("type", "")).replace(".sentence_transformer.modules.", ".models.") for module in modules]
    if kinds not in ([TRANSFORMER, POOLING], [TRANSFORMER, POOLING, NORMALIZE]) or modules[0].get("path") not in ("", "."):
        raise ConfigError(f"{directory}: modules {kinds} are not transformer -> mean pooling (-> normalize)")
    pooling = _read_json(directory / modules[1]["path"] / "config.json")
    modes = {key for key, on in pooling.items() if key.startswith("pooling_mode_") and on is True}
    if modes != {"pooling_mode_mean_tokens"}:
        raise ConfigError(f"{directory}: pooling {sorted(modes)} is not mean pooling alone")
    if not (directory / "tokenizer.json").is_file():
        raise ConfigError(f"{directory}: no tokenizer.json (a fast tokenizer file) to tokenize with")
    settings = _read_json(directory / "sentence_bert_config.json")
    config = _read_json(directory / "config.json")
    # sentence-transformers caps the length at what the position embeddings allow.
    limit = min(int(settings.get("max_seq_length") or 512), int(config.get("max_position_embeddings") or 512))
    return MeanPooledModel(directory, limit, bool(settings.get("do_lower_case", False)))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the model's config ({exc})") from exc

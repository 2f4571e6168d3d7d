"""Where an exported ONNX model is kept (one file per model, named by a digest of its weights)
and what the file holds.

The export depends on the model alone, never on a business, so it lives in the user's cache
directory ($XDG_CACHE_HOME/socialdesk/onnx, by default ~/.cache/socialdesk/onnx) and every
profile and evaluation on the machine shares it. New weights give a new name, so a stale
export is never loaded; deleting the folder only costs one export.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

# Bump when the exported graph's inputs, outputs or metadata change meaning.
EXPORT_FORMAT = 1
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "token_embeddings"
# Metadata key: probe texts and the vectors sentence-transformers gave them at export.
PROBE_KEY = "socialdesk.probe"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def cache_root(environ: Mapping[str, str] = os.environ) -> Path:
    """$XDG_CACHE_HOME/socialdesk, falling back to ~/.cache/socialdesk as the XDG spec says."""
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "socialdesk"


def weights_digest(model_dir: Path) -> str:
    """sha256 of the export format, the model's config and its weights file."""
    digest = hashlib.sha256(f"socialdesk-onnx-{EXPORT_FORMAT}\n".encode())
    digest.update((model_dir / "config.json").read_bytes())
    weights = next((model_dir / name for name in WEIGHT_FILES if (model_dir / name).is_file()), None)
    if weights is None:
        raise FileNotFoundError(f"{model_dir}: no weights file ({' or '.join(WEIGHT_FILES)})")
    with weights.open("rb") as handle:
        digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def onnx_file(model_dir: Path, root: Path) -> Path:
    return root / "onnx" / f"{model_dir.name}-{weights_digest(model_dir)[:32]}.onnx"


def record_source(export: Path, model_dir: Path) -> None:
    """Note which model folder an export came from, beside it, so pruning knows whose it is."""
    source(export).write_text(str(model_dir.resolve()), encoding="utf-8")


def source(export: Path) -> Path:
    return export.with_suffix(".source")


def prune_exports(current: Path, model_dir: Path) -> list[Path]:
    """Delete the older exports of the same model folder (replaced weights), never another model's:
    an export counts as ours only if its .source note names this very folder. Returns what went."""
    ours, removed = str(model_dir.resolve()), []
    for other in current.parent.glob("*.onnx"):
        note = source(other)
        if other == current or not note.is_file():
            continue
        try:
            if note.read_text(encoding="utf-8").strip() != ours:
                continue
            other.unlink(missing_ok=True)
            note.unlink(missing_ok=True)
        except OSError:
            continue  # another process may be pruning too; the next start tries again
        removed.append(other)
    return removed

"""The on-disk training cache, keyed by a hash of everything that shapes the model.

Keyword rules are not part of the key: they are compiled fresh on every start and never
need a retrain. A cache file that cannot be read is treated as missing. The files are
pickles: keep the cache directory private to the bot, like its database.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from importlib import metadata
from pathlib import Path

from bot.understanding.classifier import TrainedModel
from bot.understanding.files import write_atomically

# 3: the model is stored as plain arrays (TfidfBlock, LinearWeights), not scikit-learn objects.
CACHE_FORMAT = 4  # 4: how many out-of-scope rows are the owner's own rides along
# The model in use and the one before it (an owner who undoes a profile edit gets it back without
# training); anything older is deleted when a new model is stored, so the folder stays a few MB.
KEEP_PER_BACKEND = 2


def cache_key(backend: str, model_name: str, settings: object, texts: list[str], labels: list[str], oos: list[str]) -> str:
    payload = {
        "format": CACHE_FORMAT,
        "scikit-learn": metadata.version("scikit-learn"),  # training still depends on it
        "backend": backend,
        "model": model_name,
        "settings": repr(settings),
        "examples": sorted(zip(labels, texts)),
        "out_of_scope": sorted(oos),
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()


def cache_file(cache_dir: Path, backend: str, key: str) -> Path:
    return cache_dir / f"intents-{backend}-{key[:32]}.pkl"


def load(path: Path) -> TrainedModel | None:
    try:
        with path.open("rb") as handle:
            trained = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return trained if isinstance(trained, TrainedModel) else None


def store(path: Path, trained: TrainedModel) -> None:
    """Write atomically, then drop the oldest files of this backend beyond KEEP_PER_BACKEND."""
    write_atomically(path, lambda tmp: _pickle(trained, tmp))
    _prune(path.parent, trained.backend)


def _pickle(trained: TrainedModel, path: Path) -> None:
    with path.open("wb") as handle:
        pickle.dump(trained, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _prune(cache_dir: Path, backend: str) -> None:
    files = sorted(cache_dir.glob(f"intents-{backend}-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP_PER_BACKEND:]:
        old.unlink(missing_ok=True)

"""The word vector table's vectors, unpacked once into the user's cache and mapped from there.

The shipped table (`data/static_vectors.npz`) is compressed: unpacking its 7.5 MB of vectors took about
70 ms of every start and kept all of them in memory, though a business's messages use a few thousand of
its 30,000 word pieces. The first start writes them unpacked to $XDG_CACHE_HOME/socialdesk (beside the
ONNX exports), named by the table's digest, so a new table never meets an old file; later starts map
that file, and only the rows a message uses are read from disk. A file that cannot be written (a
read-only home) or read back whole (damaged, cut short) costs nothing but the unpacking, as before.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from bot.understanding.files import write_atomically
from bot.understanding.onnx_cache import cache_root


def vectors_file(digest: str, root: Path | None = None) -> Path | None:
    """Where the vectors of the table with `digest` are kept unpacked; None without a home to keep them in."""
    try:
        return (root or cache_root()) / f"static-vectors-{digest}.npy"
    except (KeyError, RuntimeError):  # no $HOME and no password entry: the table is only unpacked each time
        return None


def mapped(path: Path | None, rows: int) -> np.ndarray | None:
    """The int8 vectors of `rows` word pieces mapped from `path`, or None when the file is not that."""
    if path is None:
        return None
    try:
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if vectors.dtype != np.int8 or vectors.ndim != 2 or vectors.shape[0] != rows:
        return None
    return np.asarray(vectors)


def keep(path: Path | None, vectors: np.ndarray) -> None:
    """Write `vectors` for the next start; a cache that cannot be written is only a slower start."""
    if path is None:
        return

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.save(handle, vectors, allow_pickle=False)

    with contextlib.suppress(OSError):
        write_atomically(path, write)

"""Distil the default backend's static word-piece table from a sentence model.

    python -m bot.understanding.distill [--model all-MiniLM-L6-v2] [--dims 256] [OUTPUT]

Needs the `embeddings` extra; the table it writes needs only numpy. Every piece of the
model's vocabulary is encoded on its own ([CLS] piece [SEP], mean-pooled as the model pools
sentences); the vectors are centred and projected on their first `dims` principal
components, which drops the direction every piece shares and keeps the ones that tell
pieces apart; each row is stored as int8 with one float scale.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import numpy as np

from bot.understanding.embedding import DEFAULT_MODEL, model_path
from bot.understanding.static_vectors import TABLE_PATH
from bot.understanding.torch_encoder import TorchEncoder

BATCH = 2048
_SPECIAL = re.compile(r"^\[(PAD|UNK|CLS|SEP|MASK|unused\d+)\]$")


def encode_pieces(model_name: str) -> tuple[list[str], np.ndarray]:
    """Every ordinary vocabulary piece and its mean-pooled output vector."""
    import torch

    encoder = TorchEncoder(model_path(model_name)).model  # the transformer itself, on torch
    tokenizer, transformer = encoder.tokenizer, encoder[0].auto_model.eval()
    vocabulary = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    kept = [(piece, index) for piece, index in vocabulary if not _SPECIAL.match(piece)]
    vectors = np.zeros((len(kept), transformer.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(kept), BATCH):
            ids = torch.tensor([index for _, index in kept[start:start + BATCH]])
            inputs = torch.stack([torch.full_like(ids, tokenizer.cls_token_id), ids, torch.full_like(ids, tokenizer.sep_token_id)], 1)
            hidden = transformer(input_ids=inputs, attention_mask=torch.ones_like(inputs)).last_hidden_state
            vectors[start:start + len(ids)] = hidden.mean(dim=1).numpy()
    return [piece for piece, _ in kept], vectors


def principal_components(vectors: np.ndarray, dims: int) -> np.ndarray:
    """`vectors` centred and projected on their first `dims` components, signs fixed so reruns agree."""
    centred = vectors - vectors.mean(axis=0)
    _, _, components = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    components = components[:dims]
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    return (centred @ (components * signs[:, None]).T).astype(np.float32)


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scales = np.abs(vectors).max(axis=1) / 127.0
    scales[scales == 0] = 1.0
    return np.round(vectors / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def write_table(path: Path, pieces: list[str], vectors: np.ndarray, scales: np.ndarray, source: str) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(pieces).encode("utf-8"))
    digest.update(vectors.tobytes())
    digest.update(scales.tobytes())
    short = digest.hexdigest()[:16]
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, pieces=np.array(pieces), vectors=vectors, scales=scales, digest=np.array(short), source=np.array(source))
    return short


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Distil the static word-piece table of the default backend.")
    parser.add_argument("output", nargs="?", type=Path, default=TABLE_PATH)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--dims", type=int, default=256)
    args = parser.parse_args(argv)
    pieces, vectors = encode_pieces(args.model)
    quantised, scales = quantise(principal_components(vectors, args.dims))
    digest = write_table(args.output, pieces, quantised, scales, f"{args.model}, {args.dims} dims")
    print(f"{args.output}: {len(pieces)} pieces x {args.dims} dims, digest {digest}")


if __name__ == "__main__":
    main()

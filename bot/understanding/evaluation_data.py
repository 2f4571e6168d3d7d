"""Labelled data sets for `socialdesk eval`: CLINC150's JSON and plain CSV files.

Every problem with a file becomes one `DataError` line naming the file and what is wrong.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import DataError

OOS_LABEL = "oos"
CLINC_SPLITS = ("train", "val", "test", "oos_val", "oos_test")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message; `label` None means out of scope."""

    text: str
    label: str | None


@dataclass(frozen=True, slots=True)
class EvalSet:
    """In-scope training examples, a test set with out-of-scope messages, and an optional validation set."""

    train: tuple[Example, ...]
    test: tuple[Example, ...]
    val: tuple[Example, ...] = ()


def take_shots(examples: Iterable[Example], shots: int | None, seed: int) -> tuple[Example, ...]:
    """At most `shots` examples per intent, drawn with `seed`; all of them when shots is None."""
    items = tuple(examples)
    if shots is None:
        return items
    by_label: dict[str | None, list[Example]] = defaultdict(list)
    for example in items:
        by_label[example.label].append(example)
    rng = random.Random(seed)
    chosen: list[Example] = []
    for label in sorted(by_label, key=str):
        group = by_label[label][:]
        rng.shuffle(group)
        chosen.extend(group[:shots])
    return tuple(chosen)


def load_clinc150(path: Path, shots: int | None = None, seed: int = 0) -> EvalSet:
    """CLINC150 (Larson et al. 2019): train on `train`, validate on `val`+`oos_val`, test on `test`+`oos_test`."""
    data = _read_json(path)
    splits = {name: _clinc_split(path, data, name) for name in CLINC_SPLITS}
    train = tuple(e for e in splits["train"] if e.label is not None)
    return EvalSet(
        train=take_shots(train, shots, seed),
        test=splits["test"] + splits["oos_test"],
        val=splits["val"] + splits["oos_val"],
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object of splits, got {type(data).__name__}")
    return data


def _clinc_split(path: Path, data: dict[str, Any], name: str) -> tuple[Example, ...]:
    if name not in data:
        raise DataError(f"{path}: missing split {name!r} (found: {', '.join(sorted(data)) or 'none'})")
    rows = data[name]
    if not isinstance(rows, list) or not rows:
        raise DataError(f"{path}: split {name!r} must be a non-empty list of [text, label] pairs")
    examples = []
    for index, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 2 and all(isinstance(v, str) for v in row)):
            raise DataError(f"{path}: split {name!r} item {index} is not a [text, label] pair of strings")
        examples.append(Example(row[0], None if row[1] == OOS_LABEL else row[1]))
    return tuple(examples)


def load_csv_set(
    train_path: Path, test_path: Path, *, text_column: str = "text", label_column: str = "label",
    shots: int | None = None, seed: int = 0,
) -> EvalSet:
    """Train and test CSVs; a test label `oos` means out of scope (oos rows in training are left out)."""
    train = tuple(e for e in read_csv(train_path, text_column, label_column) if e.label is not None)
    if not train:
        raise DataError(f"{train_path}: no in-scope training rows")
    test = read_csv(test_path, text_column, label_column)
    return EvalSet(train=take_shots(train, shots, seed), test=test)


def read_csv(path: Path, text_column: str, label_column: str) -> tuple[Example, ...]:
    try:
        with Path(path).open(encoding="utf-8", newline="") as handle:
            return _csv_rows(path, csv.DictReader(handle), text_column, label_column)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as UTF-8 CSV ({exc})") from None


def _csv_rows(path: Path, reader: csv.DictReader, text_column: str, label_column: str) -> tuple[Example, ...]:
    columns = reader.fieldnames or []
    for column in (text_column, label_column):
        if column not in columns:
            raise DataError(f"{path}: no column {column!r} (columns: {', '.join(columns) or 'none'})")
    examples = []
    for row in reader:
        text, label = (row.get(text_column) or "").strip(), (row.get(label_column) or "").strip()
        if not text or not label:
            raise DataError(f"{path}: line {reader.line_num}: empty {text_column if not text else label_column!r}")
        examples.append(Example(text, None if label == OOS_LABEL else label))
    if not examples:
        raise DataError(f"{path}: no data rows")
    return tuple(examples)

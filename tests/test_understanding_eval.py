"""`socialdesk eval`: metrics on a hand-checked set, the commands, and bad data files."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from bot.cli.evaluate import eval_app
from bot.errors import DataError
from bot.understanding import train_classifier
from bot.understanding.evaluation import score, specs_from, tune_gate, with_intents_held_out_of_tuning
from bot.understanding.evaluation_data import Example, hold_out_intents, load_clinc150, take_shots
from bot.understanding.training import DEFAULT_GATES
from tests.fixtures.cafe import FIXTURES

runner = CliRunner()
KEYS = {
    "in_scope_accuracy", "oos_recall", "oos_precision", "accuracy", "train_seconds",
    "classify_p50_ms", "classify_p99_ms", "n_train", "n_test", "backend",
}


def run_json(*args: str) -> dict:
    result = runner.invoke(eval_app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_metrics_follow_larson_et_al():
    gold = ["hours", "hours", "location", None, None, None]
    said = ["hours", None, "hours", None, None, "hours"]
    metrics = score(gold, said)
    # in scope: 1 of 3 right (an in-scope message called out of scope is wrong)
    assert metrics.in_scope_accuracy == pytest.approx(33.33)
    assert metrics.oos_recall == pytest.approx(66.67)  # 2 of 3 out-of-scope caught
    assert metrics.oos_precision == pytest.approx(66.67)  # 2 of 3 "out of scope" calls right
    assert metrics.accuracy == pytest.approx(50.0)  # 3 of 6


def test_no_out_of_scope_predictions_give_zero_precision():
    assert score(["a", None], ["a", "a"]).oos_precision == 0.0


def test_eval_csv_scores_a_hand_checked_set():
    report = run_json("csv", "--train", str(FIXTURES / "tiny_train.csv"), "--test", str(FIXTURES / "tiny_test.csv"))
    assert KEYS <= report.keys()
    # 5 in scope, 4 right (one is labelled with the wrong intent); 3 out of scope, the
    # two strings of digits caught and a copy of a training question missed.
    assert report["in_scope_accuracy"] == pytest.approx(80.0)
    assert report["oos_recall"] == pytest.approx(66.67)
    assert report["oos_precision"] == pytest.approx(100.0)
    assert report["accuracy"] == pytest.approx(75.0)
    assert (report["n_train"], report["n_test"], report["backend"]) == (8, 8, "default")
    assert 0 <= report["classify_p50_ms"] <= report["classify_p99_ms"]


def test_eval_csv_with_custom_columns_and_shots(tmp_path):
    train = tmp_path / "train.csv"
    train.write_text("utterance,intent\n" + (FIXTURES / "cafe_train.csv").read_text().split("\n", 1)[1])
    test = tmp_path / "test.csv"
    test.write_text("utterance,intent\n" + (FIXTURES / "cafe_test.csv").read_text().split("\n", 1)[1])
    report = run_json("csv", "--train", str(train), "--test", str(test), "--text-column", "utterance",
                      "--label-column", "intent", "--shots", "3", "--seed", "1")
    assert report["n_train"] == 7 * 3
    assert report["n_test"] == 13


def test_eval_clinc150_trains_on_train_and_tests_on_test_and_oos_test():
    report = run_json("clinc150", str(FIXTURES / "clinc_tiny.json"))
    assert (report["n_train"], report["n_test"]) == (56, 13)
    assert report["in_scope_accuracy"] == pytest.approx(100.0)


def test_eval_clinc150_calibrates_on_val_only_when_asked():
    shipped = run_json("clinc150", str(FIXTURES / "clinc_tiny.json"), "--calibrate", "none")
    tuned = run_json("clinc150", str(FIXTURES / "clinc_tiny.json"), "--calibrate", "val", "--shots", "4")
    assert shipped["gate"] == pytest.approx(DEFAULT_GATES["default"])
    assert tuned["n_train"] == 7 * 4
    assert tuned["gate"] != shipped["gate"]


def test_eval_prints_a_table_without_json():
    result = runner.invoke(eval_app, ["clinc150", str(FIXTURES / "clinc_tiny.json")])
    assert result.exit_code == 0
    assert "in-scope accuracy" in result.output and "out-of-scope recall" in result.output


def test_shots_draw_the_same_examples_for_the_same_seed():
    data = load_clinc150(FIXTURES / "clinc_tiny.json")
    assert take_shots(data.train, 2, seed=3) == take_shots(data.train, 2, seed=3)
    assert take_shots(data.train, 2, seed=3) != take_shots(data.train, 2, seed=4)


BAD_JSON = {
    "not json": ("{oops", "not valid JSON"),
    "a list": ("[]", "expected a JSON object of splits"),
    "missing split": (json.dumps({"train": [["hi", "greeting"]]}), "missing split 'val'"),
    "bad pair": (json.dumps({s: [["hi"]] for s in ("train", "val", "test", "oos_val", "oos_test")}),
                 "split 'train' item 0 is not a [text, label] pair"),
}


@pytest.mark.parametrize("content, message", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_bad_clinc150_file_gives_one_clear_line(tmp_path, content, message):
    path = tmp_path / "data.json"
    path.write_text(content)
    result = runner.invoke(eval_app, ["clinc150", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert str(path) in lines[0] and message in lines[0]
    assert "Traceback" not in result.output


BAD_CSV = {
    "missing column": ("words,label\nhi,greeting\n", "no column 'text' (columns: words, label)"),
    "empty label": ("text,label\nhi,\n", "line 2: empty 'label'"),
    "no rows": ("text,label\n", "no data rows"),
    "only out of scope": ("text,label\nhi,oos\n", "no in-scope training rows"),
}


@pytest.mark.parametrize("content, message", BAD_CSV.values(), ids=BAD_CSV.keys())
def test_bad_csv_file_gives_one_clear_line(tmp_path, content, message):
    train = tmp_path / "train.csv"
    train.write_text(content)
    result = runner.invoke(eval_app, ["csv", "--train", str(train), "--test", str(FIXTURES / "tiny_test.csv")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(train) in lines[0] and message in lines[0]


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nope.csv"
    result = runner.invoke(eval_app, ["csv", "--train", str(missing), "--test", str(missing)])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {missing}: file not found"


def test_loader_raises_data_error(tmp_path):
    path = tmp_path / "data.json"
    path.write_text("{}")
    with pytest.raises(DataError, match="missing split 'train'"):
        load_clinc150(path)


def test_weighing_val_towards_out_of_scope_never_lowers_the_gate_or_oos_recall():
    split_mix = run_json("clinc150", str(FIXTURES / "clinc_tiny.json"), "--calibrate", "val")
    heavy = run_json("clinc150", str(FIXTURES / "clinc_tiny.json"), "--calibrate", "val", "--oos-share", "0.9")
    assert heavy["gate"] >= split_mix["gate"]
    assert heavy["oos_recall"] >= split_mix["oos_recall"]


def test_held_out_intents_are_left_out_of_training_and_tested_as_out_of_scope():
    report = run_json("clinc150", str(FIXTURES / "clinc_tiny.json"), "--hold-out-intents", "2", "--seed", "1")
    assert report["held_out_intents"] == 2
    assert report["n_train"] == 56 - 2 * 8 and report["n_test"] == 13
    assert 0.0 <= report["held_out_recall"] <= 100.0
    assert "held_out_recall" not in run_json("clinc150", str(FIXTURES / "clinc_tiny.json"))


def test_a_held_out_intent_is_never_seen_by_training_or_tuning():
    data = load_clinc150(FIXTURES / "clinc_tiny.json")
    held = hold_out_intents(data, 2, seed=5)
    assert len(held.held_out) == 2 and held.held_out == hold_out_intents(data, 2, seed=5).held_out
    assert not {e.label for e in held.train + held.val} & set(held.held_out)
    moved = [e for e in held.test if e.held_out_from is not None]
    assert moved and all(e.label is None and e.held_out_from in held.held_out for e in moved)
    assert len(held.test) == len(data.test)


def test_a_held_out_intent_no_intents_would_know_is_caught():
    # Refund and thanks held out: what they asked is nothing like hours, location or prices.
    data = load_clinc150(FIXTURES / "clinc_tiny.json")
    for seed in range(20):
        if set(hold_out_intents(data, 2, seed).held_out) == {"refund", "thanks"}:
            break
    report = run_json("clinc150", str(FIXTURES / "clinc_tiny.json"), "--hold-out-intents", "2", "--seed", str(seed))
    assert report["held_out_recall"] == pytest.approx(100.0)


def test_holding_out_every_intent_is_one_clear_error():
    result = runner.invoke(eval_app, ["clinc150", str(FIXTURES / "clinc_tiny.json"), "--hold-out-intents", "7"])
    assert result.exit_code == 1
    assert result.output.strip().endswith("cannot hold out 7 intents: the training set has 7, and at least one must stay in scope")


def test_tuning_for_near_misses_trains_without_a_fifth_of_the_intents_and_reads_their_val_as_out_of_scope():
    tiny = load_clinc150(FIXTURES / "clinc_tiny.json")
    data = replace(tiny, val=tiny.test)  # every intent has a message to validate on
    tuned_on = with_intents_held_out_of_tuning(data)
    left_out = {e.label for e in data.train} - {e.label for e in tuned_on.train}
    assert len(left_out) == 1  # a fifth of 7 intents, rounded
    near = [e for e in tuned_on.val if e.held_out_from is not None]
    assert near and all(e.label is None and e.held_out_from in left_out for e in near)
    assert len(tuned_on.val) == len(data.val) and tuned_on.test == data.test
    assert with_intents_held_out_of_tuning(data) == tuned_on  # the same intents every time


def test_a_gate_weighed_on_near_misses_is_the_lowest_that_catches_them_all():
    data = load_clinc150(FIXTURES / "clinc_tiny.json")
    classifier = train_classifier(specs_from([e for e in data.train if e.label != "booking"]))
    # Asked of a café without booking: close to what it answers, unlike val's trivia questions.
    near = [Example("can i reserve a table for two tonight", None, "booking"),
            Example("could i book a table for friday evening", None, "booking")]
    val = [e for e in data.val if e.label != "booking"] + near
    gate = tune_gate(classifier, val, oos_share=0.99, near_share=1.0)
    near_rank = max(classifier.score(e.text).rank for e in near)
    ranks = [classifier.score(e.text).rank for e in val] + [1.0 + 1e-9]
    assert gate == pytest.approx(min(rank for rank in ranks if rank > near_rank))


def test_eval_clinc150_tunes_the_gate_for_near_misses_when_asked():
    args = ("clinc150", str(FIXTURES / "clinc_tiny.json"), "--hold-out-intents", "2", "--calibrate", "val",
            "--oos-share", "0.5")
    near = run_json(*args, "--near-share", "0.5")
    assert near["n_train"] == run_json(*args)["n_train"]  # the tuning-only training is not the one tested
    assert 0.0 <= near["gate"] <= 1.0 and "held_out_recall" in near

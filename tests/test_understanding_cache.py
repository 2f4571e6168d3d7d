"""Training runs once per set of examples: the disk cache reuses it and retrains on change."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.understanding import IntentSpec, LabelledExample, train_classifier
from tests.fixtures.cafe import cafe_specs


def cached_files(cache_dir):
    return sorted(p.name for p in cache_dir.glob("*.pkl"))


def test_unchanged_examples_reuse_the_cached_model(tmp_path):
    first = train_classifier(cafe_specs(), cache_dir=tmp_path)
    second = train_classifier(cafe_specs(), cache_dir=tmp_path)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert len(cached_files(tmp_path)) == 1
    text = "when do you close tonight"
    assert second.classify(text) == first.classify(text)


def test_changed_examples_retrain(tmp_path):
    train_classifier(cafe_specs(), cache_dir=tmp_path)
    changed = [IntentSpec(s.name, s.examples + ("do you sell gift vouchers",) if s.name == "prices" else s.examples) for s in cafe_specs()]
    retrained = train_classifier(changed, cache_dir=tmp_path)
    assert not retrained.from_cache
    assert retrained.classify("do you sell gift vouchers").name == "prices"
    assert len(cached_files(tmp_path)) == 2


def test_new_owner_example_retrains(tmp_path):
    train_classifier(cafe_specs(), cache_dir=tmp_path)
    taught = train_classifier(cafe_specs(), [LabelledExample("can i bring my dog", None)], cache_dir=tmp_path)
    assert not taught.from_cache
    assert taught.classify("can i bring my dog inside the cafe").out_of_scope


def test_keyword_change_needs_no_retrain_but_takes_effect(tmp_path):
    train_classifier(cafe_specs(), cache_dir=tmp_path)
    ruled = train_classifier(cafe_specs(refund=("chargeback",)), cache_dir=tmp_path)
    assert ruled.from_cache
    assert ruled.classify("chargeback").matched_by == "keyword"


def test_unreadable_cache_file_is_retrained(tmp_path):
    train_classifier(cafe_specs(), cache_dir=tmp_path)
    for path in tmp_path.glob("*.pkl"):
        path.write_bytes(b"not a pickle")
    again = train_classifier(cafe_specs(), cache_dir=tmp_path)
    assert not again.from_cache
    assert again.classify("what is your address").name == "location"


def test_retraining_keeps_only_the_model_in_use_and_the_one_before(tmp_path):
    taught: list[LabelledExample] = []
    for text in ("can i bring my dog", "do you have a loyalty card", "is there a cash machine nearby"):
        taught.append(LabelledExample(text, None))  # each teaching is a new model
        train_classifier(cafe_specs(), list(taught), cache_dir=tmp_path)
    assert len(cached_files(tmp_path)) == 2
    assert train_classifier(cafe_specs(), list(taught), cache_dir=tmp_path).from_cache  # the one in use stayed


def test_an_export_of_replaced_weights_is_pruned_but_never_another_models(tmp_path):
    from bot.understanding.onnx_cache import prune_exports, record_source

    exports = tmp_path / "onnx"
    exports.mkdir()
    ours, theirs = tmp_path / "ours" / "model", tmp_path / "theirs" / "model"  # same folder name
    for folder in (ours, theirs):
        folder.mkdir(parents=True)
    old, other, current = exports / "model-old.onnx", exports / "model-other.onnx", exports / "model-new.onnx"
    for export, source in ((old, ours), (other, theirs), (current, ours)):
        export.write_bytes(b"onnx")
        record_source(export, source)
    unknown = exports / "model-unnoted.onnx"  # written before exports were noted: left alone
    unknown.write_bytes(b"onnx")
    assert prune_exports(current, ours) == [old]
    assert sorted(p.name for p in exports.glob("*.onnx")) == ["model-new.onnx", "model-other.onnx", "model-unnoted.onnx"]


def test_a_stored_model_answers_in_a_new_process_without_scikit_learn(tmp_path):
    # Only training needs scikit-learn; a process that loads a stored model (every start of `chat`,
    # `run` or `serve` after the first) answers without importing it, which saves about a second and
    # a hundred MB.
    trained = train_classifier(cafe_specs(), cache_dir=tmp_path)
    expected = [trained.classify(text) for text in QUESTIONS]
    script = (
        "import json, sys\n"
        "from bot.understanding import train_classifier\n"
        "from tests.fixtures.cafe import cafe_specs\n"
        f"loaded = train_classifier(cafe_specs(), cache_dir={str(tmp_path)!r})\n"
        f"found = [[i.name, round(i.confidence, 9)] for i in map(loaded.classify, {QUESTIONS!r})]\n"
        "print(json.dumps({'from_cache': loaded.from_cache, 'found': found,\n"
        "                  'sklearn': sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn')}))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parent.parent)
    seen = json.loads(done.stdout)
    assert seen == {"from_cache": True, "found": [[i.name, round(i.confidence, 9)] for i in expected], "sklearn": []}


QUESTIONS = ["when do you close tonight", "what is your address", "can i bring my dog inside",
             "do you sell gift vouchers and how much are they", "asdf qwerty"]

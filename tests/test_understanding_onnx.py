"""The embeddings model on onnxruntime: the same vectors as sentence-transformers, exported once
(into the run's tmp user cache, see conftest.py) and re-exported when the file is damaged."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.errors import ConfigError
from bot.understanding import onnx_export
from bot.understanding.embedding import load_encoder, model_path
from bot.understanding.onnx_cache import PROBE_KEY, cache_root, onnx_file
from bot.understanding.onnx_encoder import OnnxEncoder
from bot.understanding.runtimes import open_encoder
from bot.understanding.sentence_layout import mean_pooled_model
from bot.understanding.torch_encoder import TorchEncoder
from tests.fixtures.cafe import cafe_examples, cafe_test_messages

# The model is exported to ONNX once per run, whichever worker gets here first (see conftest.py).
pytestmark = pytest.mark.usefixtures("embeddings_encoder")

REPO = str(Path(__file__).resolve().parent.parent)
# Past the model's 256 word pieces, so truncation matters.
LONG = "could you tell me whether the kitchen is still open and what the specials are today " * 20
ODD = ["", " ", "?", "🙂", "😀😀😀 !!!", "Crème brûlée, naïve café", "ÅÄÖ straße İstanbul ﬁ", "日本語のテキスト",
       "\t\n  hello  \n", "Ünïcödé ÀÉÎÕÜ ñ ç ø", LONG, LONG + " and then some more words at the end"]


def varied_texts() -> list[str]:
    """About two hundred messages: the café's, their upper-cased and suffixed forms, and odd ones."""
    base = [example.text for example in (*cafe_examples(), *cafe_test_messages())]
    return base + [text.upper() for text in base] + [f"{text} 🙂 merci!" for text in base] + ODD


def assert_same_vectors(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= 1e-4
    assert (actual * expected).sum(axis=1).min() >= 0.99999


def reasons(caplog: pytest.LogCaptureFixture) -> str:
    """The `reason` fields of the logged records (structured logging keeps them out of the message)."""
    return " ".join(str(getattr(record, "reason", "")) for record in caplog.records)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return model_path("all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def onnx(model_dir: Path) -> OnnxEncoder:
    encoder = load_encoder("all-MiniLM-L6-v2")  # exported into the run's user cache, once
    assert isinstance(encoder, OnnxEncoder)
    return encoder


@pytest.fixture(scope="module")
def reference(model_dir: Path) -> TorchEncoder:
    return TorchEncoder(model_dir)


@pytest.fixture
def exported(onnx: OnnxEncoder, model_dir: Path) -> Path:
    return onnx_file(model_dir, cache_root())


def test_batched_vectors_are_the_sentence_transformers_vectors(onnx: OnnxEncoder, reference: TorchEncoder) -> None:
    texts = varied_texts()
    assert len(texts) > 150
    assert_same_vectors(onnx.encode(texts), reference.encode(texts))


def test_one_message_at_a_time_gets_the_sentence_transformers_vector(onnx: OnnxEncoder,
                                                                      reference: TorchEncoder) -> None:
    for text in [*ODD, *[example.text for example in cafe_test_messages()]]:
        assert_same_vectors(onnx.encode([text]), reference.encode([text]))


def test_a_message_alone_and_in_a_batch_of_other_lengths_agree(onnx: OnnxEncoder) -> None:
    texts = varied_texts()
    batched = onnx.encode(texts)
    for index in (0, len(texts) - 1, len(texts) - 3):
        assert np.abs(onnx.encode([texts[index]])[0] - batched[index]).max() <= 1e-6


def test_text_past_the_model_length_is_cut_off_like_the_model_does(onnx: OnnxEncoder, model_dir: Path) -> None:
    assert mean_pooled_model(model_dir).max_seq_length == 256
    assert np.allclose(onnx.encode([LONG]), onnx.encode([LONG + " and then some more words at the end"]))
    assert np.linalg.norm(onnx.encode([""])) == pytest.approx(1.0)


def test_a_later_process_loads_the_export_without_torch_or_exporting_again(exported: Path) -> None:
    before = exported.stat().st_mtime_ns
    script = ("import sys\n"
              "from bot.understanding.embedding import EmbeddingFeaturizer, load_encoder\n"
              "EmbeddingFeaturizer().embed(['is the kitchen open late?'])\n"
              "print(type(load_encoder('all-MiniLM-L6-v2')).__name__, 'torch' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": REPO})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["OnnxEncoder", "False"]
    assert exported.stat().st_mtime_ns == before


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_damaged_export_is_detected_and_exported_again(damage: str, exported: Path, model_dir: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    target = onnx_file(model_dir, tmp_path)
    target.parent.mkdir(parents=True)
    good = exported.read_bytes()
    target.write_bytes(good[: len(good) // 2] if damage == "truncated" else b"not a model" * 1000)
    exports: list[Path] = []

    def export_by_copying(encoder: object, path: Path) -> None:  # a real export costs seconds; its bytes are here
        exports.append(path)
        shutil.copyfile(exported, path)

    monkeypatch.setattr(onnx_export, "export_onnx", export_by_copying)
    with caplog.at_level(logging.WARNING, logger="bot.understanding.runtimes"):
        encoder = open_encoder(model_dir, tmp_path)
    assert isinstance(encoder, OnnxEncoder) and exports == [target]
    assert "cached ONNX export is unusable" in caplog.text and "delete it to export again" in reasons(caplog)
    assert encoder.probe_difference() <= 1e-4


def test_intact_export_is_loaded_without_exporting(exported: Path, model_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = onnx_file(model_dir, tmp_path)
    target.parent.mkdir(parents=True)
    shutil.copyfile(exported, target)

    def no_export(encoder: object, path: Path) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "export_onnx", no_export)
    assert isinstance(open_encoder(model_dir, tmp_path), OnnxEncoder)


def test_without_onnxruntime_torch_embeds_and_a_warning_says_why(model_dir: Path, tmp_path: Path,
                                                                  onnx: OnnxEncoder,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now fails
    with caplog.at_level(logging.WARNING, logger="bot.understanding.runtimes"):
        encoder = open_encoder(model_dir, tmp_path)
    assert isinstance(encoder, TorchEncoder)
    assert "not onnxruntime" in caplog.text
    assert "pip install -e '.[embeddings]'" in reasons(caplog)
    assert_same_vectors(encoder.encode(["is the kitchen open?"]), onnx.encode(["is the kitchen open?"]))
    assert not (tmp_path / "onnx").exists()


def test_failed_export_keeps_torch_and_says_why(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    def broken_export(encoder: object, path: Path) -> None:
        raise ConfigError("could not export the embeddings model to ONNX (RuntimeError: unsupported op)")

    monkeypatch.setattr(onnx_export, "export_onnx", broken_export)
    with caplog.at_level(logging.WARNING, logger="bot.understanding.runtimes"):
        encoder = open_encoder(model_dir, tmp_path)
    assert isinstance(encoder, TorchEncoder)
    assert "unsupported op" in reasons(caplog)


def test_a_model_pooled_another_way_is_not_run_on_onnx(model_dir: Path, tmp_path: Path) -> None:
    for name in ("modules.json", "config.json", "sentence_bert_config.json", "tokenizer.json"):
        shutil.copyfile(model_dir / name, tmp_path / name)
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    with pytest.raises(ConfigError, match="not mean pooling"):
        mean_pooled_model(tmp_path)


def test_the_cache_follows_xdg_and_new_weights_get_a_new_file(tmp_path: Path) -> None:
    assert cache_root({"XDG_CACHE_HOME": "/srv/cache", "HOME": "/home/owner"}) == Path("/srv/cache/socialdesk")
    assert cache_root({"HOME": "/home/owner"}) == Path("/home/owner/.cache/socialdesk")
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "model.safetensors").write_bytes(b"weights, first version")
    first = onnx_file(model, tmp_path)
    (model / "model.safetensors").write_bytes(b"weights, second version")
    assert onnx_file(model, tmp_path) != first and first.parent == tmp_path / "onnx"


def test_an_export_that_computes_other_vectors_is_not_used(exported: Path, model_dir: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    import onnx

    def export_with_other_vectors(encoder: object, path: Path) -> None:
        # As if the runtime computed something else than sentence-transformers did at export.
        model = onnx.load(str(exported))
        for entry in model.metadata_props:
            if entry.key == PROBE_KEY:
                probe = json.loads(entry.value)
                probe["vectors"][0][0] += 0.01
                entry.value = json.dumps(probe)
        path.parent.mkdir(parents=True, exist_ok=True)
        onnx.save(model, str(path))

    monkeypatch.setattr(onnx_export, "export_onnx", export_with_other_vectors)
    with caplog.at_level(logging.WARNING, logger="bot.understanding.runtimes"):
        encoder = open_encoder(model_dir, tmp_path)
    assert isinstance(encoder, TorchEncoder)
    assert "vectors differ" in reasons(caplog)
    assert not onnx_file(model_dir, tmp_path).exists()

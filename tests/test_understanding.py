"""The default backend: keyword rules, out of scope, owner learning, confidence."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.understanding import (
    DEFAULT_AUTO_THRESHOLD,
    OUT_OF_SCOPE_BELOW,
    IntentSpec,
    LabelledExample,
    train_classifier,
)
from bot.understanding.features import char_wb_grams, word_terms
from bot.understanding.vocabulary import stop_words
from tests.fixtures.cafe import cafe_specs, cafe_test_messages


@pytest.fixture(scope="module")
def classifier():
    return train_classifier(cafe_specs())


def test_keyword_rule_wins_over_the_model():
    plain = train_classifier(cafe_specs())
    ruled = train_classifier(cafe_specs(refund=("chargeback",), booking=(r"re:\btable\s+for\s+\d+\b",)))
    assert plain.classify("what time do you open, chargeback?").name == "hours"
    intent = ruled.classify("what time do you open, chargeback?")
    assert (intent.name, intent.matched_by) == ("refund", "keyword")
    assert ruled.classify("How much is a TABLE FOR 4?").name == "booking"
    assert ruled.classify("I want a chargeback").confidence == 1.0  # words and meaning agree


def test_a_keyword_the_model_reads_as_another_intent_is_not_sure_enough_to_answer_alone():
    ruled = train_classifier(cafe_specs(refund=("chargeback",)))
    intent = ruled.classify("what time do you open, chargeback?")  # the model reads an hours question
    assert intent.name == "refund" and intent.confidence < DEFAULT_AUTO_THRESHOLD


def test_a_message_between_two_intents_is_less_sure_than_either_alone(classifier):
    hours = classifier.classify("what time do you open on saturday").confidence
    location = classifier.classify("where is the cafe").confidence
    both = classifier.classify("what time is the cafe open where").confidence
    assert both < min(hours, location)


def test_plain_keyword_matches_whole_words_only():
    ruled = train_classifier(cafe_specs(refund=("refund",)))
    assert ruled.classify("refunds are they possible").matched_by != "keyword"
    assert ruled.classify("A REFUND, please").matched_by == "keyword"


def test_in_scope_messages_get_their_intent(classifier):
    for example in cafe_test_messages():
        if example.label is not None:
            intent = classifier.classify(example.text)
            assert intent.name == example.label, example.text
            assert OUT_OF_SCOPE_BELOW <= intent.confidence <= 1.0
            assert intent.matched_by == "model"


@pytest.mark.parametrize("text", ["who won the football world cup in 1998", "tell me a joke", "8888 9999", ""])
def test_unrelated_message_is_out_of_scope_with_shipped_defaults(classifier, text):
    intent = classifier.classify(text)
    assert intent.out_of_scope
    assert intent.matched_by == "none"
    assert 0.0 <= intent.confidence < OUT_OF_SCOPE_BELOW


def test_clear_question_clears_the_default_auto_threshold(classifier):
    assert classifier.classify("what time do you open on saturday").confidence >= DEFAULT_AUTO_THRESHOLD


def test_owner_confirmed_example_changes_the_next_prediction():
    text = "do you sell gift vouchers"
    before = train_classifier(cafe_specs()).classify(text)
    after = train_classifier(cafe_specs(), [LabelledExample(text, "prices")])
    assert before.name != "prices"
    assert after.classify(text).name == "prices"
    assert after.classify("do you sell gift cards").name == "prices"


def test_owner_out_of_scope_example_pushes_similar_messages_out():
    text = "can i bring my dog inside the cafe"
    assert train_classifier(cafe_specs()).classify(text).name is not None
    taught = train_classifier(cafe_specs(), [LabelledExample("can i bring my dog", None)])
    assert taught.classify(text).out_of_scope
    assert taught.classify("what time do you open on saturday").name == "hours"


def test_owner_example_for_an_unknown_intent_is_ignored():
    taught = train_classifier(cafe_specs(), [LabelledExample("do you sell gift vouchers", "vouchers")])
    assert taught.classify("do you sell gift vouchers").name != "vouchers"


def test_profile_without_examples_says_out_of_scope():
    classifier = train_classifier([IntentSpec("hours", ())])
    assert classifier.classify("what time do you open").out_of_scope


def test_single_intent_profile_still_separates_unrelated_messages():
    specs = [spec for spec in cafe_specs() if spec.name == "hours"]
    classifier = train_classifier(specs)
    assert classifier.classify("what time do you open on sunday").name == "hours"
    assert classifier.classify("explain quantum entanglement").out_of_scope


def test_unknown_backend_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown understanding backend 'gpt'"):
        train_classifier(cafe_specs(), backend="gpt")


def test_confidence_is_half_at_the_gate_and_rises_to_one():
    from bot.understanding.base import rank_to_confidence

    assert rank_to_confidence(0.2, gate=0.2) == pytest.approx(OUT_OF_SCOPE_BELOW)
    assert rank_to_confidence(1.0, gate=0.2) == pytest.approx(1.0)
    assert rank_to_confidence(0.0, gate=0.2) == pytest.approx(0.0)
    ranks = [i / 20 for i in range(21)]
    confidences = [rank_to_confidence(r, gate=0.07) for r in ranks]
    assert confidences == sorted(confidences)


def test_rank_counts_held_out_scores_below():
    from bot.understanding.calibration import RankScale

    scale = RankScale.of([0.1, 0.2, 0.3, 0.4])
    assert scale.rank(0.0) == 0.0
    assert scale.rank(0.25) == pytest.approx(0.5)
    assert scale.rank(0.3) == pytest.approx(0.625)  # a tie counts half
    assert scale.rank(9.0) == 1.0


def test_accents_curly_apostrophes_and_numbers_give_the_same_words_as_plain_text():
    plain = word_terms("whats the price for 2 people in the cafe")
    assert word_terms("What\u2019s the PRICE for 12 people in the Café?") == plain
    assert "what is" in plain and "for _ people" in plain


@pytest.mark.parametrize("text", ["Can I bring my dog?", "a", "hi  there", "naïve café, 10am!", "x" * 7, "re-booking"])
def test_direct_character_grams_are_scikit_learns(text):
    # A stored model cuts words into character n-grams itself, so it runs without scikit-learn; the
    # grams must be exactly those its vocabulary was learned from.
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyze = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    ours = [gram for word in text.lower().split() for gram in char_wb_grams(word, 2, 5)]
    assert ours == analyze(text)


def test_the_stop_word_list_is_scikit_learns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert stop_words() == ENGLISH_STOP_WORDS

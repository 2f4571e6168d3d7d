"""Near misses: messages close to an intent that its reply does not answer are out of scope."""

from __future__ import annotations

import pytest

from bot.understanding import IntentSpec, train_classifier
from bot.understanding.classifier import clauses
from bot.understanding.training import training_set
from bot.understanding.model import NOT_ANSWERED

BOOKING = IntentSpec(
    "booking",
    ("can I book a table for 4", "I'd like to reserve a table", "table for two on friday", "do you take bookings",
     "can we book for sunday lunch", "reserve a table for six please", "how do I book a table"),
    ("reservation",),
    ("book me a hotel room", "cancel my reservation", "change my reservation to friday", "book the gym"),
)
HOURS = IntentSpec("hours", ("what time do you open", "when do you close", "are you open on sunday",
                             "opening hours please", "how late are you open", "are you open now"))


@pytest.fixture(scope="module")
def classifier():
    return train_classifier([BOOKING, HOURS], not_answered=["can you call me a taxi", "is this the dentist"])


def test_near_misses_and_requests_not_offered_are_one_class_of_their_own() -> None:
    data = training_set([BOOKING, HOURS], [], ["is this the dentist"])
    misses = [t for t, label in zip(data.texts, data.labels) if label == NOT_ANSWERED]
    assert misses == ["book me a hotel room", "cancel my reservation", "change my reservation to friday",
                      "book the gym", "is this the dentist"]


def test_the_class_is_never_an_intent(classifier) -> None:
    assert classifier.trained.model.labels == ("booking", "hours")


def test_a_near_miss_is_out_of_scope_and_a_real_request_is_not(classifier) -> None:
    assert classifier.classify("could you book me a hotel room for tonight").out_of_scope
    assert classifier.classify("can I book a table for 3 on saturday").name == "booking"


def test_a_keyword_does_not_win_over_a_near_miss(classifier) -> None:
    # "reservation" is booking's keyword, but changing a reservation is not what the booking reply answers.
    assert classifier.classify("please change my reservation to saturday").out_of_scope
    assert classifier.classify("I'd like to make a reservation for two").name == "booking"


def test_a_second_question_is_named_in_also(classifier) -> None:
    intent = classifier.classify("what time do you open and can I book a table for 4")
    assert intent.name in ("hours", "booking") and intent.also


@pytest.mark.parametrize(("text", "parts"), [
    ("what time do you open and can I bring my dog?", ["what time do you open", "can I bring my dog"]),
    ("hi! what time do you open on saturday?", ["what time do you open on saturday"]),
    ("where are you, do you have parking", ["where are you", "do you have parking"]),
    ("a table for 4 and 2 kids", ["a table for 4"]),
])
def test_a_message_splits_into_the_questions_it_asks(text: str, parts: list[str]) -> None:
    assert clauses(text) == parts


def test_a_greeting_with_a_request_inside_names_the_request() -> None:
    greeting = IntentSpec("greeting", ("hi", "hello", "hey there", "good morning", "hiya", "hello, anyone there?"))
    trained = train_classifier([BOOKING, HOURS, greeting])
    intent = trained.classify("hello? what time do you open on sunday")
    # Either the hours question wins, or the greeting does and names it: never a greeting alone.
    assert intent.name == "hours" or intent.also == ("hours",)
    assert trained.classify("hello there").also == ()

"""Routine questions the way customers type them, through the console: chat spelling, a time or an
occasion, a question that only shares a near miss's frame. Each is answered alone, while a message that
names what the reply does not cover still waits for the owner."""

from __future__ import annotations

import pytest

from tests.factories import answered_alone
from tests.support.console import ConsoleTranscript


@pytest.mark.parametrize(("text", "answer"), [
    ("hiyaaa, r u open?", "Corner Bean Café: "),  # emphasis and chat spelling
    ("wot time do u open 2moro", "Corner Bean Café: We're open"),
    ("can I come in tomorrow 10ish", "Corner Bean Café: We're open"),
    ("any vacancies going at the moment?", "email your CV"),  # "at the moment" names nothing
    ("where's easiest to park round yours", "pay-and-display parking on Vicar Lane"),
])
async def test_chat_spelling_and_discourse_words_are_answered_alone(chat: ConsoleTranscript, text: str,
                                                                    answer: str) -> None:
    reply = await chat.say(text)
    assert answer in reply and "[owner]" not in reply


@pytest.mark.parametrize(("text", "answer"), [
    ("can I book a table for lunch on friday", "book a table here"),  # a meal is when, not what
    ("do you sell gift cards for birthdays and christmas", "gift cards for any amount"),  # what it is for
    ("any jobs going for a couple of hours a week?", "email your CV"),  # how long, after "for"
])
async def test_the_occasion_or_the_length_of_a_visit_is_no_new_thing(chat: ConsoleTranscript, text: str,
                                                                    answer: str) -> None:
    reply = await chat.say(text)
    assert answer in reply and "[owner]" not in reply


@pytest.mark.parametrize(("text", "answer"), [
    ("what's your post code please", "LS1 6DT"),  # framed like "do you deliver to my postcode"
    ("how much is a pot of tea", "menu with prices"),
    ("do you do toasted teacakes", "menu with prices"),  # any dish is on the menu
])
async def test_a_question_framed_like_a_near_miss_keeps_its_intent(chat: ConsoleTranscript, text: str,
                                                                  answer: str) -> None:
    reply = await chat.say(text)
    assert answer in reply and "[owner]" not in reply


@pytest.mark.parametrize("text", [
    "how much does the coffee tasting cost",  # the events' tasting, not a dish on the menu
    "do you deliver on sundays",  # the delivery reply never names a day
    "can I pay with a cheque",
    "do you take amex",
    "is there disabled parking",
    "can I bring my guide dog",
    "do you deliver to headingley",
    "can I pay for the tasting by card",
])
async def test_a_message_naming_what_the_reply_does_not_cover_still_waits(chat: ConsoleTranscript,
                                                                          text: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs" in reply
    assert not answered_alone(reply)

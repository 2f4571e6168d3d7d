"""Questions in words the examples never use, through the console: a word close in meaning to one of the
intent's own words is answered alone; a word for something else still waits for the owner."""

from __future__ import annotations

import pytest

from tests.factories import answered_alone
from tests.support.console import ConsoleTranscript


@pytest.mark.parametrize(("text", "answer"), [
    ("what's the closest car park to you", "pay-and-display parking on Vicar Lane"),  # closest ~ nearest
    ("is there an accessible restroom", "accessible toilet on the ground floor"),  # restroom ~ toilet
    ("closest bus stop?", "14 Market Street"),
    ("is there a carpark nearby", "pay-and-display parking on Vicar Lane"),  # the examples' "car park", joined
])
async def test_a_word_meaning_what_an_example_says_is_answered_alone(chat: ConsoleTranscript, text: str, answer: str) -> None:
    reply = await chat.say(text)
    assert answer in reply and "[owner]" not in reply


@pytest.mark.parametrize("text", [
    "do you do delivery to LS7",  # a postcode is not the café's own LS1, however alike they look
    "can I bring my service dog",
    "is parking free for blue badge holders",
    "can I pay with paypal",  # close to "pay" only because it starts with it
])
async def test_a_word_for_something_the_reply_never_covers_still_waits(chat: ConsoleTranscript, text: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs you" in reply
    assert not answered_alone(reply)


@pytest.mark.parametrize(("text", "answer"), [
    ("are you open on sunday? can we come in", "Corner Bean Café: "),
    ("where are you? we want to come over", "14 Market Street"),
    ("do you do takeaway? can I come and get it", "Everything on the menu can be taken away"),
])
async def test_a_follow_on_that_names_nothing_new_is_no_second_question(chat: ConsoleTranscript, text: str, answer: str) -> None:
    reply = await chat.say(text)
    assert answer in reply and "[owner]" not in reply


async def test_a_follow_on_that_names_something_else_is_still_a_second_question(chat: ConsoleTranscript) -> None:
    reply = await chat.say("are you open on sunday? can we bring the dog")
    assert "[owner] draft #1 needs you" in reply and "also asks about dogs" in reply
    assert not answered_alone(reply)


@pytest.mark.parametrize("text", [
    "are u open xmas eve?",
    "how late r u open 2nite",
    "are you open at lunchtime tomorrow",
])
async def test_a_day_in_chat_spelling_or_a_time_of_day_is_no_unknown_thing(chat: ConsoleTranscript, text: str) -> None:
    reply = await chat.say(text)
    assert "Corner Bean Café: " in reply and "[owner]" not in reply


async def test_a_time_of_day_still_holds_a_reply_that_names_no_time(chat: ConsoleTranscript) -> None:
    reply = await chat.say("is there step free access in the evening")
    assert "[owner] draft #1 needs you" in reply
    assert not answered_alone(reply)


async def test_a_time_of_day_is_answered_by_a_reply_whose_facts_name_a_time(chat: ConsoleTranscript) -> None:
    # The parking fact says "free on-street parking after 6pm", so the evening is what it answers.
    reply = await chat.say("is parking free in the evening?")
    assert "free on-street parking after 6pm" in reply and "[owner]" not in reply

"""When the words of a message agree with what the model read, through the console: a question just under
the threshold whose every word its intent's examples use, a letter pair typed the wrong way round, the
event the events reply names, and a part of the message that only tells. Each is answered alone, while a
message naming something the reply does not cover still waits for the owner."""

from __future__ import annotations

import pytest

from bot.events.profile_sync import sync_profile_events
from tests.factories import answered_alone
from tests.support.console import ConsoleTranscript


@pytest.mark.parametrize(("text", "answer"), [
    ("could you drop me a map pin?", "14 Market Street"),  # just under the threshold, every word location's
    ("do you tkae google pay", "We take cards"),  # "tkae" is "take" typed fast
    ("hw much is the parikng", "pay-and-display parking"),  # parking typed fast, not a price on the menu
    ("is it worth booking a table for friday", "book a table here"),  # "worth" is how it is asked
    ("do you sell gift cards? want one for my dad's 60th", "gift cards for any amount"),  # the rest only tells
])
async def test_words_that_agree_with_the_intent_are_answered_alone(chat: ConsoleTranscript, text: str,
                                                                   answer: str) -> None:
    reply = await chat.say(text)
    assert answer in reply and "[owner]" not in reply


async def test_the_events_reply_knows_the_words_of_the_event_it_names(chat: ConsoleTranscript) -> None:
    await sync_profile_events(chat.app.events, chat.app.profile)  # as `socialdesk chat` does on start
    reply = await chat.say("tell me about the winter coffee tasting")
    assert "Next up: Winter coffee tasting" in reply and "[owner]" not in reply


async def test_a_part_that_only_tells_and_names_nothing_of_what_it_was_read_as_is_context(
        chat: ConsoleTranscript) -> None:
    # "we're all coming over" reads like an RSVP, but names no event: it is why the customer asks.
    reply = await chat.say("where are you? we're all coming over from york")
    assert "14 Market Street" in reply or "[owner] draft #1 needs" in reply
    assert "also asks about rsvp" not in reply


@pytest.mark.parametrize("text", [
    "can i pay wiht paypal",  # a swapped pair is forgiven, "paypal" is still not a thing the reply names
    "what time do you open? I need a taxi from the station",  # a telling part still names what it names
    "do you take card? I've only got an amex",
])
async def test_what_the_reply_does_not_cover_still_waits(chat: ConsoleTranscript, text: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs" in reply
    assert not answered_alone(reply)

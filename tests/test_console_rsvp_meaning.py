"""RSVPs in words, through the console: they mean what they say, and they meet the same policy as any message."""

from __future__ import annotations

import pytest

from storage import contacts
from tests.event_support import answers, tasting
from tests.support.console import ConsoleTranscript

YOURE_IN = "You're in, Ana!"


async def test_yes_with_a_party_size_is_recorded_and_confirmed(chat: ConsoleTranscript) -> None:
    event_id = await tasting(chat.app, capacity=20)
    reply = await chat.say("count me in for the tasting, 2 of us")
    assert YOURE_IN in reply and "We have you down for 2." in reply
    assert [(size, status) for _, _, size, status in await answers(chat.app, event_id)] == [(2, "going")]


@pytest.mark.parametrize("cancel", ["I can't make the tasting any more, sorry", "Sorry, I won't be coming on Saturday",
                                    "we won't be able to come to the tasting after all"])
async def test_a_cancellation_in_words_is_a_cancellation_not_youre_in(chat: ConsoleTranscript, cancel: str) -> None:
    event_id = await tasting(chat.app, capacity=20)
    assert YOURE_IN in await chat.say("count me in for the tasting")
    reply = await chat.say(cancel)
    assert YOURE_IN not in reply and "Corner Bean Café:" in reply
    assert [status for *_, status in await answers(chat.app, event_id)] in ([], ["not_going"])


async def test_maybe_is_recorded_as_maybe(chat: ConsoleTranscript) -> None:
    event_id = await tasting(chat.app, capacity=20)
    reply = await chat.say("maybe for the tasting, not sure yet")
    assert YOURE_IN not in reply
    assert [status for *_, status in await answers(chat.app, event_id)] == ["maybe"]


@pytest.mark.parametrize("question", ["Is the tasting still on?", "How much are tickets?",
                                      "vegan options at the tasting?", "what time does the tasting finish?",
                                      "whens the tasting on", "can kids come along to the tasting"])
async def test_a_question_about_the_event_is_not_an_rsvp(chat: ConsoleTranscript, question: str) -> None:
    event_id = await tasting(chat.app, capacity=20)
    reply = await chat.say(question)
    assert YOURE_IN not in reply
    assert await answers(chat.app, event_id) == []


LONG_ENQUIRY = ("Hi! Count me in for the tasting. " + "We're also planning a big birthday party for my dad in "
                "January, about thirty people, with a cake, speeches and a slideshow, and we wondered whether you "
                "could do food, whether we could have the whole back room, and what it might cost. " * 7)


@pytest.mark.parametrize("message", [
    "count me in for the tasting, details of my group at www.example.com/party",
    LONG_ENQUIRY,
    "count me in for the tasting, though the last one was a bit of a joke",
    "count me in for the tasting and can I bring my dog?",
])
async def test_an_rsvp_the_policy_would_hold_waits_for_the_owner(chat: ConsoleTranscript, message: str) -> None:
    assert len(LONG_ENQUIRY) > 1600
    event_id = await tasting(chat.app, capacity=20)
    reply = await chat.say(message)
    assert YOURE_IN not in reply and "[owner] draft #1 needs you" in reply
    assert await answers(chat.app, event_id) == []


async def test_a_vip_rsvp_waits_for_the_owner(chat: ConsoleTranscript) -> None:
    event_id = await tasting(chat.app, capacity=20)
    await chat.say("hi")
    async with chat.app.db.session() as session:
        await contacts.set_vip(session, 1, True)
    reply = await chat.say("count me in for the tasting")
    assert YOURE_IN not in reply and "VIP contact" in reply
    assert await answers(chat.app, event_id) == []


async def test_an_rsvp_in_a_conversation_a_person_has_taken_over_is_theirs(chat: ConsoleTranscript) -> None:
    event_id = await tasting(chat.app, capacity=20)
    await chat.say("hi")
    await chat.say("/takeover")
    reply = await chat.say("count me in for the tasting")
    assert YOURE_IN not in reply and "Corner Bean Café:" not in reply
    assert await answers(chat.app, event_id) == []


async def test_a_cancellation_naming_no_event_from_someone_without_an_rsvp_reaches_the_owner(
        chat: ConsoleTranscript) -> None:
    # "the 5th" may be a table booking: the bot does not guess which arrangement is off.
    await tasting(chat.app, capacity=20)
    reply = await chat.say("I won't be able to make it on the 5th")
    assert "[owner] draft #1 needs you" in reply
    assert "nothing to cancel" not in reply


async def test_cancelling_the_tasting_without_an_rsvp_is_told_there_is_nothing_to_cancel(
        chat: ConsoleTranscript) -> None:
    event_id = await tasting(chat.app, capacity=20)
    reply = await chat.say("can't come to the tasting after all, sorry")
    assert "so there's nothing to cancel." in reply and "[owner]" not in reply
    assert await answers(chat.app, event_id) == []

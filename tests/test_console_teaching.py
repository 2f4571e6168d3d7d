"""Teaching that learns the right thing, through the console: edits do not teach a wrong intent, and the
owner's label is what the bot learns."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FrozenClock
from storage import examples
from tests.support.console import ConsoleTranscript

async def test_an_edited_draft_does_not_teach_its_intent(chat: ConsoleTranscript) -> None:
    await chat.say("I want a refund, my coffee was cold")
    await chat.say("/edit So sorry Ana, your next coffee is on us.")
    async with chat.app.db.session() as session:
        assert await examples.all_examples(session) == []


async def test_an_approved_draft_teaches_its_intent(chat: ConsoleTranscript) -> None:
    await chat.say("I'd like to speak to the manager about a private party")
    await chat.say("/approve")
    async with chat.app.db.session() as session:
        assert [e.intent for e in await examples.all_examples(session)] == ["human"]


async def test_the_owner_labels_a_message_and_the_same_message_is_understood_next_time(chat: ConsoleTranscript,
                                                                                      clock: FrozenClock) -> None:
    await chat.say("what's the best way to reach Sam directly")
    labelled = await chat.say("/label contact")
    assert "[owner] noted: that was contact; learnt it" in labelled
    clock.advance(timedelta(minutes=chat.app.profile.policy.repeat_window_minutes + 1))  # not a repeat
    again = await chat.say("what's the best way to reach Sam directly")
    assert "Corner Bean Café: You can ring us on 0113 496 0000" in again


async def test_out_of_scope_from_the_console_sends_the_next_one_to_the_owner(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    await chat.say("do you sell loaves of bread to take home")
    assert "learnt it" in await chat.say("/label out-of-scope")
    clock.advance(timedelta(minutes=chat.app.profile.policy.repeat_window_minutes + 1))
    again = await chat.say("do you sell loaves of bread to take home")
    assert "[owner] draft #2 needs you" in again and "out of scope" in again


async def test_a_label_the_profile_does_not_know_is_refused(chat: ConsoleTranscript) -> None:
    await chat.say("hi")
    reply = await chat.say("/label contcat")
    assert "no intent called contcat" in reply and "contact" in reply


def test_a_correction_replaces_what_an_approval_taught() -> None:
    from bot.messages import LabelledExample
    from bot.understanding import IntentSpec
    from bot.understanding.training import training_set

    specs = [IntentSpec("location", ("where are you",)), IntentSpec("contact", ("what's your number",))]
    owner = [LabelledExample("What's your phone number?", "location"), LabelledExample("what's your phone number?", "contact")]
    data = training_set(specs, owner)
    assert [(t, label) for t, label in zip(data.texts, data.labels)][-1] == ("what's your phone number?", "contact")
    assert "What's your phone number?" not in data.texts

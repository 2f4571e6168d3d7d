"""Whole-bot conversations through the console channel, on the example café and a SQLite file."""

from datetime import timedelta

import pytest

from bot.clock import FrozenClock
from bot.owner import quiet_words
from storage import drafts, outbox
from tests.conftest import london
from tests.support.console import ConsoleTranscript


async def test_saturday_hours_come_from_the_profile(chat: ConsoleTranscript) -> None:
    reply = await chat.say("what time do you open on saturday?")
    assert "Corner Bean Café: We're open 9am–5pm on Saturday 28 November." in reply
    assert "[owner]" not in reply


async def test_weekday_question_is_answered_in_the_business_time_zone(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    # 17:30 UTC on a Thursday is 17:30 in London in November: open until 8pm.
    clock.set(london(2026, 11, 26, 17, 30))
    reply = await chat.say("are you open now?")
    assert "we're open now until 8pm" in reply


async def test_holiday_closure_is_announced_with_its_name(chat: ConsoleTranscript, clock: FrozenClock) -> None:
    clock.set(london(2026, 12, 25, 9, 0))
    reply = await chat.say("are you open today?")
    assert "Corner Bean Café: We're closed today for Christmas Day, sorry!" in reply
    assert "We open again on Sunday 27 December at 10am." in reply


async def test_asking_about_a_holiday_by_name_gives_that_day(chat: ConsoleTranscript) -> None:
    reply = await chat.say("what are your hours on christmas eve?")
    assert "We're open 8am–2pm on Thursday 24 December (Christmas Eve hours)." in reply


async def test_refund_complaint_goes_to_the_owner_with_its_reasons(chat: ConsoleTranscript) -> None:
    reply = await chat.say("I want a refund, my coffee was cold")
    assert "[owner] draft #1 needs you" in reply
    assert 'refund messages always go to the owner; mentions "refund"' in reply
    # The customer hears only that Sam will answer: the refund draft waits for him.
    assert reply.count("Corner Bean Café:") == 1 and "Corner Bean Café: Thanks, Ana! Sam will reply to you personally" in reply
    async with chat.app.db.session() as session:
        assert [(i.kind, i.idempotency_key) for i in await outbox.items(session)] == [("owner_card", "card:1"),
                                                                                       ("reply", "ack:1")]


async def test_approve_sends_the_draft_to_the_customer(chat: ConsoleTranscript) -> None:
    held = await chat.say("I'd like to speak to the manager about a private party")
    assert "[owner] draft #1 needs you" in held and "Corner Bean Café: Of course!" not in held
    reply = await chat.say("/approve")
    assert "Corner Bean Café: Of course! I've let Sam know" in reply
    assert "[owner] sent by console" in reply


async def test_edit_sends_the_owners_words_instead(chat: ConsoleTranscript) -> None:
    await chat.say("my latte was cold and the staff were rude")
    reply = await chat.say("/edit So sorry Ana, your next coffee is on us.")
    assert "Corner Bean Café: So sorry Ana, your next coffee is on us." in reply
    async with chat.app.db.session() as session:
        draft = await drafts.get_draft(session, 1)
    assert draft is not None and draft.status == "edited" and draft.decided_by == "console"


async def test_reject_sends_nothing_and_a_second_decision_is_refused(chat: ConsoleTranscript) -> None:
    await chat.say("I want my money back")
    assert "[owner] rejected by console" in await chat.say("/reject")
    again = await chat.say("/approve 1")
    assert "already rejected by console" in again
    assert "Corner Bean Café:" not in again
    async with chat.app.db.session() as session:  # the card and the acknowledgement, no reply
        assert [i.idempotency_key for i in await outbox.items(session)] == ["card:1", "ack:1"]


async def test_taken_over_conversation_gets_no_bot_answers_until_handed_back(chat: ConsoleTranscript) -> None:
    await chat.say("hi")
    await chat.say("/takeover")
    reply = await chat.say("what time do you open on saturday?")
    assert "Corner Bean Café:" not in reply
    assert "[owner] Ana wrote again (you have this conversation)" in reply
    await chat.say("/handback")
    assert "9am–5pm on Saturday 28 November" in await chat.say("what time do you open on saturday?")


async def test_taken_over_conversation_returns_to_the_bot_after_the_quiet_period(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    await chat.say("hi")
    await chat.say("/takeover")
    clock.advance(timedelta(minutes=chat.app.profile.owner.quiet_period_minutes + 1))
    returned = await chat.app.approvals.return_quiet_conversations(timedelta(minutes=chat.app.profile.owner.quiet_period_minutes))
    assert len(returned) == 1
    await chat.app.worker.drain()
    assert "[owner] conversation #1: Back with the bot after 2 hours of quiet" in chat.out.getvalue()
    assert "We're open 9am–5pm on Saturday" in await chat.say("what time do you open on saturday?")



@pytest.mark.parametrize(("minutes", "words"), [(120, "2 hours"), (60, "1 hour"), (90, "90 minutes"), (1, "1 minute")])
def test_the_quiet_period_reads_naturally(minutes: int, words: str) -> None:
    assert quiet_words(timedelta(minutes=minutes)) == words


async def test_the_address_the_map_and_the_hours_are_each_on_their_own_line(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    clock.set(london(2026, 11, 26, 11, 0))  # a Thursday morning: open
    reply = await chat.say("where are you?")
    assert ("Corner Bean Café: You'll find us at 14 Market Street, Leeds LS1 6DT.\n"
            "Map: https://maps.example.org/?q=14+Market+Street+Leeds\n"
            "We're open now until 8pm, come on over!") in reply

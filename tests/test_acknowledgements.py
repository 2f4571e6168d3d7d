"""A held customer is never left in silence: one short acknowledgement that knows the hours, at once,
once per wait, never for spam, in the owner's words when they write their own, and off when asked."""

from pathlib import Path

from bot.clock import FrozenClock
from bot.settings import Settings
from tests.conftest import london
from tests.support.console import ConsoleTranscript

REFUND = "I want a refund, my coffee was cold"


async def test_a_held_customer_hears_at_once_that_the_owner_will_reply(chat: ConsoleTranscript) -> None:
    reply = await chat.say(REFUND)
    assert "[owner] draft #1 needs you" in reply
    assert "Corner Bean Café: Thanks, Ana! Sam will reply to you personally soon." in reply


async def test_out_of_hours_the_acknowledgement_says_when_the_cafe_opens(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    clock.set(london(2026, 11, 25, 21, 0))  # a Wednesday evening, after closing
    reply = await chat.say(REFUND)
    assert "Thanks, Ana! Sam will reply to you personally. We're open again tomorrow at 7:30am." in reply


async def test_on_christmas_day_the_acknowledgement_names_the_real_next_opening(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    clock.set(london(2026, 12, 25, 11, 0))
    reply = await chat.say(REFUND)
    assert "We're open again on Sunday 27 December at 10am." in reply


async def test_it_is_sent_once_while_the_customer_waits_and_again_after_the_owner_answered(
        chat: ConsoleTranscript) -> None:
    first = await chat.say(REFUND)
    second = await chat.say("hello?? are you there, I want my money back")
    assert "Sam will reply to you personally" in first and "Sam will reply to you personally" not in second
    await chat.say("/approve 1")
    await chat.say("/reject 2")
    again = await chat.say("and another refund for yesterday's cake please")
    assert "Sam will reply to you personally" in again


async def test_spam_gets_no_acknowledgement(chat: ConsoleTranscript) -> None:
    reply = await chat.say("CHEAP SEO services!!! buy followers now, click here")
    assert "Sam will reply to you personally" not in reply


async def test_the_owner_can_write_their_own_acknowledgement(chat: ConsoleTranscript, profile_dir: Path) -> None:
    own = profile_dir / "templates"
    own.mkdir(exist_ok=True)
    (own / "held_ack.j2").write_text("Got it, {{ customer_name }}: {{ owner_name }} is on it.\n", encoding="utf-8")
    reply = await chat.say(REFUND)
    assert "Corner Bean Café: Got it, Ana: Sam is on it." in reply


async def test_a_broken_acknowledgement_still_brings_the_card_to_the_owner(
        chat: ConsoleTranscript, profile_dir: Path) -> None:
    own = profile_dir / "templates"
    own.mkdir(exist_ok=True)
    (own / "held_ack.j2").write_text("Got it {{ no_such_name }}\n", encoding="utf-8")
    reply = await chat.say(REFUND)
    assert "[owner] draft #1 needs you" in reply and "Corner Bean Café:" not in reply


async def test_the_owner_can_turn_it_off(profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    profile = profile_dir / "business.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace(
        "  quiet_period_minutes: 120\n", "  quiet_period_minutes: 120\n  acknowledge_held: false\n"), encoding="utf-8")
    settings = Settings(_env_file=None, database_url=sqlite_url, socialdesk_config=str(profile))
    chat = await ConsoleTranscript.open(settings, clock)
    try:
        reply = await chat.say(REFUND)
    finally:
        await chat.close()
    assert "[owner] draft #1 needs you" in reply and "Corner Bean Café:" not in reply

"""Never confidently wrong, through the console: what must reach the owner does, whatever rule matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FrozenClock
from bot.settings import Settings
from tests.factories import answered_alone
from tests.support.console import ConsoleTranscript

@pytest.mark.parametrize("text", [
    "terrible customer service, cancel my reservation",
    "I had an allergic reaction after your muffin, click here to see",
    "refund me or I'll post about you, bitcoin only",
    "food poisoning from your cafe!! click here http://review.example.com",
])
async def test_a_serious_message_reaches_the_owner_whatever_keyword_it_matched(
        chat: ConsoleTranscript, text: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs you" in reply
    assert not answered_alone(reply)  # nothing but the holding note went to the customer


@pytest.mark.parametrize("text", [
    "is the menu online, I want to book a table",  # the menu keyword, a booking request
    "what's your email, I want to apply for a job",  # the contact keyword, a job application
])
async def test_a_keyword_whose_meaning_is_another_intent_waits_for_the_owner(
        chat: ConsoleTranscript, text: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs you" in reply
    assert not answered_alone(reply)


async def test_plain_spam_still_gets_no_reply_and_no_card(chat: ConsoleTranscript) -> None:
    reply = await chat.say("guaranteed followers, click here")
    assert "[owner]" not in reply and "Corner Bean Café:" not in reply


@pytest.mark.parametrize("text", [
    "could you book me a hotel room",
    "book the gym for 6am",
    "change my booking to 1pm",
    "I need to cancel my reservation for tonight",
])
async def test_a_near_miss_of_booking_goes_to_the_owner_not_the_booking_link(
        chat: ConsoleTranscript, text: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs you" in reply
    assert not answered_alone(reply)


async def test_a_real_booking_request_still_gets_the_booking_link(chat: ConsoleTranscript) -> None:
    reply = await chat.say("can I book a table for 4 on saturday")
    assert "Corner Bean Café: You can book a table here: https://cornerbean.example.org/book" in reply


async def test_paying_by_card_is_a_payment_question_not_a_refund(chat: ConsoleTranscript) -> None:
    reply = await chat.say("Can I pay by card?")
    assert "Corner Bean Café: We take cards, contactless, Apple Pay and Google Pay, and cash too." in reply


@pytest.mark.parametrize(("text", "answer"), [
    ("what's your phone number?", "You can ring us on 0113 496 0000 or email hello@cornerbean.example.org."),
    ("where can I park?", "pay-and-display parking on Vicar Lane"),
    ("do you sell gift vouchers?", "We sell gift cards for any amount at the counter"),
    ("are you hiring?", "We post every vacancy on our website"),
    ("is there step free access?", "Our entrance is step-free"),
])
async def test_day_one_questions_are_answered_from_the_profile(chat: ConsoleTranscript, text: str, answer: str) -> None:
    reply = await chat.say(text)
    assert "Corner Bean Café: " in reply and answer in reply


@pytest.mark.parametrize(("text", "reason"), [
    ("is the chocolate cake nut free?", "dietary messages always go to the owner"),
    ("I think I left my scarf at the cafe yesterday", "lost_property messages always go to the owner"),
    ("we need to move our booking to sunday", "booking_change messages always go to the owner"),
])
async def test_health_lost_property_and_booking_changes_always_reach_the_owner(chat: ConsoleTranscript, text: str,
                                                                                reason: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs you" in reply and reason in reply
    assert not answered_alone(reply)


async def test_two_questions_at_once_wait_for_the_owner(chat: ConsoleTranscript) -> None:
    reply = await chat.say("what time do you open and can I bring my dog?")
    assert "[owner] draft #1 needs you" in reply
    assert "also asks about dogs: the hours reply does not answer that" in reply


async def test_a_fact_the_profile_leaves_out_is_never_invented(profile_dir: Path, sqlite_url: str,
                                                              clock: FrozenClock) -> None:
    path = profile_dir / "business.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  parking: There's pay", "  # parking: There's pay"),
                    encoding="utf-8")
    settings = Settings(_env_file=None, database_url=sqlite_url, socialdesk_config=str(path))
    chat = await ConsoleTranscript.open(settings, clock)
    try:
        reply = await chat.say("where can I park?")
    finally:
        await chat.close()
    assert "[owner] draft #1 needs you" in reply
    assert "business.yaml has no facts.parking, so this reply is left to the owner" in reply
    assert not answered_alone(reply)


@pytest.mark.parametrize("text", [
    "can I bring my service dog",
    "do you do delivery to LS6",
    "do you have any vacancies for a manager role with visa sponsorship",
    "your website says you're open but you were shut at 3pm today",
])
async def test_a_question_naming_what_the_reply_never_covers_waits_for_the_owner(
        chat: ConsoleTranscript, text: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs you" in reply
    assert "which no" in reply and "example mentions" in reply  # the owner sees why
    assert not answered_alone(reply)


@pytest.mark.parametrize(("text", "answer"), [
    ("do you take apple pay?", "We take cards, contactless, Apple Pay"),
    ("do you deliver?", "Deliveroo"),
    ("how do I walk to you from the train station", "14 Market Street"),
    ("what time do you close on fridays", "Corner Bean Café:"),
])
async def test_the_same_questions_in_familiar_words_are_still_answered_alone(chat: ConsoleTranscript, text: str,
                                                                             answer: str) -> None:
    reply = await chat.say(text)
    assert answer in reply and "[owner]" not in reply


async def test_a_fact_that_names_the_thing_lets_the_reply_answer_it(profile_dir: Path, sqlite_url: str,
                                                                    clock: FrozenClock) -> None:
    path = profile_dir / "business.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  delivery: We don't deliver ourselves,",
                                 "  delivery: We deliver to LS1 to LS6 ourselves,"), encoding="utf-8")
    settings = Settings(_env_file=None, database_url=sqlite_url, socialdesk_config=str(path))
    chat = await ConsoleTranscript.open(settings, clock)
    try:
        reply = await chat.say("do you do delivery to LS6")
    finally:
        await chat.close()
    assert "Corner Bean Café:" in reply and "We deliver to LS1 to LS6 ourselves" in reply
    assert "[owner]" not in reply


@pytest.mark.parametrize("text", [
    "is parking free on sundays",  # the parking reply is the same every day
    "do you deliver on sundays",  # so is the delivery one
])
async def test_a_question_about_a_day_the_reply_never_mentions_goes_to_the_owner(
        chat: ConsoleTranscript, text: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs you" in reply
    assert not answered_alone(reply)


@pytest.mark.parametrize(("text", "answer"), [
    ("thanks so much!!", "Corner Bean Café: Thank you"),
    ("where can I park?!!", "Corner Bean Café: There's pay-and-display parking on Vicar Lane"),
])
async def test_an_excited_message_with_no_unhappy_word_is_answered(
        chat: ConsoleTranscript, text: str, answer: str) -> None:
    reply = await chat.say(text)
    assert answer in reply and "[owner]" not in reply


async def test_an_angry_message_is_still_louder_with_exclamation_marks(chat: ConsoleTranscript) -> None:
    reply = await chat.say("where can I park, this is ridiculous!!")
    assert "[owner] draft #1 needs you" in reply
    assert not answered_alone(reply)


@pytest.mark.parametrize("text", [
    "thanks for nothing",
    "thanks but that didn't answer my question",
    "cheers, not helpful at all",
])
async def test_thanks_that_is_not_thanks_waits_for_the_owner(chat: ConsoleTranscript, text: str) -> None:
    reply = await chat.say(text)
    assert "[owner] draft #1 needs you" in reply and "may be unhappy" in reply
    assert not answered_alone(reply)

"""Questions about a day, answered for the day asked, in the café's own time zone, on frozen clocks
across a Saturday, 24-26 December, 1 January and both daylight-saving changes."""

from datetime import datetime, timezone

import pytest

from bot.clock import FrozenClock
from bot.profile.days import asked_days
from bot.profile.load import example_profile_text, parse_profile
from bot.profile.model import BusinessProfile
from tests.conftest import EXAMPLE_WRITTEN_ON, london
from tests.support.console import ConsoleTranscript


@pytest.fixture
def example_profile() -> BusinessProfile:
    return parse_profile(example_profile_text(EXAMPLE_WRITTEN_ON))


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


@pytest.mark.parametrize(("asked", "answer"), [
    ("are you open on the 5th?", "We're open 9am–5pm on Saturday 5 December."),
    ("open on 24/12?", "We're open 8am–2pm on Thursday 24 December (Christmas Eve hours)."),
    ("what are your hours next monday", "We're open 7:30am–6pm on Monday 30 November."),
    ("are you open tomorrow morning?", "We're open 7:30am–8pm tomorrow."),
    ("are you open on new years day", "We're closed on Friday 1 January for New Year's Day, sorry! "
                                      "We open again on Saturday 2 January at 9am."),
])
async def test_a_question_about_a_day_is_answered_for_that_day(
        chat: ConsoleTranscript, asked: str, answer: str) -> None:
    # The clock fixture: Wednesday 25 November 2026, 10am in Leeds.
    assert f"Corner Bean Café: {answer}" in await chat.say(asked)


async def test_this_weekend_gets_both_days(chat: ConsoleTranscript) -> None:
    reply = await chat.say("are you open this weekend?")
    assert "Corner Bean Café: Saturday 28 November: 9am–5pm. Sunday 29 November: 10am–3pm." in reply


async def test_over_christmas_lists_the_short_day_and_the_closures(chat: ConsoleTranscript) -> None:
    reply = await chat.say("what are your opening times over christmas?")
    assert ("Thursday 24 December: 8am–2pm (Christmas Eve hours). Friday 25 December: closed (Christmas Day). "
            "Saturday 26 December: closed (Boxing Day).") in reply


async def test_on_a_saturday_this_saturday_is_today(chat: ConsoleTranscript, clock: FrozenClock) -> None:
    clock.set(london(2026, 11, 28, 8, 0))
    assert "Corner Bean Café: We're open 9am–5pm today." in await chat.say("what time do you open on saturday?")
    assert "Today: 9am–5pm. Sunday 29 November: 10am–3pm." in await chat.say("open this weekend?")


async def test_on_christmas_eve_afternoon_the_next_opening_skips_both_closures(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    clock.set(london(2026, 12, 24, 15, 0))
    reply = await chat.say("are you open tomorrow?")
    assert ("Corner Bean Café: We're closed tomorrow for Christmas Day, sorry! "
            "We open again on Sunday 27 December at 10am.") in reply


async def test_on_boxing_day_the_bot_says_why_it_is_closed_and_when_it_opens(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    clock.set(london(2026, 12, 26, 10, 0))
    reply = await chat.say("are you open now?")
    assert "Corner Bean Café: We're closed right now for Boxing Day. We open again tomorrow at 10am." in reply


async def test_closures_repeat_the_next_year(chat: ConsoleTranscript, clock: FrozenClock) -> None:
    # Christmas Day 2027 is a Saturday; Boxing Day, a Sunday, is closed too: Monday is the next opening.
    clock.set(london(2027, 12, 25, 10, 0))
    reply = await chat.say("what time do you open on saturday?")
    assert ("Corner Bean Café: We're closed today for Christmas Day, sorry! "
            "We open again on Monday 27 December at 7:30am.") in reply


async def test_new_years_day_is_closed_and_the_weekend_follows(chat: ConsoleTranscript, clock: FrozenClock) -> None:
    clock.set(london(2027, 1, 1, 10, 0))
    reply = await chat.say("are you open today?")
    assert "We're closed today for New Year's Day, sorry! We open again tomorrow at 9am." in reply


async def test_the_morning_clocks_go_forward_opening_is_read_in_summer_time(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    # 09:30 UTC on Sunday 28 March 2027 is 10:30 in Leeds (BST): the café opened half an hour ago.
    clock.set(utc(2027, 3, 28, 9, 30))
    assert "we're open now until 3pm" in await chat.say("are you open now?")


async def test_the_morning_clocks_go_back_opening_is_read_in_winter_time(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    # 09:30 UTC on Sunday 25 October 2026 is 09:30 in Leeds (GMT again): half an hour before opening.
    clock.set(utc(2026, 10, 25, 9, 30))
    assert "We're closed right now. We open again today at 10am." in await chat.say("are you open now?")


async def test_the_night_before_the_clocks_change_tomorrow_is_sunday(
        chat: ConsoleTranscript, clock: FrozenClock) -> None:
    # 23:30 UTC on Saturday 27 March 2027 is still Saturday in Leeds; "tomorrow" is the Sunday.
    clock.set(utc(2027, 3, 27, 23, 30))
    assert "We're open 10am–3pm tomorrow." in await chat.say("are you open tomorrow?")


@pytest.mark.parametrize("asked", ["are you open over easter?", "are you open on the 35th?",
                                   "were you open on 31/12/2025?", "are u open bank holiday monday"])
async def test_a_day_that_cannot_be_placed_goes_to_the_owner_never_answered_about_today(
        chat: ConsoleTranscript, asked: str) -> None:
    reply = await chat.say(asked)
    assert "Corner Bean Café: Yes, we're open now" not in reply and "[owner] draft #1 needs you" in reply
    assert "which is not a day socialdesk can place" in reply


@pytest.mark.parametrize(("text", "days"), [
    ("r u open 2moro", ["2026-11-26"]),
    ("open tmrw?", ["2026-11-26"]),
    ("open on sat?", ["2026-11-28"]),
    ("open sunday", ["2026-11-29"]),
    ("next weekend?", ["2026-11-28", "2026-11-29"]),
    ("open over new year?", ["2026-12-31", "2027-01-01"]),
    ("open on the 31st?", ["2026-12-31"]),  # November has no 31st
    ("open on 5 dec", ["2026-12-05"]),
    ("dec 5th?", ["2026-12-05"]),
    ("hours next week?", ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05",
                          "2026-12-06"]),
])
def test_days_are_read_the_way_customers_write_them(example_profile: BusinessProfile, text: str, days: list[str]) -> None:
    found = asked_days(text, london(2026, 11, 25).date(), example_profile.opening_hours())
    assert found is not None and [day.isoformat() for day in found.days] == days


@pytest.mark.parametrize("text", ["the sun is out, are you open?", "can I book a table for 2", "see you at 3",
                                  "is the tasting still on?", "do you sell sat nav holders"])
def test_words_that_are_not_days_are_not_read_as_days(example_profile: BusinessProfile, text: str) -> None:
    assert asked_days(text, london(2026, 11, 25).date(), example_profile.opening_hours()) is None


def test_a_numeric_date_reads_month_first_for_a_business_in_the_americas(example_profile: BusinessProfile) -> None:
    found = asked_days("open on 12/5?", london(2026, 11, 25).date(), example_profile.opening_hours(), day_first=False)
    assert found is not None and found.days == (london(2026, 12, 5).date(),)

"""The events' Block Kit, without Slack: the /event modal read back, the list, the attendees and App Home."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.handlers.slack.blocks.event_lists import (CANCEL_EVENT, MOST_LISTED, EventLine, attendee_blocks, event_list, home_events,
                                   when_text, with_events)
from bot.handlers.slack.blocks.event_form import (ANNOUNCE_DATE, ANNOUNCE_TIME, CAPACITY, CHANNELS, LENGTH, START_DATE, EventForm,
                                   event_modal, read_submission)
from bot.handlers.slack.blocks.home import HomeFigures, home_view
from storage.events import EventRecord, RsvpRecord
from tests.slack_event_support import modal_state

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 25, 10, tzinfo=LONDON)


def line(number: int = 1, **overrides: object) -> EventLine:
    values: dict = dict(id=number, title=f"Tasting {number}", when="Sat 5 Dec 2026, 18:30–20:00 (Europe/London)",
                        capacity=20, going=3, waitlisted=0) | overrides
    return EventLine(**values)


def record(capacity: int | None = 2) -> EventRecord:
    start = datetime(2026, 12, 5, 18, 30, tzinfo=LONDON)
    return EventRecord(7, None, "uid", "Winter <tasting>", "", start, start + timedelta(hours=1, minutes=30),
                       "Europe/London", None, capacity, None, "scheduled", {"channels": ["shell"]}, 0, NOW, NOW)


def answer(name: str, status: str, party: int = 1, platform: str = "telegram") -> RsvpRecord:
    return RsvpRecord(1, 7, 1, status, party, platform, None, NOW, NOW, name, None)


def state_from(view: dict) -> dict:
    """What Slack would send back if the owner submitted the modal untouched."""
    values: dict = {}
    for block in view["blocks"]:
        element = block["element"]
        kind, initial = element["type"], element.get("initial_value")
        found = {"datepicker": {"selected_date": element.get("initial_date")},
                 "timepicker": {"selected_time": element.get("initial_time")},
                 "checkboxes": {"selected_options": element.get("initial_options", [])}}.get(kind, {"value": initial})
        values[block["block_id"]] = {"value": {"type": kind, **found}}
    return values


def test_an_edited_event_submitted_untouched_reads_back_to_the_same_event() -> None:
    start = datetime(2026, 12, 5, 18, 30, tzinfo=LONDON)
    form = EventForm("Winter tasting", start, start + timedelta(hours=1, minutes=30), "The back room", 20,
                     "Three coffees.", ("shell", "telegram:@cornerbeancafe"), datetime(2026, 11, 26, 9, tzinfo=LONDON))
    view = event_modal(form, ["x", "shell"], LONDON, {"event_id": 7})

    fields = read_submission(state_from(view), LONDON, NOW).fields

    assert view["title"]["text"] == "Edit event" and view["submit"]["text"] == "Save"
    assert fields == {"title": "Winter tasting", "start": "2026-12-05T18:30:00+00:00", "end": "2026-12-05T20:00:00+00:00",
                      "description": "Three coffees.", "place": "The back room", "capacity": "20",
                      "channels": "shell,telegram:@cornerbeancafe", "announce": "2026-11-26T09:00:00+00:00"}


@pytest.mark.parametrize(("length", "ends"), [("2h", "20:30"), ("1h30m", "20:00"), ("90m", "20:00"), ("2 h", "20:30"),
                                              ("21:15", "21:15"), ("21.15", "21:15")])
def test_how_long_is_a_duration_or_an_end_time(length: str, ends: str) -> None:
    fields = read_submission(modal_state(day="2026-12-05", at="18:30", length=length), LONDON, NOW).fields

    assert fields["end"] == f"2026-12-05T{ends}:00+00:00"


@pytest.mark.parametrize(("changes", "block", "words"), [
    ({"length": "17:00"}, LENGTH, "end after it starts"),
    ({"length": "a while"}, LENGTH, "how long"),
    ({"capacity": "0"}, CAPACITY, "at least 1"),
    ({"day": None}, START_DATE, "Pick the date"),
    ({"day": "2026-11-25", "at": "09:59"}, START_DATE, "passed"),
    ({"announce_day": "2026-12-01"}, ANNOUNCE_TIME, "both"),
    ({"announce_at": "09:00"}, ANNOUNCE_DATE, "both"),
])
def test_a_bad_field_is_named_and_nothing_is_read(changes: dict, block: str, words: str) -> None:
    read = read_submission(modal_state(**{"day": "2026-12-05", "at": "18:30", **changes}), LONDON, NOW)

    assert list(read.errors) == [block] and words in read.errors[block]
    assert read.fields == {}


def test_a_new_event_form_offers_the_configured_channels_and_at_most_ten() -> None:
    view = event_modal(EventForm(place="14 Market Street"), [f"shell:{n}" for n in range(12)], LONDON, {})
    blocks = {block["block_id"]: block for block in view["blocks"]}

    assert len(blocks[CHANNELS]["element"]["options"]) == 10
    assert "initial_options" not in blocks[CHANNELS]["element"]
    assert "initial_date" not in blocks[START_DATE]["element"]
    assert view["title"]["text"] == "New event" and len(view["blocks"]) <= 100


def test_no_channel_checkboxes_when_there_is_nowhere_to_post() -> None:
    view = event_modal(EventForm(), [], LONDON, {})

    assert CHANNELS not in {block["block_id"] for block in view["blocks"]}


def test_event_times_read_in_the_business_zone() -> None:
    start = datetime(2027, 7, 3, 17, 30, tzinfo=ZoneInfo("UTC"))
    assert when_text(start, start + timedelta(hours=2), LONDON) == "Sat 3 Jul 2027, 18:30–20:30 (Europe/London)"
    assert when_text(start, start + timedelta(days=1), LONDON) == "Sat 3 Jul 2027, 18:30 to Sun 4 Jul, 18:30 (Europe/London)"


def test_attendee_list_shows_each_answer_and_the_totals() -> None:
    shown = json.dumps(attendee_blocks(record(capacity=2), [
        answer("Ada <3", "going", 2), answer("Bo", "maybe", platform="x"), answer("Cy", "waitlisted", 3),
        answer("Di", "not_going", platform="slack")], LONDON), ensure_ascii=False)

    for text in ("Winter &lt;tasting&gt;", "Ada &lt;3 (Telegram), party of 2: going", "Bo (X), 1 person: maybe",
                 "Cy (Telegram), party of 3: waiting list", "Di (Slack), 1 person: can't go",
                 "2 of 2 places taken, 3 on the waiting list"):
        assert text in shown


def test_attendee_list_for_an_event_nobody_answered() -> None:
    assert "Nobody has answered yet." in json.dumps(attendee_blocks(record(None), [], LONDON))


def test_event_list_limits_itself_to_what_slack_accepts() -> None:
    blocks = event_list([line(n) for n in range(1, 31)])

    assert len(blocks) <= 50
    assert blocks[0]["text"]["text"] == "Upcoming events (30)"
    assert "10 more not shown" in json.dumps(blocks)
    cancel = [b for block in blocks if block["type"] == "actions" for b in block["elements"]
              if b["action_id"] == CANCEL_EVENT]
    assert len(cancel) == MOST_LISTED and all(b["confirm"]["style"] == "danger" for b in cancel)


def test_event_numbers_without_a_capacity() -> None:
    assert "3 going (no limit)" in json.dumps(event_list([line(capacity=None)]))
    assert "No upcoming events" in json.dumps(event_list([]))


def test_app_home_ends_with_the_upcoming_events() -> None:
    figures = HomeFigures(NOW, [], [], {}, None, [line(1, waitlisted=2)])
    blocks = home_view(figures)["blocks"]

    assert blocks[-3]["text"]["text"] == "Upcoming events (1)"
    assert "3 of 20 places taken, 2 on the waiting list" in blocks[-2]["text"]["text"]
    assert with_events(blocks, [])[-2:] == home_events([])
    assert with_events(blocks, [])[:len(blocks) - 3] == blocks[:-3]

"""Events from the owner's Slack, end to end: `/event`, its modal, the event list's buttons and App Home,
over signed HTTP into the real Bolt app, with the real slack-sdk answering a fake Slack."""

from __future__ import annotations

import json
import asyncio
import io
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.app import App, Outlets, build_app
from bot.clock import FrozenClock
from bot.events.model import CANCELLED
from bot.events.spec import EventSpec
from bot.handlers.slack.blocks.event_form import ANNOUNCE_DATE, CHANNELS, EVENT_MODAL, LENGTH, PLACE, START_DATE, START_TIME, TITLE
from bot.handlers.slack.blocks.event_lists import ATTENDEES, CANCEL_EVENT, EDIT_EVENT
from bot.handlers.slack.owner_actions import ONLY_APPROVERS
from bot.runner import run_bot
from storage import outbox
from tests.fake_slack import FakeSlack
from tests.slack_event_support import (EVENTS_CHANNEL, click_in_list, click_on_home, modal_state, only_event, rsvp,
                                       slash, slash_payload, submit)
from tests.slack_harness import SAM, STRANGER, Desk, event_envelope, listeners_done, signed
from tests.support.apps import settings_for



def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def blocks_of(view: dict) -> dict[str, dict]:
    return {block["block_id"]: block for block in view["blocks"] if "block_id" in block}


async def pending_posts(desk: Desk, event_id: int) -> list[tuple[str, str, datetime]]:
    assert desk.app.events is not None
    return sorted(((item.platform, item.payload["post"], item.due_at) for item in await desk.app.events.posts(event_id)
                   if item.status == outbox.PENDING and item.kind == "event_post"), key=lambda post: (post[2], post[1]))


async def created(desk: Desk, **fields: object) -> int:
    """An event made the way the owner makes one: /event, then the modal submitted."""
    response = await submit(desk, modal_state(**fields))  # type: ignore[arg-type]
    assert response.status_code == 200 and not response.content
    await listeners_done()
    return (await only_event(desk)).id


async def test_event_command_opens_the_form_in_the_business_zone_with_its_address_and_channels(desk: Desk) -> None:
    response = await slash(desk, "Latte art workshop")

    assert response.status_code == 200
    await desk.fake.until(lambda: desk.fake.to("views.open"))
    view = desk.fake.to("views.open")[0]["view"]
    assert view["callback_id"] == EVENT_MODAL and view["submit"]["text"] == "Create"
    fields = blocks_of(view)
    assert fields[TITLE]["element"]["initial_value"] == "Latte art workshop"
    assert fields[START_TIME]["element"]["timezone"] == "Europe/London"
    assert fields[PLACE]["element"]["initial_value"] == "14 Market Street, Leeds LS1 6DT"
    offered = [option["value"] for option in fields[CHANNELS]["element"]["options"]]
    assert offered == ["telegram:@cornerbeancafe", "x", "slack:#events", "shell"]  # never the web chat: no one would see it
    assert json.loads(view["private_metadata"]) == {"channel": EVENTS_CHANNEL}


async def test_a_valid_form_creates_the_event_and_plans_its_posts(desk: Desk) -> None:
    event_id = await created(desk, length="1h30m", capacity="12", channels=("shell",))

    event = await only_event(desk)
    assert (event.title, event.starts_at, event.ends_at, event.capacity) == (
        "Latte art workshop", utc(2026, 12, 12, 10), utc(2026, 12, 12, 11, 30), 12)
    assert [(platform, post) for platform, post, _ in await pending_posts(desk, event_id)] == [
        ("shell", "announce"), ("shell", "reminder-7d"), ("events", "attendees-1d"), ("shell", "reminder-1d"),
        ("shell", "reminder-2h")]
    told = desk.fake.to("chat.postEphemeral")[-1]
    assert told["channel"] == EVENTS_CHANNEL and told["user"] == SAM
    assert "Created *Latte art workshop*" in told["text"] and "Sat 12 Dec 2026, 10:00–11:30" in told["text"]

    await desk.app.worker.drain()
    assert "Latte art workshop" in desk.customer.sent[0].text  # the announcement went out on the console


async def test_times_are_read_in_the_business_zone_in_summer_too(desk: Desk) -> None:
    await created(desk, day="2027-07-03", at="18:30", length="20:00", announce_day="2027-06-01", announce_at="09:00")

    event = await only_event(desk)
    assert (event.starts_at, event.ends_at) == (utc(2027, 7, 3, 17, 30), utc(2027, 7, 3, 19))
    assert event.plan["announce_at"] == "2027-06-01T09:00:00+01:00"


async def test_a_date_that_has_passed_is_shown_on_the_field_and_nothing_is_created(desk: Desk) -> None:
    response = await submit(desk, modal_state(day="2026-11-20"))

    assert response.json() == {"response_action": "errors",
                               "errors": {START_DATE: "That date and time have passed: pick one still to come."}}
    await listeners_done()
    assert desk.app.events is not None and await desk.app.events.list_events(include_past=True) == []
    assert desk.fake.to("chat.postEphemeral") == []


async def test_each_bad_field_is_named_in_one_answer(desk: Desk) -> None:
    response = await submit(desk, modal_state(title=" ", length="soonish", announce_day="2026-12-13",
                                              announce_at="09:00"))

    errors = response.json()["errors"]
    assert set(errors) == {TITLE, LENGTH, ANNOUNCE_DATE}
    assert "before the event starts" in errors[ANNOUNCE_DATE]
    assert desk.app.events is not None and await desk.app.events.list_events(include_past=True) == []


async def test_someone_who_is_not_an_approver_is_refused_everywhere(desk: Desk) -> None:
    response = await slash(desk, user=STRANGER)
    assert response.status_code == 200 and response.text == ONLY_APPROVERS  # Slack shows it to them alone

    refused = await submit(desk, modal_state(), user=STRANGER)
    assert refused.json()["errors"] == {TITLE: ONLY_APPROVERS}

    event_id = await created(desk)
    await click_in_list(desk, CANCEL_EVENT, event_id, user=STRANGER)
    await listeners_done()
    assert (await only_event(desk)).status != CANCELLED
    assert desk.fake.to("chat.postEphemeral")[-1] == {"channel": EVENTS_CHANNEL, "user": STRANGER,
                                                          "text": ONLY_APPROVERS}
    assert desk.fake.to("views.open") == []


async def test_a_forged_event_command_is_refused(desk: Desk) -> None:
    response = await slash(desk, headers=signed("something else"))

    assert response.status_code == 401
    assert desk.fake.calls == []


async def test_event_list_shows_each_event_with_its_numbers_and_buttons(desk: Desk) -> None:
    event_id = await created(desk, capacity="1")
    await rsvp(desk, event_id, "Jo")
    await rsvp(desk, event_id, "Ann")

    response = await slash(desk, "list")

    shown = response.json()
    listed = json.dumps(shown["blocks"], ensure_ascii=False)
    assert "Latte art workshop" in listed and "1 of 1 places taken, 1 on the waiting list" in listed
    buttons = {b["action_id"]: b for block in shown["blocks"] if block["type"] == "actions" for b in block["elements"]}
    assert list(buttons) == [EDIT_EVENT, ATTENDEES, CANCEL_EVENT]
    assert buttons[CANCEL_EVENT]["confirm"]["confirm"]["text"] == "Cancel the event"


async def test_edit_opens_the_event_filled_in_and_a_new_time_replans_the_posts(desk: Desk) -> None:
    event_id = await created(desk)
    await click_in_list(desk, EDIT_EVENT, event_id)
    await desk.fake.until(lambda: desk.fake.to("views.open"))
    view = desk.fake.to("views.open")[0]["view"]
    fields = blocks_of(view)
    assert fields[START_DATE]["element"]["initial_date"] == "2026-12-12"
    assert fields[START_TIME]["element"]["initial_time"] == "10:00"
    assert fields[LENGTH]["element"]["initial_value"] == "12:00"
    assert [o["value"] for o in fields[CHANNELS]["element"]["initial_options"]] == ["shell"]
    metadata = json.loads(view["private_metadata"])

    response = await submit(desk, modal_state(at="14:00"), metadata)
    assert not response.content
    await listeners_done()

    event = await only_event(desk)
    assert (event.starts_at, event.ends_at, event.sequence) == (utc(2026, 12, 12, 14), utc(2026, 12, 12, 16), 1)
    due = {post: at for _, post, at in await pending_posts(desk, event_id)}
    assert due["reminder-2h"] == utc(2026, 12, 12, 12) and due["reminder-1d"] == utc(2026, 12, 11, 14)
    assert "Changed *Latte art workshop*" in desk.fake.to("chat.postEphemeral")[-1]["text"]


async def test_cancel_withdraws_unsent_posts_and_tells_everyone_who_answered(desk: Desk) -> None:
    event_id = await created(desk)
    await rsvp(desk, event_id, "Jo")
    await rsvp(desk, event_id, "Ann", "maybe")
    heard_before = len(desk.customer.sent)

    await click_in_list(desk, CANCEL_EVENT, event_id)
    await listeners_done()

    assert (await only_event(desk)).status == CANCELLED
    assert await pending_posts(desk, event_id) == []
    await desk.app.worker.drain()
    told = {o.thread_key: o.text for o in desk.customer.sent[heard_before:]}
    assert set(told) == {"console:Jo", "console:Ann"}
    assert all("has been cancelled" in text for text in told.values())
    assert "2 people told" in desk.fake.to("chat.postEphemeral")[-1]["text"]


async def test_attendees_lists_name_platform_party_and_status_with_totals(desk: Desk) -> None:
    event_id = await created(desk, capacity="2")
    await rsvp(desk, event_id, "Jo")
    await rsvp(desk, event_id, "Ann", "maybe")
    await rsvp(desk, event_id, "Bea")
    await rsvp(desk, event_id, "Cy")

    await click_in_list(desk, ATTENDEES, event_id)
    await listeners_done()

    shown = json.dumps(desk.fake.to("chat.postEphemeral")[-1]["blocks"], ensure_ascii=False)
    for line in ("Jo (console), 1 person: going", "Ann (console), 1 person: maybe", "Bea (console), 1 person: going",
                 "Cy (console), 1 person: waiting list", "2 of 2 places taken, 1 on the waiting list"):
        assert line in shown


async def test_app_home_shows_the_upcoming_event_and_its_buttons_work_from_there(desk: Desk) -> None:
    event_id = await created(desk, capacity="12")
    await rsvp(desk, event_id, "Jo")

    await desk.event(event_envelope("app_home_opened", user=SAM))
    await desk.fake.until(lambda: desk.fake.to("views.publish"))
    home = json.dumps(desk.fake.to("views.publish")[0]["view"], ensure_ascii=False)
    assert "Upcoming events (1)" in home and "Latte art workshop" in home
    assert "Sat 12 Dec 2026, 10:00–12:00" in home and "1 of 12 places taken" in home

    await click_on_home(desk, ATTENDEES, event_id)
    await listeners_done()
    dm = desk.fake.to("chat.postMessage")[-1]
    assert dm["channel"] == SAM and "Jo (console)" in json.dumps(dm["blocks"])


async def test_cancelling_from_app_home_leaves_the_rest_of_home_and_drops_the_event(desk: Desk) -> None:
    event_id = await created(desk)
    await desk.event(event_envelope("app_home_opened", user=SAM))
    await desk.fake.until(lambda: desk.fake.to("views.publish"))

    await click_on_home(desk, CANCEL_EVENT, event_id, home=desk.fake.to("views.publish")[0]["view"])
    await listeners_done()

    assert (await only_event(desk)).status == CANCELLED
    home = json.dumps(desk.fake.to("views.publish")[-1]["view"], ensure_ascii=False)
    assert "Waiting for you (0)" in home and "Upcoming events (0)" in home and "Latte art workshop" not in home
    assert desk.fake.to("chat.postMessage")[-1]["channel"] == SAM  # the confirmation, in the app's DM


async def test_a_click_for_an_event_that_is_gone_says_so(desk: Desk) -> None:
    await click_in_list(desk, EDIT_EVENT, 404)
    await listeners_done()

    assert desk.fake.to("chat.postEphemeral")[-1]["text"] == "That event no longer exists."
    assert desk.fake.to("views.open") == []


async def test_when_the_bot_is_not_in_the_channel_the_answer_comes_by_direct_message(desk: Desk) -> None:
    desk.fake.fail_next("chat.postEphemeral", status=200, error="channel_not_found")

    await created(desk)

    dm = desk.fake.to("chat.postMessage")[-1]
    assert dm["channel"] == SAM and "Created *Latte art workshop*" in dm["text"]


@pytest.fixture
async def over_socket(profile_dir: Path, sqlite_url: str, clock: FrozenClock,
                      fake_slack: FakeSlack) -> AsyncIterator[App]:
    settings = settings_for(profile_dir, sqlite_url, slack_bot_token="xoxb-test", slack_app_token="xapp-test",
                            slack_api_url=fake_slack.url)
    out = io.StringIO()
    app = await build_app(settings, clock=clock, outlets=Outlets.for_run(out, console=False))
    task = asyncio.create_task(run_bot(app, console=False, out=out))
    await fake_slack.until(lambda: fake_slack.sockets)
    yield app
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await app.close()


async def test_event_list_over_socket_mode_shows_the_events_from_business_yaml(over_socket: App,
                                                                               fake_slack: FakeSlack) -> None:
    envelope = await fake_slack.push("slash_commands", slash_payload("list"))

    await fake_slack.until(lambda: any(ack.get("envelope_id") == envelope for ack in fake_slack.acks))
    answer = next(ack for ack in fake_slack.acks if ack.get("envelope_id") == envelope)
    listed = json.dumps(answer["payload"]["blocks"], ensure_ascii=False)
    assert "Winter coffee tasting" in listed and "Sat 5 Dec 2026, 18:30–20:00 (Europe/London)" in listed


async def test_editing_an_event_from_business_yaml_says_the_file_wins_at_the_next_start(desk: Desk) -> None:
    assert desk.app.events is not None
    event = await desk.app.events.create_event(EventSpec("Winter coffee tasting", utc(2026, 12, 5, 18, 30),
                                                         key="winter-tasting-2026", channels=("shell",)))

    await submit(desk, modal_state(title="Winter coffee tasting", day="2026-12-05", at="19:00"),
                 {"event_id": event.id, "channel": EVENTS_CHANNEL})
    await listeners_done()

    assert (await only_event(desk)).starts_at == utc(2026, 12, 5, 19)
    assert "listed in business.yaml (key `winter-tasting-2026`)" in desk.fake.to("chat.postEphemeral")[-1]["text"]

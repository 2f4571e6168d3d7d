"""Driving the owner's `/event` in Slack: the slash command, the modal's submission and the event buttons,
signed and shaped as Slack sends them (tests/payloads/slack)."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.messages import Inbound, Sender
from bot.handlers.slack.blocks.event_form import (ANNOUNCE_DATE, ANNOUNCE_TIME, CAPACITY, CHANNELS, DESCRIPTION, EVENT_MODAL, LENGTH,
                                   PLACE, START_DATE, START_TIME, TITLE, VALUE)
from storage.events import EventRecord
from tests.slack_harness import SAM, Desk, click_payload, payload

EVENTS_CHANNEL = "C0EVENTS"


def slash_payload(text: str = "", user: str = SAM) -> dict[str, str]:
    return payload("slash_command") | {"command": "/event", "text": text, "user_id": user,
                                       "channel_id": EVENTS_CHANNEL, "channel_name": "events"}


async def slash(desk: Desk, text: str = "", user: str = SAM, headers: dict[str, str] | None = None) -> httpx.Response:
    return await desk.post(urlencode(slash_payload(text, user)), "application/x-www-form-urlencoded", headers)


def modal_state(title: str = "Latte art workshop", day: str | None = "2026-12-12", at: str | None = "10:00",
                length: str | None = "2h", place: str | None = None, capacity: str | None = "12",
                description: str | None = "Pour a rosetta with our head barista.", channels: tuple[str, ...] = ("shell",),
                announce_day: str | None = None, announce_at: str | None = None) -> dict[str, Any]:
    """`view.state.values` as Slack fills it for the event modal (empty optional fields are null)."""
    def text(value: str | None) -> dict[str, Any]:
        return {VALUE: {"type": "plain_text_input", "value": value}}

    chosen = [{"text": {"type": "plain_text", "text": c, "emoji": True}, "value": c} for c in channels]
    return {TITLE: text(title), START_DATE: {VALUE: {"type": "datepicker", "selected_date": day}},
            START_TIME: {VALUE: {"type": "timepicker", "selected_time": at, "timezone": "Europe/London"}},
            LENGTH: text(length), PLACE: text(place), CAPACITY: {VALUE: {"type": "number_input", "value": capacity}},
            DESCRIPTION: text(description), CHANNELS: {VALUE: {"type": "checkboxes", "selected_options": chosen}},
            ANNOUNCE_DATE: {VALUE: {"type": "datepicker", "selected_date": announce_day}},
            ANNOUNCE_TIME: {VALUE: {"type": "timepicker", "selected_time": announce_at}}}


def event_submission(state: dict[str, Any], metadata: dict[str, Any] | None = None, user: str = SAM) -> dict[str, Any]:
    data = copy.deepcopy(payload("view_submission"))
    data["user"] = {**data["user"], "id": user}
    data["view"] |= {"callback_id": EVENT_MODAL, "title": {"type": "plain_text", "text": "New event"},
                     "private_metadata": json.dumps(metadata or {"channel": EVENTS_CHANNEL}),
                     "state": {"values": state}}
    return data


async def submit(desk: Desk, state: dict[str, Any], metadata: dict[str, Any] | None = None,
                 user: str = SAM) -> httpx.Response:
    return await desk.interact(event_submission(state, metadata, user))


async def click_in_list(desk: Desk, action_id: str, event_id: int, user: str = SAM) -> httpx.Response:
    """A button on the `/event list` message (an ephemeral message in the channel where it was typed)."""
    data = click_payload(action_id, str(event_id), user)
    data["channel"] = {"id": EVENTS_CHANNEL, "name": "events"}
    data["container"] |= {"channel_id": EVENTS_CHANNEL, "is_ephemeral": True}
    data["actions"][0]["block_id"] = f"event_{event_id}"
    return await desk.interact(data)


async def click_on_home(desk: Desk, action_id: str, event_id: int, user: str = SAM,
                        home: dict[str, Any] | None = None) -> httpx.Response:
    """A button on App Home; Slack sends the published Home view (`home`) along with the click."""
    data = copy.deepcopy(payload("block_actions_home"))
    data["user"] = {**data["user"], "id": user}
    if home is not None:
        data["view"] |= {"blocks": home["blocks"]}
    data["actions"][0] |= {"action_id": action_id, "value": str(event_id), "block_id": f"event_{event_id}"}
    return await desk.interact(data)


async def rsvp(desk: Desk, event_id: int, who: str, answer: str = "going") -> None:
    """A console customer presses an RSVP button under the invite."""
    await desk.app.router.handle(Inbound(
        platform="shell", kind="callback", external_id=f"rsvp-{who}-{event_id}-{answer}", thread_key=f"console:{who}",
        sender=Sender(f"console:{who}", who), text=f"{event_id}:{answer}", received_at=desk.app.clock.now()))
    await desk.app.worker.drain()


async def only_event(desk: Desk) -> EventRecord:
    assert desk.app.events is not None
    found = await desk.app.events.list_events(include_past=True)
    assert len(found) == 1, found
    return found[0]

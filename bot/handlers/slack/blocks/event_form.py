"""The `/event` modal in the owner's Slack, and reading it back. Pure: values in, blocks out, and a
submission's state in, the form's fields (for `spec_from_fields`) or per-field errors out.

Times are picked in the business's time zone (date and time pickers, not Slack's per-user
datetime picker), so the café's 18:30 is 18:30 whoever fills in the form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.events.model import plan_of
from bot.platforms import display_name
from bot.handlers.slack.blocks.kit import Block, plain
from storage.events import EventRecord

EVENT_MODAL = "sd_event_modal"
TITLE, START_DATE, START_TIME, LENGTH, PLACE = "ev_title", "ev_date", "ev_time", "ev_length", "ev_place"
CAPACITY, DESCRIPTION, CHANNELS = "ev_capacity", "ev_description", "ev_channels"
ANNOUNCE_DATE, ANNOUNCE_TIME = "ev_announce_date", "ev_announce_time"
VALUE = "value"  # the action id of the one element in every input block
_CLOCK_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
_DURATION = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$")


@dataclass(frozen=True, slots=True)
class EventForm:
    """What the modal shows: empty for a new event, the event's details when editing. Times are aware."""

    title: str = ""
    start: datetime | None = None
    end: datetime | None = None
    place: str = ""
    capacity: int | None = None
    description: str = ""
    channels: tuple[str, ...] = ()
    announce: datetime | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """The modal read back: text fields for `spec_from_fields`, or what to fix, keyed by block id."""

    fields: dict[str, str | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def form_of(event: EventRecord) -> EventForm:
    plan = plan_of(event)
    return EventForm(event.title, event.starts_at, event.ends_at, event.place or "", event.capacity,
                     event.description, tuple(t.name for t in plan.targets), plan.announce_at)


def channel_label(name: str) -> str:
    platform, _, place = name.partition(":")
    label = display_name(platform)
    return f"{label} {place}" if place else label


def event_modal(form: EventForm, channels: Sequence[str], zone: ZoneInfo, metadata: Mapping[str, Any]) -> Block:
    """The create/edit modal. `channels` are the places the business posts to (checkboxes)."""
    editing = "event_id" in metadata
    start, end = _local(form.start, zone), _local(form.end, zone)
    blocks = [
        _input(TITLE, "Title", _text(form.title, placeholder="Latte art workshop")),
        _input(START_DATE, "Date", _drop_none({"type": "datepicker", "action_id": VALUE,
                                                "initial_date": start.date().isoformat() if start else None})),
        _input(START_TIME, f"Start time ({zone.key})", _time_picker(start, zone)),
        _input(LENGTH, "How long, or when it ends", _text(_length(start, end), placeholder="2h, 90m or 20:00"),
               optional=True, hint="A duration (2h, 1h30m, 90m) or an end time on the same day (20:00)."),
        _input(PLACE, "Place", _text(form.place), optional=True, hint="Leave empty for the business address."),
        _input(CAPACITY, "Capacity", _drop_none({"type": "number_input", "action_id": VALUE, "is_decimal_allowed": False,
                                                 "min_value": "1", "initial_value": _str(form.capacity)}),
               optional=True, hint="Leave empty for no limit; a full event gets a waiting list."),
        _input(DESCRIPTION, "Description", _text(form.description, multiline=True), optional=True),
    ]
    options = list(dict.fromkeys([*channels, *form.channels]))[:10]
    if options:
        blocks.append(_input(CHANNELS, "Post the invite on", _checkboxes(options, form.channels), optional=True))
    announce = _local(form.announce, zone)
    blocks += [
        _input(ANNOUNCE_DATE, "Announce on", _drop_none({"type": "datepicker", "action_id": VALUE, "initial_date":
                                                         announce.date().isoformat() if announce else None}),
               optional=True, hint="Leave the announcement date and time empty to announce straight away."),
        _input(ANNOUNCE_TIME, "Announce at", _time_picker(announce, zone), optional=True),
    ]
    return {"type": "modal", "callback_id": EVENT_MODAL, "private_metadata": json.dumps(dict(metadata)),
            "title": plain("Edit event" if editing else "New event"), "submit": plain("Save" if editing else "Create"),
            "close": plain("Close"), "blocks": blocks}


def read_submission(values: Mapping[str, Any], zone: ZoneInfo, now: datetime) -> Submission:
    """The modal's state (`view.state.values`) checked field by field, as the owner will read the errors."""
    errors: dict[str, str] = {}
    title = (_value(values, TITLE, "value") or "").strip()
    if not title:
        errors[TITLE] = "Give the event a title."
    start = _moment(_value(values, START_DATE, "selected_date"), _value(values, START_TIME, "selected_time"), zone)
    if start is None:
        errors[START_DATE] = "Pick the date and the start time."
    elif start <= now:
        errors[START_DATE] = "That date and time have passed: pick one still to come."
    end = _end(start, _value(values, LENGTH, "value"), errors)
    capacity = (_value(values, CAPACITY, "value") or "").strip()
    if capacity and (not capacity.isdigit() or int(capacity) < 1):
        errors[CAPACITY] = "A whole number of places, at least 1 (or empty for no limit)."
    announce = _announce(values, zone, start, errors)
    chosen = (values.get(CHANNELS, {}).get(VALUE) or {}).get("selected_options") or []
    if errors:
        return Submission(errors=errors)
    return Submission(fields={
        "title": title, "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
        "description": _value(values, DESCRIPTION, "value") or "", "place": (_value(values, PLACE, "value") or "").strip(),
        "capacity": capacity or None, "channels": ",".join(str(o["value"]) for o in chosen),
        "announce": announce.isoformat() if announce else None})


def _end(start: datetime | None, text: str | None, errors: dict[str, str]) -> datetime | None:
    text = (text or "").strip().lower()
    if not text or start is None:
        return None
    clock, duration = _CLOCK_TIME.match(text), _DURATION.match(text)
    if clock:
        end = start.replace(hour=int(clock[1]), minute=int(clock[2]))
    elif duration and (duration[1] or duration[2]):
        end = start + timedelta(hours=int(duration[1] or 0), minutes=int(duration[2] or 0))
    else:
        errors[LENGTH] = "Write how long it lasts (2h, 1h30m, 90m) or when it ends (20:00)."
        return None
    if end <= start:
        errors[LENGTH] = "The event must end after it starts."
        return None
    return end


def _announce(values: Mapping[str, Any], zone: ZoneInfo, start: datetime | None,
              errors: dict[str, str]) -> datetime | None:
    day, at = _value(values, ANNOUNCE_DATE, "selected_date"), _value(values, ANNOUNCE_TIME, "selected_time")
    if not day and not at:
        return None
    announce = _moment(day, at, zone)
    if announce is None:
        errors[ANNOUNCE_DATE if not day else ANNOUNCE_TIME] = "Pick both the day and the time, or neither."
    elif start is not None and announce >= start:
        errors[ANNOUNCE_DATE] = "The announcement must come before the event starts."
    return announce


def _moment(day: str | None, at: str | None, zone: ZoneInfo) -> datetime | None:
    if not day or not at:
        return None
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(at), tzinfo=zone)
    except ValueError:
        return None


def _value(values: Mapping[str, Any], block: str, key: str) -> str | None:
    found = (values.get(block) or {}).get(VALUE) or {}
    return None if found.get(key) is None else str(found[key])


def _length(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    if end.date() == start.date():
        return end.strftime("%H:%M")
    return f"{int((end - start).total_seconds() // 60)}m"


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone) if moment else None


def _str(number: int | None) -> str | None:
    return None if number is None else str(number)



def _drop_none(element: Block) -> Block:
    return {key: value for key, value in element.items() if value is not None}


def _input(block_id: str, label: str, element: Block, optional: bool = False, hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element,
                    "optional": optional}
    if hint:
        block["hint"] = plain(hint)
    return block


def _text(initial: str, multiline: bool = False, placeholder: str | None = None) -> Block:
    return _drop_none({"type": "plain_text_input", "action_id": VALUE, "multiline": multiline,
                       "initial_value": initial or None, "placeholder": plain(placeholder) if placeholder else None})


def _time_picker(moment: datetime | None, zone: ZoneInfo) -> Block:
    return _drop_none({"type": "timepicker", "action_id": VALUE, "timezone": zone.key,
                       "initial_time": moment.strftime("%H:%M") if moment else None})


def _checkboxes(options: Sequence[str], chosen: Sequence[str]) -> Block:
    items = [{"text": plain(channel_label(name)), "value": name} for name in options]
    element: Block = {"type": "checkboxes", "action_id": VALUE, "options": items}
    initial = [item for item in items if item["value"] in chosen]
    if initial:
        element["initial_options"] = initial
    return element

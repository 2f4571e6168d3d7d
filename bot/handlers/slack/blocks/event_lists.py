"""Events as the owner sees them in Slack: the `/event list` message, App Home's "Upcoming events" and
an event's attendee list. Pure: records in, blocks out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.events.model import GOING, WAITLISTED
from bot.platforms import display_name
from bot.handlers.slack.blocks.kit import Block, button, context, escape, header, section
from storage.events import EventRecord, RsvpRecord

EDIT_EVENT, CANCEL_EVENT, ATTENDEES = "sd_event_edit", "sd_event_cancel", "sd_event_attendees"
MOST_LISTED = 20  # two blocks each: within Slack's 50 blocks per message
STATUS_WORDS = {"going": "going", "maybe": "maybe", "not_going": "can't go", "waitlisted": "waiting list"}


@dataclass(frozen=True, slots=True)
class EventLine:
    """One upcoming event with its numbers, its times already in the business's zone."""

    id: int
    title: str
    when: str
    capacity: int | None
    going: int
    waitlisted: int


def when_text(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    """"Sat 12 Dec 2026, 10:00–12:00 (Europe/London)"."""
    start = start.astimezone(zone)
    text = f"{start:%a} {start.day} {start:%b %Y, %H:%M}"
    if end is not None:
        end = end.astimezone(zone)
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" to {end:%a} {end.day} {end:%b, %H:%M}"
    return f"{text} ({zone.key})"


def going_count(rsvps: Sequence[RsvpRecord]) -> int:
    return sum(r.party_size for r in rsvps if r.status == GOING)


def waitlist_count(rsvps: Sequence[RsvpRecord]) -> int:
    return sum(r.party_size for r in rsvps if r.status == WAITLISTED)


def line_of(event: EventRecord, rsvps: Sequence[RsvpRecord], zone: ZoneInfo) -> EventLine:
    return EventLine(event.id, event.title, when_text(event.starts_at, event.ends_at, zone), event.capacity,
                     going_count(rsvps), waitlist_count(rsvps))


def numbers(going: int, capacity: int | None, waitlisted: int) -> str:
    places = f"{going} of {capacity} places taken" if capacity else f"{going} going (no limit)"
    return f"{places}, {waitlisted} on the waiting list" if waitlisted else places


def event_blocks(lines: Sequence[EventLine]) -> list[Block]:
    """Each event with Edit / Attendees / Cancel buttons (Cancel asks first)."""
    blocks: list[Block] = []
    for line in lines[:MOST_LISTED]:
        blocks.append(section(f"*{escape(line.title)}*\n{line.when}\n{numbers(line.going, line.capacity, line.waitlisted)}"))
        blocks.append({"type": "actions", "block_id": f"event_{line.id}", "elements": [
            button("Edit", EDIT_EVENT, str(line.id)), button("Attendees", ATTENDEES, str(line.id)),
            button("Cancel event", CANCEL_EVENT, str(line.id), style="danger", confirm=_confirm_cancel(line))]})
    return blocks


def event_list(lines: Sequence[EventLine]) -> list[Block]:
    """The `/event list` answer."""
    if not lines:
        return [section("No upcoming events. Type `/event` to create one.")]
    more = len(lines) - MOST_LISTED
    tail = [context(f"{more} more not shown (`socialdesk events list` shows all).")] if more > 0 else []
    return [header(f"Upcoming events ({len(lines)})"), *event_blocks(lines), *tail]


def home_events(lines: Sequence[EventLine], most: int = 10) -> list[Block]:
    """App Home's section: the next few events, or how to create one."""
    if not lines:
        return [header("Upcoming events (0)"), section("No upcoming events. Type `/event` to create one.")]
    return [header(f"Upcoming events ({len(lines)})"), *event_blocks(lines[:most])]


def with_events(home: Sequence[Block], lines: Sequence[EventLine]) -> list[Block]:
    """A published App Home (as Slack sends it back with a click) with its events section made current."""
    start = next((i for i, block in enumerate(home) if block.get("type") == "header"
                  and str(block.get("text", {}).get("text", "")).startswith("Upcoming events")), len(home))
    return [*home[:start], *home_events(lines)]


def attendee_blocks(event: EventRecord, rsvps: Sequence[RsvpRecord], zone: ZoneInfo) -> list[Block]:
    """Who answered, in the order they answered: name, platform, party size and status, then the totals."""
    head = f"*Attendees: {escape(event.title)}*\n{when_text(event.starts_at, event.ends_at, zone)}"
    if not rsvps:
        return [section(f"{head}\nNobody has answered yet.")]
    lines = [f"• {escape(r.display_name)} ({display_name(r.platform)}), "
             f"{'party of ' + str(r.party_size) if r.party_size > 1 else '1 person'}: {STATUS_WORDS.get(r.status, r.status)}"
             for r in rsvps]
    totals = numbers(going_count(rsvps), event.capacity, waitlist_count(rsvps))
    return [section(head), section("\n".join(lines)), context(f"*Going:* {totals}")]


def attendee_text(event: EventRecord, rsvps: Sequence[RsvpRecord]) -> str:
    """The notification text for the attendee list."""
    return f"Attendees for {escape(event.title)}: {numbers(going_count(rsvps), event.capacity, waitlist_count(rsvps))}"


def _confirm_cancel(line: EventLine) -> Block:
    return {"title": {"type": "plain_text", "text": "Cancel this event?"},
            "text": {"type": "mrkdwn", "text": f"*{escape(line.title)}* ({line.when}). Unsent posts are withdrawn and "
                                               "everyone who answered is told."[:300]},
            "confirm": {"type": "plain_text", "text": "Cancel the event"},
            "deny": {"type": "plain_text", "text": "Keep it"}, "style": "danger"}

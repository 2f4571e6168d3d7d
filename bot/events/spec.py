"""What the owner gives to create or change an event, checked before anything is stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.errors import DataError
from bot.events.model import DEFAULT_ATTENDEE_REMINDER, DEFAULT_REMINDERS, DRAFT, SCHEDULED, InvitePlan, plan_of
from storage.events import EventRecord


@dataclass(frozen=True, slots=True)
class EventSpec:
    """An event as the owner describes it. Naive times are read in the business's time zone."""

    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    description: str = ""
    place: str | None = None
    capacity: int | None = None
    image_url: str | None = None
    channels: tuple[str, ...] = ()
    announce_at: datetime | None = None
    reminders: tuple[str, ...] = DEFAULT_REMINDERS
    attendee_reminder: str | None = DEFAULT_ATTENDEE_REMINDER
    key: str | None = None
    status: str = SCHEDULED
    timezone: str | None = None

    def validated(self, zone: ZoneInfo) -> "EventSpec":
        if not self.title.strip():
            raise DataError("an event needs a title")
        if self.capacity is not None and self.capacity < 1:
            raise DataError("capacity must be at least 1 (or left out for no limit)")
        if self.status not in (DRAFT, SCHEDULED):
            raise DataError(f"an event can be created or edited as {DRAFT} or {SCHEDULED}, not {self.status}")
        spec = replace(self, title=self.title.strip(), starts_at=aware(self.starts_at, zone),
                       ends_at=aware(self.ends_at, zone) if self.ends_at else None,
                       announce_at=aware(self.announce_at, zone) if self.announce_at else None,
                       channels=tuple(self.channels), reminders=tuple(self.reminders), timezone=zone.key)
        if spec.ends_at is not None and spec.ends_at <= spec.starts_at:
            raise DataError("the event must end after it starts")
        if spec.announce_at is not None and spec.announce_at >= spec.starts_at:
            raise DataError("the announcement must come before the event starts")
        InvitePlan.build(spec.channels, spec.announce_at, spec.reminders, spec.attendee_reminder)  # names checked
        return spec


def aware(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def spec_of(event: EventRecord) -> EventSpec:
    plan = plan_of(event)
    return EventSpec(
        title=event.title, starts_at=event.starts_at, ends_at=event.ends_at, description=event.description,
        place=event.place, capacity=event.capacity, image_url=event.image_url,
        channels=tuple(t.name for t in plan.targets), announce_at=plan.announce_at,
        reminders=tuple(r.label for r in plan.reminders),
        attendee_reminder=plan.attendee_reminder.label if plan.attendee_reminder else None,
        key=event.key, status=event.status, timezone=event.timezone)


def read_time(text: str | None) -> datetime | None:
    """"2026-12-05 18:30" or ISO 8601; without an offset it is read in the business's zone later."""
    if text is None or not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise DataError(f'"{text}" is not a time like 2026-12-05 18:30 (read in the business\'s time zone)') from None


def read_list(text: str | None) -> tuple[str, ...] | None:
    """"7d, 1d,2h" → ("7d", "1d", "2h"); None when not given."""
    return None if text is None else tuple(part.strip() for part in text.split(",") if part.strip())


def read_capacity(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    if not text.strip().isdigit():
        raise DataError(f'capacity "{text}" is not a whole number')
    return int(text)


def spec_from_fields(fields: Mapping[str, str | None]) -> EventSpec:
    """An event from a form's text fields (the owner's Slack modal, the CLI): title, start, end,
    description, place, capacity, image_url, channels, announce, reminders (comma-separated lists)."""
    title, start = (fields.get("title") or "").strip(), read_time(fields.get("start"))
    if not title or start is None:
        raise DataError("an event needs a title and a start time")
    reminders = read_list(fields.get("reminders"))
    return EventSpec(title=title, starts_at=start, ends_at=read_time(fields.get("end")),
                     description=(fields.get("description") or "").strip(), place=fields.get("place") or None,
                     capacity=read_capacity(fields.get("capacity")), image_url=fields.get("image_url") or None,
                     channels=read_list(fields.get("channels")) or (), announce_at=read_time(fields.get("announce")),
                     reminders=DEFAULT_REMINDERS if reminders is None else reminders)

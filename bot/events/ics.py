"""An .ics calendar file per event. The UID never changes and SEQUENCE grows with each edit, so
calendar apps update the entry they already have instead of adding a second one."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from bot.events.model import CANCELLED
from bot.events.render import ics_url
from bot.profile.model import BusinessProfile
from storage.events import EventRecord

DEFAULT_LENGTH = timedelta(hours=2)


def event_ics(event: EventRecord, profile: BusinessProfile, *, base_url: str | None, now: datetime) -> bytes:
    """The calendar file for one event (times in UTC, which every calendar app reads correctly)."""
    calendar = Calendar()
    calendar.add("prodid", f"-//socialdesk//{profile.business.name}//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", profile.business.name)
    entry = CalendarEvent()
    entry.add("uid", event.uid)
    entry.add("sequence", event.sequence)
    entry.add("dtstamp", now)
    entry.add("last-modified", event.updated_at)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at or event.starts_at + DEFAULT_LENGTH)
    entry.add("summary", event.title)
    if event.description:
        entry.add("description", event.description)
    entry.add("location", event.place or profile.business.address or profile.business.name)
    entry.add("status", "CANCELLED" if event.status == CANCELLED else "CONFIRMED")
    url = ics_url(base_url, event.id)
    if url:
        entry.add("url", url)
    if profile.business.email:
        entry.add("organizer", f"mailto:{profile.business.email}", parameters={"cn": profile.business.name})
    calendar.add_component(entry)
    return calendar.to_ical()

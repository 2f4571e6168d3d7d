"""Event posts and RSVP messages, rendered from templates for each platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.drafting.context import clock, day_label
from bot.errors import BrokenTemplate
from bot.messages import Draft
from bot.profile.model import BusinessProfile
from bot.platforms import fits, limit_of
from storage.events import EventRecord


@dataclass(frozen=True, slots=True)
class EventView:
    """An event as templates see it: times in the business's zone, the place filled in."""

    id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    capacity: int | None
    spaces_left: int | None
    image_url: str | None
    ics_url: str | None
    status: str


def ics_url(base_url: str | None, event_id: int) -> str | None:
    return f"{base_url.rstrip('/')}/events/{event_id}.ics" if base_url else None


def event_view(event: EventRecord, profile: BusinessProfile, seats_taken: int, base_url: str | None) -> EventView:
    zone = profile.zone
    place = event.place or profile.business.address or profile.business.name
    spaces = None if event.capacity is None else max(0, event.capacity - seats_taken)
    return EventView(event.id, event.title, event.description, event.starts_at.astimezone(zone),
                     event.ends_at.astimezone(zone) if event.ends_at else None, place, event.capacity, spaces,
                     event.image_url, ics_url(base_url, event.id), event.status)


class Renderer(Protocol):
    """What renders a template for a platform (bot.drafting.drafter.Drafter in the running bot)."""

    def render(self, template: str, platform: str, context: dict[str, Any]) -> Draft: ...


class EventTexts:
    """Renders the events templates with the business's details; fails loudly, never sends a broken post."""

    def __init__(self, drafter: Renderer, profile: BusinessProfile) -> None:
        self._drafter, self._profile = drafter, profile

    def render(self, template: str, platform: str, event: EventView, **extra: Any) -> str:
        context = {"event": event, "business": self._profile.business, "owner_name": self._profile.owner.name,
                   "platform": platform, "clock": clock, "day_label": day_label, **extra}
        draft = self._drafter.render(template, platform, context)
        if draft.error:
            raise BrokenTemplate(draft.error)
        if not fits(platform, draft.text):
            raise BrokenTemplate(f"{template} is longer than {platform}'s {limit_of(platform)} characters "
                                f"for event {event.id}; shorten the title or the template")
        return draft.text

    def message(self, template: str, platform: str, event: EventView, **extra: Any) -> str:
        """A message to one person: like `render`, but shortened to fit rather than refused."""
        draft = self._drafter.render(template, platform, {
            "event": event, "business": self._profile.business, "owner_name": self._profile.owner.name,
            "platform": platform, "clock": clock, "day_label": day_label, **extra})
        if draft.error:
            raise BrokenTemplate(draft.error)
        return shorten_to_fit(platform, draft.text)


def shorten_to_fit(platform: str, text: str) -> str:
    """Drop whole words from the end until the text fits the platform, marking the cut with an ellipsis."""
    if fits(platform, text):
        return text
    words = text.split(" ")
    while len(words) > 1 and not fits(platform, " ".join(words) + "…"):
        words.pop()
    return " ".join(words) + "…"

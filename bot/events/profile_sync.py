"""Events listed in business.yaml are created on start, and updated when the file changes, by key."""

from __future__ import annotations

import logging

from bot.errors import ConfigError, DataError
from bot.events.model import CANCELLED
from bot.events.service import EventService
from bot.events.spec import EventSpec, spec_of
from bot.profile.model import BusinessProfile, EventConfig
from storage import events as store

log = logging.getLogger(__name__)
# Fields the profile owns; status and time zone are the bot's business.
_OWNED = ("title", "starts_at", "ends_at", "description", "place", "capacity", "image_url", "channels",
          "announce_at", "reminders", "attendee_reminder")


def profile_event_problems(profile: BusinessProfile) -> list[str]:
    """What is wrong with the events in business.yaml (unknown channels, bad offsets, impossible times)."""
    problems = []
    for index, config in enumerate(profile.events):
        try:
            spec_from_config(config).validated(profile.zone)
        except DataError as exc:
            problems.append(f"events[{index}] ({config.key}): {exc}")
    return problems


def spec_from_config(config: EventConfig) -> EventSpec:
    return EventSpec(title=config.title, starts_at=config.starts_at, ends_at=config.ends_at,
                     description=config.description, place=config.place, capacity=config.capacity,
                     image_url=config.image_url, channels=tuple(config.channels), announce_at=config.announce_at,
                     reminders=tuple(config.reminders), attendee_reminder=config.attendee_reminder or None,
                     key=config.key)


async def sync_profile_events(service: EventService, profile: BusinessProfile) -> list[str]:
    """Create or update each configured event; returns one line per change, for the start-up log."""
    changes = []
    for index, config in enumerate(profile.events):
        try:
            wanted = spec_from_config(config).validated(profile.zone)
        except DataError as exc:
            raise ConfigError(f"events[{index}] ({config.key}): {exc}") from None
        async with service.ctx.db.session() as session:
            existing = await store.get_by_key(session, config.key)
        if existing is None:
            event = await service.create_event(wanted, actor="business.yaml")
            changes.append(f"event {event.id} created from business.yaml: {event.title}")
            continue
        if existing.status == CANCELLED:
            continue
        current = spec_of(existing)
        differ = {name: getattr(wanted, name) for name in _OWNED if getattr(wanted, name) != getattr(current, name)}
        if differ:
            await service.edit_event(existing.id, actor="business.yaml", **differ)
            changes.append(f"event {existing.id} updated from business.yaml: {', '.join(sorted(differ))}")
    for line in changes:
        log.info(line)
    return changes

"""`socialdesk check` for events: every events template renders on every platform (X within 280)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.errors import BrokenTemplate
from bot.events.profile_sync import profile_event_problems
from bot.events.render import EventTexts, EventView, Renderer
from bot.platforms import names as platform_names
from bot.profile.model import BusinessProfile

# Each template with the extra values it is rendered with.
SAMPLES: dict[str, dict[str, Any]] = {
    "event_invite": {"has_buttons": True, "when": ""},
    "event_reminder": {"has_buttons": False, "when": "tomorrow"},
    "event_attendee_reminder": {"customer_name": "Alex", "party_size": 2, "when": "tomorrow"},
    "rsvp_promotion": {"customer_name": "Alex", "party_size": 1},
    "rsvp_guest": {"customer_name": "Alex"},
    "event_changed": {"customer_name": "Alex", "party_size": 1},
    "event_cancelled": {"customer_name": "Alex", "party_size": 1, "reason": "Our roaster is unwell."},
}
CONFIRMATIONS = ("going", "maybe", "waitlisted", "not_going")


def sample_event(profile: BusinessProfile, now: datetime) -> EventView:
    start = (now + timedelta(days=3)).astimezone(profile.zone)
    return EventView(0, "Sample event", "A sample description.", start, start + timedelta(hours=2),
                     profile.business.address or profile.business.name, 20, 5, None,
                     "https://example.org/events/0.ics", "scheduled")


def event_problems(renderer: Renderer, profile: BusinessProfile, now: datetime) -> list[str]:
    """Everything `socialdesk check` reports about events: the profile's events, then the templates."""
    return profile_event_problems(profile) + event_template_problems(renderer, profile, now)


def event_template_problems(renderer: Renderer, profile: BusinessProfile, now: datetime) -> list[str]:
    texts, event = EventTexts(renderer, profile), sample_event(profile, now)
    calls = [(name, extra) for name, extra in SAMPLES.items()]
    calls += [("rsvp_confirmation", {"status": s, "customer_name": "Alex", "party_size": 2, "position": 1,
                                     "asked_for": 3}) for s in CONFIRMATIONS]
    calls.append(("rsvp_which_event", {"customer_name": "Alex", "events": [event, event]}))
    problems = []
    for name, extra in calls:
        for platform in platform_names():
            try:
                texts.render(name, platform, event, **extra)
            except BrokenTemplate as exc:
                problems.append(f"{platform}: {exc}")
    return sorted(set(problems))

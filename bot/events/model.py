"""The event and its invite plan as the rest of the bot sees them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.errors import DataError
from bot.platforms import Traits, traits_of, where
from storage.events import EventRecord

DRAFT, SCHEDULED, CANCELLED, OVER = "draft", "scheduled", "cancelled", "over"
STATUSES = (DRAFT, SCHEDULED, CANCELLED, OVER)
GOING, MAYBE, NOT_GOING, WAITLISTED = "going", "maybe", "not_going", "waitlisted"
RSVP_STATUSES = (GOING, MAYBE, NOT_GOING, WAITLISTED)
DEFAULT_REMINDERS = ("7d", "1d", "2h")
DEFAULT_ATTENDEE_REMINDER = "1d"
_OFFSET = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


@dataclass(frozen=True, slots=True)
class Offset:
    """How long before an event: days keep the wall-clock time, hours and minutes are exact."""

    days: int = 0
    hours: int = 0
    minutes: int = 0

    @classmethod
    def parse(cls, text: str) -> "Offset":
        found = _OFFSET.match(text.strip().lower())
        if not text.strip() or found is None:
            raise DataError(f'"{text}" is not an offset like 7d, 1d, 2h or 30m')
        days, hours, minutes = (int(part or 0) for part in found.groups())
        return cls(days, hours, minutes)

    @property
    def label(self) -> str:
        parts = [f"{self.days}d" if self.days else "", f"{self.hours}h" if self.hours else "",
                 f"{self.minutes}m" if self.minutes else ""]
        return "".join(parts) or "0m"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a post goes: a platform and, optionally, a place on it (a Telegram chat, a Slack channel)."""

    platform: str
    place: str | None = None

    @classmethod
    def parse(cls, text: str) -> "Target":
        platform, _, place = text.strip().partition(":")
        platform = platform.lower()
        traits = traits_of(platform)
        if traits.not_a_channel:
            raise DataError(f'"{text}": {traits.not_a_channel}')
        if traits.invites_each_customer and place.strip():
            raise DataError(f'"{text}": {traits.display_name} has no channel to post to; "{platform}" invites each '
                            'customer who has written in there, so it takes no place after ":"')
        if not traits.channel_posts and not traits.invites_each_customer:
            raise DataError(f'"{text}": the channel must be one of {", ".join(where(_takes_invites))} '
                            '(optionally with a place, e.g. telegram:@yourchannel or slack:#events)')
        return cls(platform, place.strip() or None)

    @property
    def each_customer(self) -> bool:
        """An invite here goes to each customer as a message of their own (see bot/events/reach.py)."""
        return traits_of(self.platform).invites_each_customer

    @property
    def name(self) -> str:
        return f"{self.platform}:{self.place}" if self.place else self.platform

    @property
    def thread_key(self) -> str | None:
        """Where the post goes; None for a platform whose invite goes to each customer instead."""
        return None if self.each_customer else self.place or "announcements"


@dataclass(frozen=True, slots=True)
class InvitePlan:
    """Which channels get the invite, when it is announced, and when reminders follow."""

    targets: tuple[Target, ...] = ()
    announce_at: datetime | None = None
    reminders: tuple[Offset, ...] = tuple(Offset.parse(r) for r in DEFAULT_REMINDERS)
    attendee_reminder: Offset | None = field(default_factory=lambda: Offset.parse(DEFAULT_ATTENDEE_REMINDER))

    @classmethod
    def build(cls, channels: list[str] | tuple[str, ...], announce_at: datetime | None = None,
              reminders: list[str] | tuple[str, ...] = DEFAULT_REMINDERS,
              attendee_reminder: str | None = DEFAULT_ATTENDEE_REMINDER) -> "InvitePlan":
        return cls(tuple(Target.parse(c) for c in channels), announce_at, tuple(Offset.parse(r) for r in reminders),
                   Offset.parse(attendee_reminder) if attendee_reminder else None)

    def to_json(self) -> dict[str, Any]:
        return {"channels": [t.name for t in self.targets],
                "announce_at": self.announce_at.isoformat() if self.announce_at else None,
                "reminders": [r.label for r in self.reminders],
                "attendee_reminder": self.attendee_reminder.label if self.attendee_reminder else None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "InvitePlan":
        announce = data.get("announce_at")
        return cls.build(list(data.get("channels", [])), datetime.fromisoformat(announce) if announce else None,
                         list(data.get("reminders", DEFAULT_REMINDERS)), data.get("attendee_reminder"))


def _takes_invites(traits: Traits) -> bool:
    return traits.channel_posts or traits.invites_each_customer


def plan_of(event: EventRecord) -> InvitePlan:
    return InvitePlan.from_json(event.plan)

"""Time comes from an injected clock so tests never sleep and never depend on today's date."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ShiftedClock:
    """The real clock moved to start at a chosen moment, then running at real speed: lets an owner
    rehearse how the bot answers on Christmas Eve (SOCIALDESK_NOW), and lets process tests pin the day."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware datetime")
        self._shift = start.astimezone(timezone.utc) - datetime.now(timezone.utc)

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._shift


def clock_starting_at(start: datetime | None) -> Clock:
    """The system clock, or one shifted to `start` when the operator asked for another "now"."""
    return SystemClock() if start is None else ShiftedClock(start)


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware datetime")
        self._now = at.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, at: datetime) -> None:
        self._now = at.astimezone(timezone.utc)

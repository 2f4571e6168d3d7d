"""Dates in business.yaml that have gone stale or collide: `socialdesk check` and `run` say so, without
refusing to start (a past event is harmless; the owner should still hear about it)."""

from __future__ import annotations

from itertools import combinations
from datetime import date, datetime

from bot.profile.model import BusinessProfile


def date_warnings(profile: BusinessProfile, now: datetime) -> list[str]:
    today = now.astimezone(profile.zone).date()
    return _past_closures(profile, today) + _same_day_closures(profile) + _past_events(profile, now)


def _past_closures(profile: BusinessProfile, today: date) -> list[str]:
    return [f'hours.exceptions[{index}]: {ex.date} has passed; write "{ex.date[5:]}" to repeat it every year, or remove it'
            for index, ex in enumerate(profile.hours.exceptions)
            if isinstance(ex.day, date) and ex.day < today]


def _same_day_closures(profile: BusinessProfile) -> list[str]:
    """Two entries for one day: only one applies (a dated one over a yearly one, else the later one)."""
    warnings = []
    for (i, first), (j, second) in combinations(enumerate(profile.hours.exceptions), 2):
        a, b = first.day, second.day
        if _month_day(a) != _month_day(b) or (isinstance(a, date) and isinstance(b, date) and a != b):
            continue
        label = first.date if isinstance(a, date) else second.date
        winner = i if isinstance(a, date) and not isinstance(b, date) else j
        warnings.append(f"hours.exceptions[{i}] and hours.exceptions[{j}] are both for {label}; "
                        f"only hours.exceptions[{winner}] applies")
    return warnings


def _month_day(day: date | tuple[int, int]) -> tuple[int, int]:
    return (day.month, day.day) if isinstance(day, date) else day


def _past_events(profile: BusinessProfile, now: datetime) -> list[str]:
    return [f"events[{index}] ({event.key}): starts_at {event.starts_at.isoformat()} has passed; "
            "move it or remove it, or no invite goes out"
            for index, event in enumerate(profile.events) if (event.ends_at or event.starts_at) < now]

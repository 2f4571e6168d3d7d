"""What a reply template can use: the business, its hours computed in its own time zone, the next event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from jinja2 import StrictUndefined

from bot.profile.days import AskedDays, asked_days
from bot.profile.hours import DayHours, OpeningHours
from bot.profile.model import BusinessProfile


@dataclass(frozen=True, slots=True)
class EventBrief:
    """An upcoming event as templates see it (times already in the business's zone)."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime | None
    place: str
    description: str
    spaces_left: int | None = None
    ics_url: str | None = None


def clock(value: time | datetime) -> str:
    """9:00 → "9am", 17:30 → "5:30pm"."""
    hour, minute = value.hour, value.minute
    suffix = "am" if hour < 12 else "pm"
    hour12 = hour % 12 or 12
    return f"{hour12}{suffix}" if minute == 0 else f"{hour12}:{minute:02d}{suffix}"


def hours_text(day: DayHours) -> str:
    if day.closed:
        return "closed"
    return " and ".join(f"{clock(r.opens)}–{clock(r.closes)}" for r in day.ranges)


def day_label(value: date | datetime, today: date | None = None) -> str:
    day = value.date() if isinstance(value, datetime) else value
    if today is not None and day == today:
        return "today"
    return f"{day:%A} {day.day} {day:%B}"


def when(value: date | datetime, today: date) -> str:
    """"today", "tomorrow" or "on Saturday 28 November": reads right after "open" or "closed"."""
    day = value.date() if isinstance(value, datetime) else value
    if day == today:
        return "today"
    if (day - today).days == 1:
        return "tomorrow"
    return f"on {day_label(day)}"


def reply_context(profile: BusinessProfile, now: datetime, *, customer_name: str, message: str,
                  platform: str, next_event: EventBrief | None = None) -> dict[str, Any]:
    hours = profile.opening_hours()
    local_now = now.astimezone(profile.zone)
    today = hours.on(local_now.date())
    asked = asked_days(message, local_now.date(), hours, day_first=not profile.business.timezone.startswith("America/"))
    opening = hours.next_opening(now)
    closing = hours.closing_time(now)
    return {
        "business": profile.business,
        "owner_name": profile.owner.name,
        "customer_name": customer_name,
        "message": message,
        "platform": platform,
        "now": local_now,
        "today": today,
        "open_now": closing is not None,
        "closes_at": clock(closing) if closing else None,
        **_asked(asked, hours),
        "week": hours.week(now),
        "next_opening": opening,
        "next_event": next_event,
        "hours_text": hours_text,
        "clock": clock,
        "day_label": lambda value: day_label(value, local_now.date()),
        "when": lambda value: when(value, local_now.date()),
    }


def _asked(asked: AskedDays | None, hours: OpeningHours) -> dict[str, Any]:
    """`asked` (the first day asked about), `asked_days` (all of them, for "this weekend") and
    `reopens` (the first opening after them). A day named but not placed makes every template that
    reads them fail, so the message goes to the owner instead of being answered about today."""
    if asked is None:
        return {"asked": None, "asked_days": [], "reopens": None}
    if not asked.resolved:
        hint = f'the customer asks about "{asked.phrase}", which is not a day socialdesk can place: please reply yourself'
        unknown = StrictUndefined(hint=hint)
        return {"asked": unknown, "asked_days": unknown, "reopens": unknown}
    days = [hours.on(day) for day in asked.days]
    after = datetime.combine(asked.days[-1], time(23, 59), tzinfo=hours.zone)
    return {"asked": days[0], "asked_days": days, "reopens": hours.next_opening(after)}

"""Opening hours: parsing "08:00-18:00" and answering "is it open now?" in the business's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES: dict[str, str] = {
    "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
    "fri": "Friday", "sat": "Saturday", "sun": "Sunday",
}
_RANGE = re.compile(r"^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class TimeRange:
    opens: time
    closes: time

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


def parse_ranges(value: str) -> tuple[TimeRange, ...]:
    """'closed' → (); '08:00-12:00, 13:00-18:00' → two ranges. Raises ValueError naming the bad text."""
    text = str(value).strip()
    if text.lower() == "closed":
        return ()
    ranges = []
    for part in text.split(","):
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f'"{value}" is not HH:MM-HH:MM (or "closed")')
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(f'"{value}" has a time that does not exist')
        closes = time(23, 59) if h2 == 24 else time(h2, m2)
        if closes <= time(h1, m1):
            raise ValueError(f'"{value}" closes before it opens')
        ranges.append(TimeRange(time(h1, m1), closes))
    return tuple(ranges)


@dataclass(frozen=True, slots=True)
class DayHours:
    day: date
    ranges: tuple[TimeRange, ...]
    note: str | None = None

    @property
    def closed(self) -> bool:
        return not self.ranges

    @property
    def weekday_name(self) -> str:
        return DAY_NAMES[WEEKDAYS[self.day.weekday()]]

    def __str__(self) -> str:
        return "closed" if self.closed else ", ".join(str(r) for r in self.ranges)


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Weekly hours plus dated exceptions (holidays, short days), all in one time zone."""

    zone: ZoneInfo
    weekly: dict[str, tuple[TimeRange, ...]]
    exceptions: dict[date, tuple[tuple[TimeRange, ...], str | None]]

    def on(self, day: date) -> DayHours:
        if day in self.exceptions:
            ranges, note = self.exceptions[day]
            return DayHours(day, ranges, note)
        return DayHours(day, self.weekly.get(WEEKDAYS[day.weekday()], ()))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def is_open(self, moment: datetime) -> bool:
        local = self.local(moment)
        today = self.on(local.date())
        return any(r.opens <= local.time() < r.closes for r in today.ranges)

    def next_opening(self, moment: datetime, horizon_days: int = 14) -> datetime | None:
        """The next time the doors open after `moment` (aware, in the business's zone)."""
        local = self.local(moment)
        for offset in range(horizon_days + 1):
            day = local.date() + timedelta(days=offset)
            for r in self.on(day).ranges:
                opening = datetime.combine(day, r.opens, tzinfo=self.zone)
                if opening > local:
                    return opening
        return None

    def week(self, moment: datetime) -> list[DayHours]:
        start = self.local(moment).date()
        return [self.on(start + timedelta(days=i)) for i in range(7)]

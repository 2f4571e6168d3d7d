"""Opening hours: parsing "08:00-18:00" and answering "is it open now?" in the business's time zone.
A range that closes before it opens ("18:00-02:00") runs past midnight into the next day."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES: dict[str, str] = {
    "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
    "fri": "Friday", "sat": "Saturday", "sun": "Sunday",
}
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
MonthDay = tuple[int, int]


@dataclass(frozen=True, slots=True)
class TimeRange:
    opens: time
    closes: time

    @property
    def overnight(self) -> bool:
        return self.closes <= self.opens

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


def parse_ranges(value: str) -> tuple[TimeRange, ...]:
    """'closed' → (); '08:00-12:00, 13:00-18:00' → two ranges; '7:30-18:00' reads as 07:30. A range that
    closes at or before it opens runs past midnight. Raises ValueError naming the bad text."""
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
        if closes == time(h1, m1):
            raise ValueError(f'"{value}" closes when it opens')
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
    # Closures and short days that come back every year (Christmas Day), by (month, day).
    yearly: dict[MonthDay, tuple[tuple[TimeRange, ...], str | None]] = field(default_factory=dict)

    def on(self, day: date) -> DayHours:
        # A dated exception beats a yearly one: the owner opened this Boxing Day on purpose.
        found = self.exceptions.get(day) or self.yearly.get((day.month, day.day))
        if found is not None:
            ranges, note = found
            return DayHours(day, ranges, note)
        return DayHours(day, self.weekly.get(WEEKDAYS[day.weekday()], ()))

    def named_days(self, start: date, horizon_days: int = 366) -> list[tuple[date, str]]:
        """Every exception with a note ("Christmas Eve") from `start` on, soonest first."""
        found = [(day, note) for day, (_, note) in self.exceptions.items() if note and day >= start]
        for (month, day_of_month), (_, note) in self.yearly.items():
            when = next_month_day(start, month, day_of_month)
            if note and when is not None and (when - start).days <= horizon_days:
                found.append((when, note))
        return sorted(found)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def is_open(self, moment: datetime) -> bool:
        return self.closing_time(moment) is not None

    def closing_time(self, moment: datetime) -> time | None:
        """When the range open at `moment` closes, or None when closed. Last night's range that runs
        past midnight counts too."""
        local = self.local(moment)
        now = local.time()
        for r in self.on(local.date()).ranges:
            if r.opens <= now and (r.overnight or now < r.closes):
                return r.closes
        for r in self.on(local.date() - timedelta(days=1)).ranges:
            if r.overnight and now < r.closes:
                return r.closes
        return None

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


def next_month_day(start: date, month: int, day: int) -> date | None:
    """The first (month, day) on or after `start`; 29 February waits for a leap year."""
    for year in range(start.year, start.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= start:
            return candidate
    return None

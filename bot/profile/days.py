"""Which days a customer asks about: "on saturday", "on the 5th", "24/12", "this weekend", "over
christmas" → dates in the business's own calendar.

Explicit dates go to dateparser. What it does not know (weekends, the holidays, the owner's named
closures, chat spellings like "2moro") is read here first. Words that name a day which neither can pin
down ("easter", "the 35th") come back unresolved, so a reply is never about "now" by mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from bot.profile.hours import OpeningHours, next_month_day

_SLANG = {"2moro": "tomorrow", "2morrow": "tomorrow", "tmrw": "tomorrow", "tmr": "tomorrow", "tomoz": "tomorrow",
          "tommorow": "tomorrow", "tomorow": "tomorrow", "2day": "today", "tonite": "tonight", "2nite": "tonight",
          "xmas": "christmas", "chrimbo": "christmas", "satuday": "saturday", "saterday": "saturday",
          "wensday": "wednesday", "wednsday": "wednesday", "thursady": "thursday"}
# Public: the words customers use for these are read the same everywhere (bot/understanding/vocabulary.py).
CHAT_SPELLINGS = _SLANG
_TODAY_WORDS = ("today", "tonight", "this morning", "this afternoon", "this evening")
# Holidays customers name without a date, as (month, day) in every year.
_HOLIDAYS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("christmas eve", ((12, 24),)), ("boxing day", ((12, 26),)), ("new year's eve", ((12, 31),)),
    ("new years eve", ((12, 31),)), ("new year's day", ((1, 1),)), ("new years day", ((1, 1),)),
    ("over christmas", ((12, 24), (12, 25), (12, 26))), ("christmas holidays", ((12, 24), (12, 25), (12, 26))),
    ("over new year", ((12, 31), (1, 1))), ("christmas day", ((12, 25),)), ("christmas", ((12, 25),)),
    ("new year", ((1, 1),)), ("valentine's day", ((2, 14),)), ("valentines day", ((2, 14),)),
    ("halloween", ((10, 31),)),
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
# Words that name a day without saying which, or that dateparser could not place.
_DAY_CUES = re.compile(
    r"\b(?:\d{1,2}(?:st|nd|rd|th)|\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?|(?:mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?|easter|bank holiday|half term|holidays?|weekend|in \d+ days?)\b")


@dataclass(frozen=True, slots=True)
class AskedDays:
    """The days a message asks about, soonest first; empty `days` means it names a day we cannot place."""

    phrase: str
    days: tuple[date, ...]

    @property
    def resolved(self) -> bool:
        return bool(self.days)


def asked_days(text: str, today: date, hours: OpeningHours, *, day_first: bool = True) -> AskedDays | None:
    """The days `text` asks about, counted from `today` in the business's zone; None when it names none."""
    lowered = normalise(text)
    for finder in (_named_closure, _unplaceable, _holiday, _relative_word, _weekend, _weekday, _day_of_month):
        found = finder(lowered, today, hours)
        if found is not None:
            return found
    cue = _DAY_CUES.search(lowered)
    if cue is None:
        return None
    return _parsed_date(lowered, today, day_first) or AskedDays(cue[0], ())


def normalise(text: str) -> str:
    lowered = text.lower().replace("\u2019", "'")
    return re.sub(r"[a-z0-9']+", lambda m: _SLANG.get(m[0], m[0]), lowered)


def _named_closure(text: str, today: date, hours: OpeningHours) -> AskedDays | None:
    for day, note in hours.named_days(today):
        if note.lower() in text:
            return AskedDays(note.lower(), (day,))
    return None


# Days that move from year to year or differ between regions: "bank holiday monday" is not next Monday.
_UNPLACEABLE = re.compile(r"\b(?:bank holidays?|half term|easter)\b")


def _unplaceable(text: str, today: date, hours: OpeningHours) -> AskedDays | None:
    found = _UNPLACEABLE.search(text)
    return AskedDays(found[0], ()) if found else None


def _holiday(text: str, today: date, hours: OpeningHours) -> AskedDays | None:
    for phrase, month_days in _HOLIDAYS:
        if re.search(rf"\b{re.escape(phrase)}\b", text):
            # The run still going on or the next one; several days ("over christmas") stay in one run,
            # even across the new year, and the days already gone are left out.
            last = next_month_day(today, *month_days[-1])
            assert last is not None  # every holiday above exists every year
            first = date(last.year, *month_days[0])
            first = first if first <= last else first.replace(year=last.year - 1)
            days = tuple(day for day in _following(first, month_days) if day >= today)
            return AskedDays(phrase, days)
    return None


def _following(first: date, month_days: tuple[tuple[int, int], ...]) -> list[date]:
    days, current = [first], first
    for month, day in month_days[1:]:
        later = next_month_day(current + timedelta(days=1), month, day)
        if later is not None:
            days.append(later)
            current = later
    return days


def _relative_word(text: str, today: date, hours: OpeningHours) -> AskedDays | None:
    if re.search(r"\b(?:day after tomorrow)\b", text):
        return AskedDays("the day after tomorrow", (today + timedelta(days=2),))
    week = re.search(r"\b(this|next) week\b", text)
    if week:
        start = today if week[1] == "this" else today + timedelta(days=7 - today.weekday())
        return AskedDays(week[0], tuple(start + timedelta(days=n) for n in range(7 - start.weekday())))
    if re.search(r"\btomorrow\b", text):
        return AskedDays("tomorrow", (today + timedelta(days=1),))
    for word in _TODAY_WORDS:
        if re.search(rf"\b{word}\b", text):
            return AskedDays(word, (today,))
    return None


def _weekend(text: str, today: date, hours: OpeningHours) -> AskedDays | None:
    match = re.search(r"\b(?:(next|this|the) )?weekend\b", text)
    if match is None:
        return None
    weekday = today.weekday()
    if weekday >= 5 and match[1] != "next":  # during the weekend, "this weekend" is what is left of it
        days = tuple(today + timedelta(days=n) for n in range(7 - weekday))
        return AskedDays(match[0], days)
    saturday = today + timedelta(days=(5 - weekday) % 7)
    if match[1] == "next" and weekday in (4, 5):  # from Friday, "next weekend" is the one after this
        saturday += timedelta(days=7)
    return AskedDays(match[0], (saturday, saturday + timedelta(days=1)))


def _weekday(text: str, today: date, hours: OpeningHours) -> AskedDays | None:
    """"saturday", "on sat", "next monday": the next such day, today included. A short "sat" or
    "sun" counts only after "on", "this" and the like; otherwise it is a verb or the sky."""
    match = re.search(r"\b(?:(next) )?(" + "|".join(_WEEKDAYS) + r")\b", text) or \
        re.search(r"\b(?:on|this|till|until|by|(next)) (mon|tue|tues|wed|thu|thurs|fri|sat|sun)\b", text)
    if match is None:
        return None
    index = next(i for i, name in enumerate(_WEEKDAYS) if name.startswith(match[2]))
    ahead = (index - today.weekday()) % 7
    if match[1] == "next" and ahead == 0:
        ahead = 7
    return AskedDays(match[0], (today + timedelta(days=ahead),))


def _day_of_month(text: str, today: date, hours: OpeningHours) -> AskedDays | None:
    """A bare "the 5th": the next month that has one. With a month named, dateparser reads it."""
    match = re.search(r"\b(?:on )?the (\d{1,2})(?:st|nd|rd|th)\b(?! of)", text)
    if match is None or any(re.search(rf"\b{month[:3]}", text) for month in _MONTHS):
        return None
    day_of_month = int(match[1])
    for months_ahead in range(13):
        index = today.month - 1 + months_ahead
        try:
            candidate = date(today.year + index // 12, index % 12 + 1, day_of_month)
        except ValueError:
            continue
        if candidate >= today:
            return AskedDays(match[0], (candidate,))
    return AskedDays(match[0], ())


def _parsed_date(text: str, today: date, day_first: bool) -> AskedDays | None:
    base = datetime(today.year, today.month, today.day, 12)
    found = _search(text, base, day_first)
    if not found:
        return None
    phrase, moment = found[0]
    day = _forward(moment.date(), today, phrase)
    return AskedDays(phrase.strip(), (day,)) if day is not None else None


def _forward(day: date, today: date, phrase: str) -> date | None:
    """dateparser may place "24/12" in the past: customers mean the next one. A date that has gone by
    with its year given, or a year nobody asks about ("the 35th" read as 2035), is None."""
    names_year = re.search(r"\b\d{4}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b", phrase)
    if not names_year and day.year > today.year + 1:
        return None
    if day >= today:
        return day
    return None if names_year else next_month_day(today, day.month, day.day)


@lru_cache(maxsize=1)
def _dateparser() -> Any:
    # Imported on first use: it costs about a second of start-up that most processes never need.
    from dateparser.search import search_dates

    return search_dates


def _search(text: str, base: datetime, day_first: bool) -> list[tuple[str, datetime]] | None:
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "DATE_ORDER": "DMY" if day_first else "MDY",
                "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": False}
    results = _dateparser()(text, languages=["en"], settings=settings)
    if not results:
        return None
    return [(phrase, moment) for phrase, moment in results if _names_a_day(phrase)]


def _names_a_day(phrase: str) -> bool:
    """dateparser also reads bare numbers and times ("for 2", "at 3"): keep phrases that name a day."""
    lowered = phrase.lower()
    return bool(_DAY_CUES.search(lowered) or re.search(r"\bin \d+ days?\b", lowered))

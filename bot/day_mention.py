"""Which day a customer asks about: "on saturday", "tomorrow", "christmas day" → a date."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.hours import OpeningHours

_WEEKDAY_WORDS: dict[str, int] = {
    "monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thurs": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}
_WORD = re.compile(r"[a-z']+")


def mentioned_day(text: str, today: date, hours: OpeningHours) -> date | None:
    """The first day the text names, resolved to its next occurrence from `today` (inclusive)."""
    lowered = text.lower()
    for day, (_, note) in sorted(hours.exceptions.items()):
        if note and note.lower() in lowered and day >= today:
            return day
    words = _WORD.findall(lowered)
    if "today" in words or "tonight" in words:
        return today
    if "tomorrow" in words:
        return today + timedelta(days=1)
    for word in words:
        weekday = _WEEKDAY_WORDS.get(word)
        # "sat" and "sun" are also English words: only take the short forms next to "on".
        if weekday is not None and (len(word) > 3 or _after_on(words, word)):
            return today + timedelta(days=(weekday - today.weekday()) % 7)
    return None


def _after_on(words: list[str], word: str) -> bool:
    index = words.index(word)
    return index > 0 and words[index - 1] in {"on", "this", "next"}

"""What a customer's words or button press say about an RSVP. Pure: text in, answer out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from bot.events.model import GOING, MAYBE, NOT_GOING
from storage.events import EventRecord

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "a couple": 2, "both": 2}
_NUMBER = r"(\d{1,2}|" + "|".join(NUMBERS) + r")"
_PARTY = [re.compile(p) for p in (
    rf"\bfor {_NUMBER}\b(?! (?:o'?clock|pm|am|hours?|minutes?))",
    rf"\b{_NUMBER} of us\b",
    rf"\b(?:party|group|table) of {_NUMBER}\b",
    rf"\bwe(?:'re| are) {_NUMBER}\b",
    rf"\b{_NUMBER} (?:people|places|spots|seats|tickets|guests|adults)\b",
)]
CANCEL_PHRASES = ("can't make it", "cannot make it", "cant make it", "can't come", "cannot come", "cant come",
                  "won't make it", "won't be able", "wont be able", "not coming", "no longer coming",
                  "cancel my", "count me out", "can't go", "cant go", "unable to come", "not able to come",
                  "take me off", "remove me")
MAYBE_PHRASES = ("maybe", "might come", "not sure", "possibly", "might make it", "tentative", "will try to",
                 "i'll try to", "hopefully", "probably")
# "can't make the tasting", "won't be coming", "not able to join": a negation shortly before coming.
_NEGATED_ATTENDING = re.compile(
    r"\b(?:can'?t|cannot|can not|won'?t|will not|wont|not|unable to|no longer|not able to|couldn'?t|shan'?t)\b"
    r"(?:\s+[\w']+){0,4}?\s+(?:make|making|come|coming|attend|attending|go|going|join|joining|be there|be able)\b")
_WITHDRAW = re.compile(r"\b(?:cancel|drop out|pull out|withdraw|give my (?:place|spot|ticket))\b")
_EAGER = re.compile(r"\bcan'?t wait\b|\b(?:not|never) (?:going to|gonna) miss\b|\bwouldn'?t miss\b")
# A question about an event rather than an answer to it: "is the tasting still on?", "how much are tickets?".
# Chat spellings count: "whens the tasting on" asks when it is, it says nothing about coming.
_QUESTION_START = re.compile(
    r"^(?:is|are|r|was|were|how|hows|how's|what|whats|what's|wat|wot|when|whens|when's|wen|where|wheres|where's|"
    r"which|who|whos|who's|why|does|do|did|will|would|could|can|has|have|any)\b")
_ASKS_TO_COME = re.compile(
    r"\b(?:can|could|may)\s+(?:i|we)\s+(?:still\s+)?(?:come|join|attend|sign up|register|get|have|book|reserve|grab)\b"
    r"|\bis there (?:still )?(?:room|space|a place|a spot)\b|\bare there (?:any )?(?:places|spots|tickets) left\b")
GUEST_PHRASES = ("bring a friend", "bring friends", "bring someone", "bring a guest", "bring my", "plus one",
                 "plus-one", "+1", "bring a plus", "bring along", "bring the kids", "bring a partner")
# Phrases that make a message an RSVP whatever else it says, once it also names an upcoming event.
CLEAR_RSVP_PHRASES = ("count me in", "put me down", "put us down", "sign me up", "sign us up", "save me a",
                      "save us a", "i'll be there", "we'll be there", "see you there", "count us in")
BUTTONS = ((GOING, "Going", "going"), (MAYBE, "Maybe", "maybe"), (NOT_GOING, "Can't go", "cant"))
_STOP = {"the", "and", "for", "with", "our", "your", "evening", "night", "event", "session", "2026", "2027"}


@dataclass(frozen=True, slots=True)
class SaidRsvp:
    """An RSVP read from words: the answer, a party size when one was given, a question for the owner."""

    status: str
    party_size: int | None = None
    asks_about_guests: bool = False


def read_words(text: str) -> SaidRsvp:
    lowered = _plain(text)
    if any(p in lowered for p in CANCEL_PHRASES) or _WITHDRAW.search(lowered):
        return SaidRsvp(NOT_GOING)
    if not any(p in lowered for p in MAYBE_PHRASES) and _declines(lowered):
        return SaidRsvp(NOT_GOING)
    party = party_size(lowered)
    guests = party is None and any(p in lowered for p in GUEST_PHRASES)
    status = MAYBE if any(p in lowered for p in MAYBE_PHRASES) else GOING
    return SaidRsvp(status, party, guests)


def is_clearly_rsvp(text: str) -> bool:
    lowered = _plain(text)
    return any(p in lowered for p in CLEAR_RSVP_PHRASES + CANCEL_PHRASES + GUEST_PHRASES) or _declines(lowered)


def asks_about_event(text: str) -> bool:
    """A question about an event ("is it still on?", "how much?", "vegan options at the tasting?"), not an
    answer to its invite. Asking to come ("can I still come?") and bringing guests are answers."""
    lowered = _plain(text)
    if _ASKS_TO_COME.search(lowered) or any(p in lowered for p in CLEAR_RSVP_PHRASES + GUEST_PHRASES):
        return False
    if _declines(lowered) or any(p in lowered for p in CANCEL_PHRASES):
        return False
    return "?" in lowered or bool(_QUESTION_START.match(lowered))


def _declines(lowered: str) -> bool:
    """Negated coming ("won't be coming"), but not the eager kind ("can't wait to come", "wouldn't miss it")."""
    return bool(_NEGATED_ATTENDING.search(lowered)) and not _EAGER.search(lowered)


def _plain(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def party_size(lowered: str) -> int | None:
    for pattern in _PARTY:
        found = pattern.search(lowered)
        if found:
            word = found.group(1)
            size = int(word) if word.isdigit() else NUMBERS[word]
            return size if 1 <= size <= 50 else None
    return None


def button_values(event_id: int) -> tuple[tuple[str, str], ...]:
    """(label, value) of each RSVP button for an event."""
    return tuple((label, f"{event_id}:{code}") for _, label, code in BUTTONS)


def read_button(value: str) -> tuple[int, str] | None:
    """"12:going" (or "rsvp:12:going") → (12, "going"); None for a value that is not an RSVP button."""
    parts = value.strip().split(":")
    if len(parts) == 3 and parts[0] == "rsvp":
        parts = parts[1:]
    if len(parts) != 2 or not parts[0].isdigit():
        return None
    status = next((s for s, _, code in BUTTONS if code == parts[1]), None)
    return (int(parts[0]), status) if status else None


def mentioned_events(text: str, events: Sequence[EventRecord]) -> list[EventRecord]:
    """The events whose title words the text names best (empty when it names none)."""
    words = set(re.findall(r"[a-z0-9]+", text.lower()))
    scored = []
    for event in events:
        title_words = {w for w in re.findall(r"[a-z0-9]+", event.title.lower()) if len(w) > 2 and w not in _STOP}
        hits = len(title_words & {_singular(w) for w in words} | title_words & words)
        if hits:
            scored.append((hits, event))
    best = max((hits for hits, _ in scored), default=0)
    return [event for hits, event in scored if hits == best]


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word

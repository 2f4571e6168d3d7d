"""Chat spelling and the words of a message that say when or how it is asked, not what.

"heyyy", "wots ur hours", "9ish", "at the moment", "where's best to park": customers write the way they
speak. These words change nothing a reply must cover, so the "words the examples never use" check
(vocabulary.py) reads them as the plain words they stand for, or not at all.
"""

from __future__ import annotations

import re

from bot.profile.days import CHAT_SPELLINGS

# Chat spellings of plain words (days and times of day are in bot/profile/days.py).
_CHAT_FORMS = {
    "wot": "what", "wots": "whats", "wat": "what", "wats": "whats", "wen": "when", "wer": "where", "whr": "where",
    "nah": "no", "naw": "no", "nope": "no", "yep": "yes", "yup": "yes", "yeh": "yes", "yea": "yes", "ye": "yes",
    "cos": "because", "coz": "because", "cuz": "because", "atm": "now", "rn": "now", "asap": "soon",
    "hw": "how", "cn": "can", "plz": "please", "pls": "please", "thx": "thanks", "ty": "thanks", "hiya": "hi",
    "heya": "hi", "ey": "hey", "oi": "hey", "ppl": "people", "b4": "before", "gr8": "great", "ya": "you",
    "yous": "you", "youse": "you", "luv": "love", "lol": "", "xx": "", "x": "",
}
# Words that say how or how sure the customer asks, never about what: degree, manner and discourse.
DISCOURSE = frozenset(
    """
    exactly directly precisely roughly approximately basically honestly literally definitely probably
    possibly perhaps maybe currently presently moment minute second best better easiest quickest fastest
    simplest nearest closest round around pop popping nip nipping swing head heading grab grabbing share
    send sending quick quickly fine okay alright anyway wondered wondering curious enquire enquiring query
    couple loads lots bunch handful
    way ways worth look looking planned planning
    """.split()
)
# Parts of the day, meals and lengths of time: when a question is asked for, like a day.
TIMES_OF_DAY = frozenset(
    """
    morning mornings afternoon afternoons evening evenings night nights tonight lunchtime noon midday midnight
    teatime morn arvo breakfast brunch lunch lunches dinner supper hour hours minutes while
    """.split()
)
# Occasions a visit or a present is for: like a day, they change only a reply that varies by day.
OCCASIONS = frozenset("birthday birthdays anniversary anniversaries christmas valentines mothers fathers".split())
# Two-word phrases that name a time of day ("after work" is early evening, "half 5" is 5:30).
_TIME_PHRASES = re.compile(r"\b(?:after|before) (?:work|school|college|uni|the school run)\b")
_HALF_PAST = re.compile(r"\bhalf (?=\d)")
# A letter written three or more times over is chat emphasis: "heyyy", "sooo", "pleaseee" (not a link's "www.").
_ELONGATED = re.compile(r"([a-z])\1{2,}(?![.\w])")
# "9ish", "half 5ish": about that time.
_ABOUT_A_TIME = re.compile(r"(\d)ish\b")


def plain_text(text: str) -> str:
    """The message in plain spelling: lower case, emphasis and "-ish" off, time phrases as times of day."""
    lowered = _ELONGATED.sub(r"\1", text.lower())
    lowered = _ABOUT_A_TIME.sub(r"\1", lowered)
    lowered = _HALF_PAST.sub("", lowered)
    return _TIME_PHRASES.sub(" evening ", lowered)


# Chat spellings the classifier reads as the plain words its examples use ("wat time r u open tmrw").
_FOR_THE_CLASSIFIER = {**{k: v for k, v in _CHAT_FORMS.items() if v}, **CHAT_SPELLINGS,
                       "u": "you", "r": "are", "ur": "your", "n": "and", "tho": "though", "thru": "through"}
_CHAT_WORD = re.compile(r"(?<![\w'])(" + "|".join(sorted(map(re.escape, _FOR_THE_CLASSIFIER), key=len, reverse=True))
                        + r")(?![\w'])", re.IGNORECASE)


def plain_message(text: str) -> str:
    """The message with chat spellings written out and emphasis off, punctuation kept, for the classifier:
    "wat time r u open tmrw" reads as "what time are you open tomorrow"."""
    text = _ELONGATED.sub(r"\1", _ABOUT_A_TIME.sub(r"\1", text))
    return _CHAT_WORD.sub(lambda match: _FOR_THE_CLASSIFIER[match.group(1).lower()], text)


def plain_word(word: str) -> str:
    """A chat spelling's plain word ("wots" → "whats", "2nite" → "tonight"), or the word itself."""
    return _CHAT_FORMS.get(word, CHAT_SPELLINGS.get(word, word))

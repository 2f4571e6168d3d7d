"""The words each intent's examples use. A message that names something none of them mention ("visa
sponsorship" for jobs, "service dog" for dogs, "LS6" for takeaway) asks about a thing the reply does not
cover, so its draft waits for the owner instead of going out alone."""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from importlib import resources

import snowballstemmer

from bot.messages import LabelledExample
from bot.profile.model import BusinessProfile
from bot.understanding.chat_words import DISCOURSE, OCCASIONS, TIMES_OF_DAY, plain_text, plain_word
from bot.understanding.static_vectors import load_table
from bot.understanding.word_neighbours import WordNeighbours

# Words that name no thing: chat fillers, politeness, and the days and times every question may carry.
_FILLERS = frozenset(
    """
    pls plz please ta thx thanks cheers hi hey hello hiya yo ok okay sure lol guys mate folks team just ppl btw tho
    really actually quick question wondering wonder know like love wanna gonna gotta got get getting need
    want able possible tell let ask asking hoping hope help use wat whats im ive id youre dont cant wont
    isnt arent doesnt didnt u ur r ya yeah yes sort kind thing things anything something stuff bit lot
    right chance free available far near nearby place new usual usually hold drop stay visit come
    mum mums mom dad sister brother friend friends family partner wife husband son daughter kids people
    today tomorrow tonight yesterday morning afternoon evening night weekend weekday week month year day
    lunchtime noon midday midnight teatime morn arvo
    days time times now soon later early late earlier am pm o clock
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    """.split()
)
# Words that name a day. An intent whose examples never name one gives the same reply every day, so
# "is parking free on sundays" asks what its reply does not say.
_DAY_WORDS = frozenset(
    """
    today tomorrow tonight weekend weekends weekday weekdays
    monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays fridays
    saturdays sundays
    """.split()
) | OCCASIONS
# An intent knows times of day when its examples or facts name one ("after 6pm", "for sunday lunch").
_TIME_WORDS = TIMES_OF_DAY | {"tonight", "today"}
_CLOCK_TIME = re.compile(r"\d+(?:am|pm)|\d+:\d+")
# A day or time named after "for" is what the visit is for or how long, not when the reply's answer
# changes: "gift vouchers for christmas", "a laptop for a few hours".
_PURPOSE_REACH = 3
# A word the examples of this many intents use names the business ("cafe", "coffee"), not one intent's topic.
GENERAL_AMONG = 3
# Replies that answer any wording of their question: a greeting, thanks, an RSVP (read by its own step),
# and the menu, whose link lists every dish and price however the customer names them.
OPEN_ENDED_INTENTS = frozenset({"greeting", "thanks", "rsvp", "menu"})
_TOKEN = re.compile(r"[a-z0-9]+")
_LETTERS = re.compile(r"[A-Za-z]{4,}")
_HAS_DIGIT = re.compile(r"\d")
_NUMBER_OR_TIME = re.compile(r"\d+(?:st|nd|rd|th|am|pm|h)?")
# A typo one or two letters off a known word ("resevation") is still that word.
_TYPO_CUTOFF = 0.84
_TYPO_MIN_LENGTH = 5
# Two neighbouring letters typed the wrong way round ("tkae", "bokoing") from this length.
_SWAP_MIN_LENGTH = 4
_STEMMER = snowballstemmer.stemmer("english")
_DAY_STEMS = frozenset(str(_STEMMER.stemWord(w)) for w in _DAY_WORDS)
_TIME_STEMS = frozenset(str(_STEMMER.stemWord(w)) for w in _TIME_WORDS)


@functools.lru_cache(maxsize=8192)
def word_stem(word: str) -> str:
    """Snowball's English stem, so "chairs", "booking" and "booked" meet "chair" and "book"."""
    return str(_STEMMER.stemWord(word))


def _words(text: str) -> list[str]:
    """The words of `text` in plain spelling ("heyyy" → "hey", "wots" → "whats", "9ish" → "9")."""
    found = _TOKEN.findall(plain_text(text).replace("'", "").replace("\u2019", ""))
    return [plain for word in found if (plain := plain_word(word))]


@functools.cache
def stop_words() -> frozenset[str]:
    """English function words ("the", "would", "about"), from the package's data folder."""
    text = resources.files("bot.understanding").joinpath("data", "stop_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@functools.cache
def _plain_stems() -> frozenset[str]:
    plain = stop_words() | _FILLERS | DISCOURSE
    return frozenset(plain | {word_stem(w) for w in plain})


def _is_content(word: str) -> bool:
    return len(word) >= 3 and word not in _plain_stems() and word_stem(word) not in _plain_stems()


def content_words(text: str) -> list[str]:
    """The words of `text` that name a thing, not chat, politeness or grammar ("can she come in?": none)."""
    return [word for word in _words(text) if _is_content(word)]


def _about_business(profile: BusinessProfile) -> list[str]:
    """The business's own name, address and owner: "where's the corner bean" or "thanks sam" names the
    business, not a thing."""
    business = profile.business
    return [business.name, business.address or "", profile.owner.name, "cafe coffee shop place"]


def profile_words(profile: BusinessProfile, intents: Iterable[str]) -> dict[str, list[str]]:
    """Per intent, what the profile says its reply answers beyond its examples: its keywords and facts
    ("Apple Pay", "Deliveroo"), the business itself, the closures the hours reply names ("Boxing Day") and
    the events the events reply names ("the winter tasting")."""
    specs = profile.active_intents()
    facts = {k: v for k, v in profile.facts.model_dump().items() if isinstance(v, str)}
    words: dict[str, list[str]] = {}
    for name in intents:
        spec = specs.get(name)
        keywords = [k.removeprefix("re:") for k in spec.keywords] if spec else []
        own_facts = [v for k, v in facts.items() if k == name or (name == "takeaway" and k == "delivery")]
        words[name] = [*keywords, *own_facts, name.replace("_", " "), *_about_business(profile)]
    if "events" in words:
        words["events"] += [f"{e.title} {e.description} {e.place or ''}" for e in profile.events]
    if "hours" in words:
        words["hours"] += [e.note for e in profile.hours.exceptions if e.note]
    return words


@dataclass(frozen=True, slots=True)
class IntentVocabulary:
    """Per intent, the stems its examples, keywords and facts use, and (when given) their neighbours in
    meaning: a word close to one of the intent's words is no new thing ("closest" for "nearest")."""

    stems: Mapping[str, frozenset[str]]
    neighbours: WordNeighbours | None = None
    # Every intent's stems together, for respelling a message before it is read.
    every: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    # What `_knows` and `_used_by` found, by their arguments: customers use the same words again and again,
    # and a typo check against an intent's words costs a string comparison with each of them.
    _known: dict[tuple[str, str], bool] = field(default_factory=dict, compare=False, repr=False)
    _use: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.every:
            object.__setattr__(self, "every", frozenset().union(*self.stems.values()))

    @classmethod
    def build(cls, texts: Mapping[str, Iterable[str]], by_meaning: bool = True) -> "IntentVocabulary":
        """`by_meaning`: also know the words close in meaning to the examples' (see word_neighbours.py)."""
        words = {name: [_words(t) for t in ts] for name, ts in texts.items()}
        # "car park" in an example is "carpark" in a message: adjacent words joined are known as one word.
        stems = {name: frozenset(word_stem(w) for ws in lists for w in ws)
                 | frozenset(a + b for ws in lists for a, b in itertools.pairwise(ws)) for name, lists in words.items()}
        if not by_meaning:
            return cls(stems)
        content = {name: [w for ws in lists for w in ws if _is_content(w)] for name, lists in words.items()}
        return cls(stems, WordNeighbours.of(content))

    @classmethod
    def from_profile(cls, profile: BusinessProfile, intents: Iterable[str],
                     learned: Iterable[LabelledExample] = ()) -> "IntentVocabulary":
        """`learned`: the examples the owner confirmed, which the intent now answers as well."""
        specs = profile.active_intents()
        named = [name for name in intents if name in specs and name not in OPEN_ENDED_INTENTS]
        extra = profile_words(profile, named)
        texts = {name: [*specs[name].examples, *extra[name]] for name in named}
        for example in learned:
            if example.intent in texts:
                texts[example.intent].append(example.text)
        return cls.build(texts)

    def with_words(self, extra: Mapping[str, Iterable[str]]) -> "IntentVocabulary":
        """This vocabulary, its intents also knowing the words of `extra`'s texts (neighbours unchanged)."""
        added = IntentVocabulary.build({name: list(texts) for name, texts in extra.items() if name in self.stems},
                                       by_meaning=False).stems
        return IntentVocabulary({name: stems | added.get(name, frozenset()) for name, stems in self.stems.items()},
                                self.neighbours)

    def unfamiliar(self, intent: str, text: str) -> list[str]:
        """The content words of `text` that none of `intent`'s examples use (empty for unknown intents)."""
        known = self.stems.get(intent)
        if known is None:
            return []
        found = []
        dated = not known.isdisjoint(_DAY_STEMS)
        timed = dated or not known.isdisjoint(_TIME_STEMS) or any(_CLOCK_TIME.fullmatch(s) for s in known)
        words = _words(text)
        for index, word in enumerate(words):
            if word in found:
                continue
            if word in _DAY_WORDS or word in _TIME_WORDS:
                if not _for_purpose(words, index) and not (dated if word in _DAY_WORDS else timed):
                    found.append(word)
                continue
            if _NUMBER_OR_TIME.fullmatch(word) or not _is_content(word) or self._knows(intent, known, word):
                continue
            found.append(word)
        return found

    def names_unknown(self, intent: str, text: str) -> bool:
        """Whether `text` names a content word none of `intent`'s examples use, other than one many intents
        use ("cafe", "coffee" name the business): "book me a room at a hotel" names "hotel", which booking
        never does, while "what's ur postcode" names only what location knows."""
        known = self.stems.get(intent, frozenset())
        # When it is asked for ("on the 14th", "for my birthday", "saturday") is no thing of its own.
        unknown = {stem for word in content_words(text) if (stem := word_stem(word)) not in known
                   and not _NUMBER_OR_TIME.fullmatch(word) and word not in _DAY_WORDS and word not in _TIME_WORDS}
        return any(self._used_by(stem) < GENERAL_AMONG for stem in unknown)

    def respelled(self, text: str) -> str:
        """`text` with each word no intent uses, but which one with two neighbouring letters swapped is, written
        that way: "hw much is the parikng" is read as asking about parking, not as a price on the menu."""
        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            lowered = word.lower()
            if word_stem(lowered) in self.every:
                return word
            return next((swapped for swapped in _swapped_letters(lowered) if word_stem(swapped) in self.every), word)
        return _LETTERS.sub(fix, text)

    def names_any(self, intent: str, text: str) -> bool:
        """Whether `text` names a thing `intent`'s examples name ("tasting" for the RSVP; not "briggate")."""
        known = self.stems.get(intent, frozenset())
        return any(word_stem(word) in known for word in content_words(text))

    def vouches(self, intent: str, text: str) -> bool:
        """Whether the words of `text` speak for `intent` on their own: it names at least one thing, every
        thing it names is one the intent's examples name, and one of them is the intent's own (fewer than
        GENERAL_AMONG intents use it). "any parking near yours" names only parking's "parking"; "book me a
        room at a hotel" names "hotel", and "anything at the cafe" only the business, so neither does."""
        known = self.stems.get(intent)
        words = content_words(text)
        if known is None or not words or self.unfamiliar(intent, text):
            return False
        return any((stem := word_stem(word)) in known and self._used_by(stem) < GENERAL_AMONG for word in words)

    def _used_by(self, stem: str) -> int:
        found = self._use.get(stem)
        if found is None:
            found = self._use[stem] = sum(stem in stems for stems in self.stems.values())
            _bounded(self._use)
        return found

    def _knows(self, intent: str, known: frozenset[str], word: str) -> bool:
        """Whether `intent`'s examples use `word`, a typo of one of their words, or (by meaning) a neighbour."""
        key = (intent, word)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = self._knows_now(intent, known, word)
            _bounded(self._known)
        return found

    def _knows_now(self, intent: str, known: frozenset[str], word: str) -> bool:
        stem = word_stem(word)
        if stem in known or word in known:
            return True
        if len(stem) >= _TYPO_MIN_LENGTH and difflib.get_close_matches(stem, known, n=1, cutoff=_TYPO_CUTOFF):
            return True
        if any(word_stem(swapped) in known for swapped in _swapped_letters(word)):
            return True
        # A code with digits ("LS6", "A4") names one thing exactly: only its own spelling is known.
        return self.neighbours is not None and not _HAS_DIGIT.search(word) and self.neighbours.knows(intent, word)


# Distinct words (or intent and word pairs) remembered; past this the memory starts again.
_REMEMBERED = 50_000


def _bounded(memo: dict) -> None:  # type: ignore[type-arg]
    if len(memo) > _REMEMBERED:
        memo.clear()


def _swapped_letters(word: str) -> list[str]:
    """The word with two neighbouring letters swapped, if it may be a slip: "tkae" is "take" typed fast,
    while "form", a word of its own in the vector table, is not "from". Words of three letters are too
    short to tell a slip from another word."""
    if len(word) < _SWAP_MIN_LENGTH or _is_a_word(word):
        return []
    return [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1) if word[i] != word[i + 1]]


@functools.lru_cache(maxsize=8192)
def _is_a_word(word: str) -> bool:
    """Whether the static vector table knows `word` whole (one piece), as it knows every common word."""
    return len(load_table().wordpiece.ids(word)) == 1


def _for_purpose(words: list[str], index: int) -> bool:
    """Whether the day or time at `index` follows a "for" closely ("for a few hours", "for sunday lunch")."""
    return "for" in words[max(0, index - _PURPOSE_REACH):index]

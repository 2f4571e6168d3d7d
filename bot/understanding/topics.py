"""Which intent a message's words belong to, for the replies that answer any wording of their question.

The menu's link answers "do you do scones" however the dish is named, so the "words the examples never
use" check leaves it alone. But "how much does the tasting cost" names the events' tasting, which the menu
does not list: a word that only one or two other intents' examples use is their topic, and the menu's
reply may not answer it. A word many intents use ("coffee", "cafe") names the business, not a topic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.profile.model import BusinessProfile
from bot.understanding.vocabulary import GENERAL_AMONG, IntentVocabulary, content_words, word_stem

# The replies that list what the business sells, whatever the customer calls it.
LISTING_INTENTS = frozenset({"menu"})
# Intents whose examples tell how a visit went or who should answer ("my coffee was cold", "a real
# person"): their words are no topic of their own, so "do you sell cold drinks" is still the menu's.
_NO_TOPIC = frozenset({"complaint", "refund", "human", "spam"})


@dataclass(frozen=True, slots=True)
class IntentTopics:
    """Per intent (every active one, held or not), the stems of its examples and keywords."""

    stems: Mapping[str, frozenset[str]]

    @classmethod
    def from_profile(cls, profile: BusinessProfile) -> IntentTopics:
        # The business's own name and address belong to every intent ("do you do the corner bean blend").
        business = [profile.business.name, profile.business.address or ""]
        texts: dict[str, Iterable[str]] = {
            name: [*spec.examples, *(k.removeprefix("re:") for k in spec.keywords), *business]
            for name, spec in profile.active_intents().items() if name not in _NO_TOPIC}
        return cls(IntentVocabulary.build(texts, by_meaning=False).stems)

    def foreign(self, intent: str, text: str) -> dict[str, tuple[str, ...]]:
        """The words of `text` that `intent`'s examples never use and one or two other intents' do, each
        with those intents ("tasting": events, rsvp)."""
        known = self.stems.get(intent)
        if known is None:
            return {}
        found: dict[str, tuple[str, ...]] = {}
        for word in content_words(text):
            stem = word_stem(word)
            if stem in known:
                continue
            owners = tuple(name for name, stems in self.stems.items() if name != intent and stem in stems)
            if 0 < len(owners) < GENERAL_AMONG:
                found[word] = owners
        return found

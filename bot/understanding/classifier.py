"""The trained classifier: keyword rules first, then the calibrated model and the owner's
out-of-scope examples."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from bot.messages import Intent
from bot.understanding.base import OUT_OF_SCOPE_BELOW, PLEASANTRIES, rank_to_confidence
from bot.understanding.chat_words import plain_message
from bot.understanding.features import Featurizer, Matrix, similarities
from bot.understanding.keywords import KeywordRule, match_rules
from bot.understanding.model import NOT_ANSWERED, CalibratedModel, Scored
from bot.understanding.vocabulary import OPEN_ENDED_INTENTS, IntentVocabulary, content_words


# Where one question ends and another may begin: "?", ";", "!", " and ", " also ", or a comma before a
# question word ("where are you, do you have parking").
_CLAUSE_BREAK = re.compile(
    r"[?;!]+\s*|\s+(?:and|also|plus|&)\s+|,\s*(?=(?:can|could|do|does|is|are|will|would|what|whats|what's|where|"
    r"when|how|have|has|any)\b)", re.IGNORECASE)
MIN_CLAUSE_WORDS = 3
# A keyword rule's confidence when the model reads the message as another intent: in scope, but below any
# auto-send threshold an owner would choose.
KEYWORD_IN_DOUBT = OUT_OF_SCOPE_BELOW
# The lowest confidence (half the gate's rank) at which a message whose words all belong to its intent
# is still read as that intent rather than out of scope.
VOUCHED_FLOOR = OUT_OF_SCOPE_BELOW / 2


# Words that make a part a question of its own even when it names nothing ("where are you", "how much is it").
_QUESTION_WORDS = frozenset({"where", "wheres", "when", "whens", "what", "whats", "how", "hows", "which", "who",
                             "whos", "why", "wat", "wot", "wen"})

# Words a question opens with, in plain spelling: a part opening otherwise tells ("we're coming over").
_QUESTION_OPENERS = _QUESTION_WORDS | frozenset(
    "can could do does did is are was were will would should shall may might have has had any anything anyone "
    "got please tell send show book give let".split())


def asks_of_its_own(part: str) -> bool:
    """Whether a part of a message could be a question of its own: it names a thing, or asks where, when,
    what or how. A yes-or-no follow-on naming nothing ("my dog is well behaved, can she come in?", "we
    booked for 4, is that ok?") asks nothing the rest of the message does not."""
    words = part.lower().replace("'", "").replace("\u2019", "").split()
    return bool(content_words(part)) or any(word.strip(",.?!") in _QUESTION_WORDS for word in words)


def only_tells(part: str) -> bool:
    """Whether a part is said rather than asked: it opens with no question word or verb ("need to do some
    work", "I'm on briggate", "heading into town on friday evening")."""
    words = part.lower().replace("\u2019", "'").split()
    # "what's" opens a question, "we're" does not: a contraction counts by its first word.
    return not words or words[0].strip(",.?!").split("'")[0] not in _QUESTION_OPENERS


def clauses(text: str) -> list[str]:
    """The parts of a message that could each be a question of their own (three words or more)."""
    parts = [part.strip(" ,.") for part in _CLAUSE_BREAK.split(text)]
    return [part for part in parts if len(part.split()) >= MIN_CLAUSE_WORDS]


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """Everything training produces; this is what the disk cache stores."""

    featurizer: Featurizer
    model: CalibratedModel | None
    out_of_scope_rows: Matrix | None
    backend: str
    # How many of `out_of_scope_rows` are the owner's own: they come first and always reject.
    owner_rejects: int = 0


@dataclass(frozen=True)
class IntentClassifier:
    """Classifies one message at a time, as the router calls it.

    `gate` is the held-out rank below which a message is out of scope (see base.py);
    `from_cache` says whether the model was loaded from disk rather than trained; `vocabulary`, the
    intents' example words, tells a near miss from a question only framed like one.
    """

    trained: TrainedModel
    rules: tuple[KeywordRule, ...]
    gate: float
    from_cache: bool = False
    vocabulary: IntentVocabulary | None = None

    @property
    def backend(self) -> str:
        return self.trained.backend

    def with_gate(self, gate: float) -> IntentClassifier:
        return replace(self, gate=gate)

    def classify(self, text: str) -> Intent:
        """The message's intent; `also` names what else it asks, so the reply is not sent as if it answered all."""
        text = plain_message(text)
        if self.vocabulary is not None:
            text = self.vocabulary.respelled(text)
        intent = self._classify_one(text)
        parts = clauses(text) if intent.name is not None else []
        # Two questions, or a greeting with something else in it ("hello? you said you'd ring me back").
        alone = len(parts) == 1 and (intent.name not in PLEASANTRIES or parts[0] == text.strip(" ,.?!"))
        if not parts or alone:
            return intent
        # Only each part's label matters here, so the nearest-example checks are skipped (they cost most).
        asking = [part for part in parts if asks_of_its_own(part)]
        others = [self._classify_one(part, thorough=False).name for part in asking]
        if intent.name not in OPEN_ENDED_INTENTS:
            # A part that only tells and names nothing of the intent it was read as ("heading into town on
            # friday, are you open till 8?", "I'm new to leeds, where are you?") is the customer's own context.
            # What it names is still weighed: the policy holds a reply whose intent never names "town", so
            # only replies with examples to check it against skip it.
            kept = [(part, name) for part, name in zip(asking, others) if not self._context(part, name)]
            asking, others = [part for part, _ in kept], [name for _, name in kept]
        also = tuple(dict.fromkeys(name for name in others if name != intent.name and name not in PLEASANTRIES))
        if also:
            return replace(intent, also=also)
        return self._surer_of_the_question(intent, asking) if len(asking) == 1 < len(parts) else intent

    def _context(self, part: str, read_as: str | None) -> bool:
        """Whether a part only tells and its reading rests on its frame alone, no word of it its intent's."""
        if not only_tells(part):
            return False
        if read_as is None or self.vocabulary is None:
            return read_as is None
        return not self.vocabulary.names_any(read_as, part)

    def _surer_of_the_question(self, intent: Intent, asking: list[str]) -> Intent:
        """When one part asks and the rest only tells ("where are you? we want to come over"), the question
        is read as surely as it would be alone: the telling part names nothing to doubt it by."""
        question = self._classify_one(asking[0])
        if question.name != intent.name or question.confidence <= intent.confidence:
            return intent
        return replace(intent, confidence=question.confidence)

    def _classify_one(self, text: str, thorough: bool = True) -> Intent:
        ruled = match_rules(list(self.rules), text)
        # Against a keyword only the model's label counts, which the nearest-example check never changes.
        scored = self.score(text, nearest=thorough and ruled is None)
        if ruled is not None:
            # A keyword names the topic, not the request: "cancel my reservation" has the booking keyword,
            # but it is one of booking's near misses, which its reply does not answer.
            if scored is not None and scored.label == NOT_ANSWERED:
                return Intent(None, 0.0, "none")
            if scored is not None and scored.label != ruled:
                # The words match one intent and the meaning another: in doubt, the owner looks first.
                return Intent(ruled, KEYWORD_IN_DOUBT, "keyword")
            return Intent(ruled, 1.0, "keyword")
        if scored is None:
            return Intent(None, 0.0, "none")
        return self.intent_for(scored, text)

    def intent_for(self, scored: Scored, text: str = "") -> Intent:
        if scored.label == NOT_ANSWERED:
            return Intent(None, 0.0, "none")  # closest to what the business does not answer
        confidence = rank_to_confidence(scored.rank, self.gate)
        if confidence < OUT_OF_SCOPE_BELOW:
            vocabulary = self.vocabulary
            if confidence >= VOUCHED_FLOOR and vocabulary is not None and vocabulary.vouches(scored.label, text):
                # Under the gate, but every thing the message names is the intent's own: in scope, just.
                return Intent(scored.label, OUT_OF_SCOPE_BELOW, "model")
            return Intent(None, confidence, "none")
        return Intent(scored.label, confidence, "model")

    def score(self, text: str, nearest: bool = True) -> Scored | None:
        """The model's best intent and held-out rank, after the owner's out-of-scope examples (`nearest`
        False: the linear model's label and rank alone)."""
        if self.trained.model is None or not text.strip():
            return None
        row = self.trained.featurizer.transform([text])
        if getattr(row, "nnz", 1) == 0:
            return None  # not one word or character sequence the examples know
        with_rejects = nearest and self.trained.out_of_scope_rows is not None
        scored = self.trained.model.score_rows(row, with_rejects)[0]
        return self._after_owner_out_of_scope(row, scored, text) if with_rejects else scored

    def _after_owner_out_of_scope(self, row: Matrix, scored: Scored, text: str) -> Scored:
        """A message closer to an example the owner called out of scope than to its intent is out. Closer
        to a near miss, it is out only when it also names a thing its intent's examples never do: one that
        shares just a question's frame with a near miss ("what's ur postcode" and "do you deliver to my
        postcode", "anything on at the cafe this month" and "how much is it to hire the cafe") is no near miss."""
        oos = self.trained.out_of_scope_rows
        if oos is None:
            return scored
        nearer = np.flatnonzero(similarities(row, oos)[0] > scored.similarity)
        if len(nearer) == 0 or not self._near_a_miss(scored.label, text, nearer):
            return scored
        return replace(scored, rank=0.0)

    def _near_a_miss(self, label: str, text: str, nearer: np.ndarray) -> bool:
        vocabulary = self.vocabulary
        if vocabulary is None or int(nearer.min()) < self.trained.owner_rejects:
            return True
        return vocabulary.names_unknown(label, text)

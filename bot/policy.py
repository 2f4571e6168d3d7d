"""Policy: what the bot may do alone. Pure: data in, decision out, every decision with its reasons."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.messages import Action, ConversationState, Decision, Intent, LabelledExample
from bot.profile.model import BusinessProfile
from bot.understanding.topics import LISTING_INTENTS, IntentTopics
from bot.understanding.vocabulary import IntentVocabulary

RISK_WORDS: tuple[str, ...] = (
    "refund", "chargeback", "money back", "lawyer", "solicitor", "sue", "legal action", "court",
    "trading standards", "allergy", "allergic", "anaphylaxis", "epipen", "food poisoning", "poisoned",
    "sick", "vomit", "hospital", "injured", "injury", "police", "discrimination", "harassment",
    "complaint", "complain", "complaining",
)
# Strong words count twice; a message scoring NEGATIVE_TONE_SCORE or more "sounds upset" and goes to the
# owner; any lower score above nothing "may be unhappy" and waits for approval, whatever intent it matched.
STRONG_NEGATIVE: tuple[str, ...] = (
    "furious", "disgusting", "disgusted", "worst", "unacceptable", "appalling", "scam", "never again",
    "outraged", "horrendous", "pathetic", "shocking",
)
MILD_NEGATIVE: tuple[str, ...] = (
    "terrible", "awful", "horrible", "angry", "rude", "ridiculous", "disappointed", "useless", "annoyed",
    "fed up", "unhappy", "waste", "joke", "rubbish",
    # Thanks that are not thanks: the thanks reply to these would read as mockery.
    "for nothing", "unhelpful", "not helpful", "no help", "didn't help", "didn't answer", "doesn't answer",
    "not what i asked",
)
NEGATIVE_TONE_SCORE = 2
# Silence is the one decision nobody reviews, so the model must be surer of it than of an answer.
SILENT_CONFIDENCE = 0.8
# How far under the threshold an answer may be when its words speak for its intent (see _threshold_for).
VOUCHED_LEEWAY = 0.1
_LINK = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|net|org|io|ly|co|uk|me|info|biz|xyz)\b", re.IGNORECASE)
_SHOUTED_WORD = re.compile(r"\b[A-Z]{3,}\b")
_MENTION = re.compile(r"(?<!\w)@\w")


@dataclass(frozen=True, slots=True)
class Signals:
    """What the router knows about a message beyond its text."""

    conversation_state: str = ConversationState.BOT
    vip: bool = False
    has_attachment: bool = False
    repeats: int = 0
    sender_name: str = ""


@dataclass(frozen=True, slots=True)
class Rules:
    threshold: float
    long_message_chars: int
    repeats_before_escalation: int
    auto_send_intents: frozenset[str]
    silent_intents: frozenset[str]
    escalate_intents: frozenset[str]
    risk_words: tuple[str, ...] = RISK_WORDS
    negative_words: tuple[str, ...] = MILD_NEGATIVE
    vocabulary: IntentVocabulary = IntentVocabulary({})
    topics: IntentTopics = IntentTopics({})

    @classmethod
    def from_profile(cls, profile: BusinessProfile, learned: Iterable[LabelledExample] = ()) -> "Rules":
        """`learned`: the owner's confirmed examples, whose words their intents now answer."""
        intents = profile.active_intents()
        policy = profile.policy
        return cls(
            threshold=policy.auto_send_threshold,
            long_message_chars=policy.long_message_chars,
            repeats_before_escalation=policy.repeats_before_escalation,
            auto_send_intents=frozenset(n for n, i in intents.items() if i.auto_send),
            silent_intents=frozenset(n for n, i in intents.items() if i.silent),
            escalate_intents=frozenset(policy.escalate_intents),
            risk_words=RISK_WORDS + tuple(w.lower() for w in policy.risk_words),
            negative_words=MILD_NEGATIVE + tuple(w.lower() for w in policy.negative_words),
            vocabulary=IntentVocabulary.from_profile(profile, (n for n, i in intents.items() if i.auto_send), learned),
            topics=IntentTopics.from_profile(profile),
        )


def decide(text: str, intent: Intent, signals: Signals, rules: Rules) -> Decision:
    """The same policy for every message, whatever produced its intent (model, keyword rule or a feature's step)."""
    if signals.conversation_state == ConversationState.HUMAN:
        return Decision(Action.ESCALATE, ("a person has taken over this conversation",))
    escalations = _escalation_reasons(text, intent, signals, rules)
    if intent.name in rules.silent_intents and intent.confidence >= max(rules.threshold, SILENT_CONFIDENCE):
        # Spam words never silence a serious message: "food poisoning ... click here" still reaches the owner.
        if not escalations:
            return Decision(Action.SILENT, (f"looks like {intent.name}",))
        return Decision(Action.ESCALATE, (f"looks like {intent.name}, but it may be serious", *escalations))
    holds = _hold_reasons(text, intent, signals, rules)
    if escalations:
        return Decision(Action.ESCALATE, tuple(escalations + holds))
    if holds:
        return Decision(Action.APPROVE, tuple(holds))
    return Decision(Action.AUTO, (f"{intent.name} at confidence {intent.confidence:.2f}",))


def _escalation_reasons(text: str, intent: Intent, signals: Signals, rules: Rules) -> list[str]:
    """Reasons the owner must answer personally."""
    reasons = []
    if intent.out_of_scope:
        reasons.append("out of scope: not something the bot knows how to answer")
    elif intent.name in rules.escalate_intents:
        reasons.append(f"{intent.name} messages always go to the owner")
    words = risk_words_in(text, rules.risk_words)
    if words:
        reasons.append("mentions " + ", ".join(f'"{w}"' for w in words))
    if negative_tone(text, rules.negative_words) >= NEGATIVE_TONE_SCORE:
        reasons.append("sounds upset")
    if signals.repeats and signals.repeats + 1 >= rules.repeats_before_escalation:
        reasons.append(f"sent the same message {signals.repeats + 1} times")
    return reasons


def _hold_reasons(text: str, intent: Intent, signals: Signals, rules: Rules) -> list[str]:
    """Reasons a draft needs the owner's approval before it goes out."""
    reasons = []
    if intent.name is not None and intent.name not in rules.auto_send_intents | rules.escalate_intents:
        reasons.append(f"{intent.name} replies need approval")
    if not intent.out_of_scope and intent.confidence < rules.threshold and \
            intent.confidence < _threshold_for(text, intent, rules):
        reasons.append(f"low confidence ({intent.confidence:.2f} < {rules.threshold:.2f})")
    if intent.also:
        asked = ", ".join(name or "something no reply covers" for name in intent.also)
        reasons.append(f"also asks about {asked}: the {intent.name} reply does not answer that")
    if intent.name is not None and not intent.also:
        # When in doubt, the owner: a thing the intent's examples never name is a question its reply may not answer.
        unfamiliar = rules.vocabulary.unfamiliar(intent.name, text)
        if unfamiliar:
            named = ", ".join(f'"{w}"' for w in unfamiliar)
            reasons.append(f"names {named}, which no {intent.name} example mentions: the reply may not answer it")
    if intent.name in LISTING_INTENTS and not intent.also:
        # Any dish is on the menu, but not another intent's topic ("how much does the tasting cost").
        for word, owners in rules.topics.foreign(intent.name, text).items():
            reasons.append(f'names "{word}", which {" and ".join(owners)} examples name, not {intent.name}: '
                           "the reply may not answer it")
    tone = negative_tone(text, rules.negative_words)
    if 0 < tone < NEGATIVE_TONE_SCORE:
        reasons.append("may be unhappy")
    if signals.vip:
        reasons.append("VIP contact")
    if _LINK.search(text):
        reasons.append("contains a link")
    if _LINK.search(signals.sender_name):
        reasons.append("the sender's name contains a link")
    if _MENTION.search(signals.sender_name):
        reasons.append("the sender's name contains a mention")
    if signals.has_attachment:
        reasons.append("has an attachment")
    if len(text) > rules.long_message_chars:
        reasons.append(f"much longer than usual ({len(text)} characters)")
    return reasons


def _threshold_for(text: str, intent: Intent, rules: Rules) -> float:
    """The confidence an answer needs: the owner's threshold, or up to VOUCHED_LEEWAY less when every thing
    the message names is one the intent's own examples name (the words agree with the model)."""
    if intent.name is not None and not intent.also and rules.vocabulary.vouches(intent.name, text):
        return rules.threshold - VOUCHED_LEEWAY
    return rules.threshold


def risk_words_in(text: str, words: tuple[str, ...]) -> list[str]:
    """The listed words or phrases that occur in the text as whole words, in list order."""
    found = set(_word_pattern(words).findall(text.lower()))
    return [w for w in dict.fromkeys(words) if w in found]


@functools.lru_cache(maxsize=32)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # One alternation per word list, longest first so "money back" wins over "back".
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def negative_tone(text: str, mild_words: tuple[str, ...]) -> int:
    """A small lexicon score: strong words 2, mild words 1, and shouting and '!!' 1 each on a message that
    already has one of those words. "thanks so much!!" is delight: emphasis only makes anger louder."""
    lowered = text.lower()
    score = 2 * len(risk_words_in(lowered, STRONG_NEGATIVE)) + len(risk_words_in(lowered, mild_words))
    if score == 0:
        return 0
    if len(_SHOUTED_WORD.findall(text)) >= 3:
        score += 1
    if "!!" in text:
        score += 1
    return score

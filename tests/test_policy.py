"""Policy is pure: these tests need no database and no fixtures."""

import pytest

from bot.messages import Action, Intent
from bot.policy import Rules, Signals, decide, negative_tone

RULES = Rules(
    threshold=0.6, long_message_chars=500, repeats_before_escalation=2,
    auto_send_intents=frozenset({"hours", "greeting"}), silent_intents=frozenset({"spam"}),
    escalate_intents=frozenset({"complaint", "refund", "human"}),
)
HOURS = Intent("hours", 0.9)


def test_a_confident_routine_question_is_answered_alone() -> None:
    decision = decide("what time do you open?", HOURS, Signals(), RULES)
    assert decision.action is Action.AUTO


def test_low_confidence_question_goes_to_owner_for_approval() -> None:
    decision = decide("open?", Intent("hours", 0.41), Signals(), RULES)
    assert decision.action is Action.APPROVE
    assert decision.reasons == ("low confidence (0.41 < 0.60)",)


def test_out_of_scope_is_escalated() -> None:
    decision = decide("can you fix my bike", Intent(None, 0.1, "none"), Signals(), RULES)
    assert decision.action is Action.ESCALATE
    assert decision.reasons[0].startswith("out of scope")


@pytest.mark.parametrize("text, word", [
    ("are you open? I have a nut allergy", "allergy"),
    ("open tomorrow? my lawyer wants to meet there", "lawyer"),
    ("when do you open, I was sick after my last visit", "sick"),
])
def test_health_and_legal_words_reach_the_owner(text: str, word: str) -> None:
    decision = decide(text, HOURS, Signals(), RULES)
    assert decision.action is Action.ESCALATE
    assert f'mentions "{word}"' in decision.reasons


def test_an_angry_message_is_escalated() -> None:
    text = "WHAT TIME DO YOU OPEN, this is RIDICULOUS!!"
    assert negative_tone(text, RULES.negative_words) >= 2
    assert "sounds upset" in decide(text, HOURS, Signals(), RULES).reasons


def test_a_human_owned_conversation_is_never_answered_by_the_bot() -> None:
    decision = decide("what time do you open?", HOURS, Signals(conversation_state="human"), RULES)
    assert decision.action is Action.ESCALATE
    assert decision.reasons == ("a person has taken over this conversation",)


@pytest.mark.parametrize("signals, text, reason", [
    (Signals(vip=True), "what time do you open?", "VIP contact"),
    (Signals(), "are you open? see www.example.com/x", "contains a link"),
    (Signals(has_attachment=True), "what time do you open?", "has an attachment"),
    (Signals(), "what time do you open? " + "please " * 100, "much longer than usual (723 characters)"),
])
def test_unusual_messages_are_held_for_approval(signals: Signals, text: str, reason: str) -> None:
    decision = decide(text, HOURS, signals, RULES)
    assert decision.action is Action.APPROVE
    assert reason in decision.reasons


def test_repeated_message_is_escalated() -> None:
    decision = decide("what time do you open?", HOURS, Signals(repeats=1), RULES)
    assert decision.action is Action.ESCALATE
    assert "sent the same message 2 times" in decision.reasons


def test_intents_without_auto_send_need_approval() -> None:
    decision = decide("count me in", Intent("rsvp", 0.95), Signals(), RULES)
    assert decision.action is Action.APPROVE
    assert decision.reasons == ("rsvp replies need approval",)


def test_refund_always_goes_to_the_owner_even_when_confident() -> None:
    decision = decide("I'd like my money back", Intent("refund", 1.0, "keyword"), Signals(), RULES)
    assert decision.action is Action.ESCALATE
    assert "refund messages always go to the owner" in decision.reasons


def test_confident_spam_is_silent() -> None:
    assert decide("buy followers", Intent("spam", 0.9), Signals(), RULES).action is Action.SILENT


KEYWORD_BOOKING = Intent("booking", 1.0, "keyword")
SPAM = Intent("spam", 1.0, "keyword")


def test_a_keyword_match_on_an_unhappy_message_waits_for_the_owner() -> None:
    rules = Rules(threshold=0.6, long_message_chars=500, repeats_before_escalation=2,
                  auto_send_intents=frozenset({"booking"}), silent_intents=frozenset(), escalate_intents=frozenset())
    decision = decide("terrible customer service, cancel my reservation", KEYWORD_BOOKING, Signals(), rules)
    assert decision.action is not Action.AUTO
    assert "may be unhappy" in decision.reasons


@pytest.mark.parametrize("text", [
    "I had an allergic reaction after your muffin, click here to see the photos",
    "refund me now or else, bitcoin only",
    "food poisoning from your cafe, click here http://review.example.com",
    "I want to make a complaint, click here",
])
def test_spam_words_never_silence_a_serious_message(text: str) -> None:
    decision = decide(text, SPAM, Signals(), RULES)
    assert decision.action is Action.ESCALATE
    assert decision.reasons[0] == "looks like spam, but it may be serious"


def test_plain_spam_is_still_silent() -> None:
    decision = decide("buy cheap followers, click here", SPAM, Signals(), RULES)
    assert decision.action is Action.SILENT


@pytest.mark.parametrize(("signals", "text", "reason"), [
    (Signals(vip=True), "can I book a table for 4", "VIP contact"),
    (Signals(), "can I book a table for 4? see www.example.com/party", "contains a link"),
    (Signals(has_attachment=True), "can I book a table for 4", "has an attachment"),
])
def test_keyword_rules_never_skip_the_holds(signals: Signals, text: str, reason: str) -> None:
    rules = Rules(threshold=0.6, long_message_chars=500, repeats_before_escalation=2,
                  auto_send_intents=frozenset({"booking"}), silent_intents=frozenset(), escalate_intents=frozenset())
    decision = decide(text, KEYWORD_BOOKING, signals, rules)
    assert decision.action is Action.APPROVE and reason in decision.reasons

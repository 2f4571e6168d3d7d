"""The Block Kit the owner sees, built from plain data."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.handlers.slack.blocks import cards
from bot.handlers.slack.blocks.home import HomeFigures, age, home_view
from storage.desk_stats import WaitingDraft
from storage.records import DraftRecord, DraftView

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)


def _view(**draft: object) -> DraftView:
    record = DraftRecord(**{"id": 7, "message_id": 1, "conversation_id": 3, "action": "approve",
                            "reasons": ("contains a link",), "intent": "hours", "confidence": 0.82, "template": "hours",
                            "text": "We open at 9.", "status": "pending", "final_text": None, "decided_by": None,
                            "decided_at": None, "owner_card": None, "created_at": NOW, **draft})
    return DraftView(record, "is <b>this</b> & that open? <!channel>", "Jo Bloggs", "@jo", "telegram", "42",
                     "https://t.me/c/1/2", "42:2", "awaiting_owner", "42")


def test_customer_words_cannot_ping_the_channel_or_inject_markup() -> None:
    shown = json.dumps(cards.card(_view(), ["hours"]))

    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "&lt;b&gt;this&lt;/b&gt; &amp; that" in shown


def test_a_draft_card_names_the_customer_platform_link_intent_and_reasons() -> None:
    shown = json.dumps(cards.card(_view(), ["hours"]))

    assert "*Jo Bloggs* (@jo) on Telegram <https://t.me/c/1/2|said>:" in shown
    assert "Intent: hours (82%)" in shown and "Held because: contains a link" in shown
    assert "We open at 9." in shown


def test_the_teach_menu_lists_every_intent_and_out_of_scope() -> None:
    blocks = cards.card(_view(action="escalate", intent=None), ["hours", "menu"])
    select = blocks[-1]["elements"][-1]

    assert [o["value"] for o in select["options"]] == ["7:hours", "7:menu", f"7:{cards.OUT_OF_SCOPE}"]
    assert "out of scope" in json.dumps(blocks)


@pytest.mark.parametrize(("status", "expected"), [
    ("approved", ":white_check_mark: Sent by <@U1>"),
    ("rejected", ":no_entry_sign: Rejected by <@U1>"),
    ("edited", ":pencil2: Edited and sent by <@U1>"),
])
def test_a_closed_card_says_who_did_what_and_when(status: str, expected: str) -> None:
    draft = _view(status=status, decided_by="U1", decided_at=NOW, final_text="We open at 9am!").draft

    line = cards.status_line(draft)

    assert line.startswith(expected)
    assert f"<!date^{int(NOW.timestamp())}^" in line
    assert ("Sent instead:* We open at 9am!" in line) == (status == "edited")


def test_the_edit_modal_is_prefilled_and_carries_the_draft() -> None:
    modal = cards.text_modal(cards.EDIT_MODAL, "Edit & send", "Send", {"draft_id": 7}, "We open at 9.")

    assert modal["blocks"][0]["element"]["initial_value"] == "We open at 9."
    assert json.loads(modal["private_metadata"]) == {"draft_id": 7}
    assert cards.modal_text({"values": {cards.TEXT_BLOCK: {cards.TEXT_INPUT: {"value": " Hi! "}}}}) == "Hi!"


@pytest.mark.parametrize(("minutes", "text"), [(0, "under a minute"), (25, "25 min"), (60, "1 h"), (135, "2 h 15 min"),
                                               (60 * 26, "1 d 2 h")])
def test_ages_read_like_a_person_would_say_them(minutes: int, text: str) -> None:
    assert age(timedelta(minutes=minutes)) == text


def test_an_empty_home_tab_says_nothing_is_waiting() -> None:
    view = home_view(HomeFigures(NOW, [], [], {}, None))

    shown = json.dumps(view, ensure_ascii=False)
    assert "Nothing is waiting for you" in shown and "no messages yet" in shown and "not enough answers yet" in shown


def test_the_home_tab_lists_escalations_as_needing_the_owner() -> None:
    waiting = [WaitingDraft(1, "Ana", "x", "refund please", "escalate", NOW - timedelta(hours=3))]

    shown = json.dumps(home_view(HomeFigures(NOW, waiting, [], {"x": 4}, timedelta(minutes=3))))

    assert "*Ana* on X (needs you, waiting 3 h)" in shown and "X: 4" in shown and "3 min" in shown


def test_the_slack_manifest_subscribes_to_everything_the_app_listens_for() -> None:
    import yaml
    from pathlib import Path

    manifest = yaml.safe_load((Path(__file__).parent.parent / "slack-manifest.yaml").read_text(encoding="utf-8"))

    settings, scopes = manifest["settings"], manifest["oauth_config"]["scopes"]["bot"]
    assert {"app_mention", "message.channels", "message.im", "app_home_opened"} <= set(settings["event_subscriptions"]["bot_events"])
    assert settings["interactivity"]["is_enabled"] and settings["socket_mode_enabled"]
    assert {"chat:write", "app_mentions:read", "channels:history", "im:history", "commands"} <= set(scopes)
    assert manifest["features"]["app_home"]["home_tab_enabled"]

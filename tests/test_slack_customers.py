"""Slack as a customer channel: mentions and DMs in a community Slack are customer messages."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.handlers.slack.blocks import cards

from bot.errors import BadPayload
from bot.handlers.slack.customers import reply_request, to_inbound
from bot.messages import Outbound
from storage import conversations
from tests.fake_slack import BOT_ID, BOT_USER
from tests.slack_harness import HELD, OWNER_CHANNEL, SAM, Desk, event_envelope, listeners_done, payload



def test_a_mention_becomes_an_inbound_in_its_own_thread_without_the_bot_name() -> None:
    inbound = to_inbound(payload("app_mention")["event"])

    assert inbound is not None
    assert (inbound.platform, inbound.kind, inbound.text) == ("slack", "mention", "what time do you open on saturday?")
    assert inbound.external_id == "C0LAN2Q65:1515449522.000016"
    assert inbound.thread_key == "C0LAN2Q65:1515449522.000016"
    assert inbound.sender.platform_user_id == "U061F7AUR"
    assert inbound.received_at == datetime(2018, 1, 8, 22, 12, 2, 16, tzinfo=timezone.utc)


def test_a_mention_inside_a_thread_belongs_to_that_thread() -> None:
    event = payload("app_mention")["event"] | {"thread_ts": "1515449000.000001"}

    assert to_inbound(event).thread_key == "C0LAN2Q65:1515449000.000001"


def test_a_direct_message_is_one_conversation_per_dm_channel() -> None:
    inbound = to_inbound(payload("message_im")["event"])

    assert inbound is not None and inbound.kind == "dm" and inbound.thread_key == "D024BE91L"


@pytest.mark.parametrize("sample", ["message_bot", "message_changed", "message_thread_reply", "app_home_opened"])
def test_bots_edits_channel_chatter_and_other_events_are_not_customer_messages(sample: str) -> None:
    assert to_inbound(payload(sample)["event"]) is None


def test_a_mention_without_a_timestamp_is_a_bad_payload() -> None:
    event = {k: v for k, v in payload("app_mention")["event"].items() if k != "ts"}

    with pytest.raises(BadPayload, match="ts"):
        to_inbound(event)


def test_replies_go_in_the_thread_for_mentions_and_plainly_in_a_dm() -> None:
    threaded = reply_request(Outbound("slack", "C0LAN2Q65:1515449522.000016", "9am–5pm", "k1"))
    direct = reply_request(Outbound("slack", "D024BE91L", "9am–5pm", "k2"))

    assert threaded == {"channel": "C0LAN2Q65", "thread_ts": "1515449522.000016", "text": "9am–5pm"}
    assert direct == {"channel": "D024BE91L", "text": "9am–5pm"}


async def test_a_customer_mention_gets_a_threaded_answer(desk: Desk) -> None:
    assert (await desk.event(event_envelope("app_mention"))).status_code == 200
    await listeners_done()
    await desk.app.worker.drain()

    [answer] = [c for c in desk.fake.to("chat.postMessage") if c["channel"] == "C0LAN2Q65"]
    assert answer["thread_ts"] == "1515449522.000016"
    assert "We're open 9am–5pm on Saturday 28 November" in answer["text"]


async def test_a_customer_dm_is_answered_in_the_dm(desk: Desk) -> None:
    await desk.event(event_envelope("message_im", text="what time do you open on saturday?"))
    await listeners_done()
    await desk.app.worker.drain()

    [answer] = [c for c in desk.fake.to("chat.postMessage") if c["channel"] == "D024BE91L"]
    assert "thread_ts" not in answer and "9am–5pm" in answer["text"]


@pytest.mark.parametrize("event", [
    {"user": BOT_USER},                                        # the bot's own message, as Slack echoes it
    {"bot_id": BOT_ID, "subtype": "bot_message"},              # any bot's message
    {"user": SAM},                                             # an approver is not a customer
])
async def test_messages_that_are_not_from_customers_are_ignored(desk: Desk, event: dict) -> None:
    await desk.event(event_envelope("app_mention", **event))
    await desk.event(event_envelope("message_im", event_id="Ev0DM", text="what time do you open?", **event))
    await listeners_done()
    await desk.app.worker.drain()

    async with desk.app.db.session() as session:
        assert await conversations.count_messages(session, "in") == 0
    assert desk.fake.to("chat.postMessage") == []


async def test_mentions_in_the_owner_channel_are_not_customer_messages(desk: Desk) -> None:
    await desk.customer_says(HELD)  # the first card tells us which channel is the owner's
    await desk.event(event_envelope("app_mention", channel=OWNER_CHANNEL, user="U0STAFF"))
    await listeners_done()

    async with desk.app.db.session() as session:
        assert await conversations.count_messages(session, "in") == 1


async def test_a_held_slack_question_shows_the_customer_by_name_and_send_answers_in_their_thread(desk: Desk) -> None:
    await desk.event(event_envelope("app_mention", text=f"<@U0LAN0Z89> {HELD}"))
    await listeners_done()
    await desk.app.worker.drain()
    [card, ack] = desk.fake.to("chat.postMessage")
    assert "*Jo Bloggs* on Slack said:" in json.dumps(card["blocks"])
    assert ack["channel"] == "C0LAN2Q65" and ack["text"].startswith("Thanks, Jo! Sam will reply to you personally")

    draft_id = card["blocks"][-1]["elements"][0]["value"]
    await desk.click(cards.SEND, draft_id)
    await desk.fake.until(lambda: desk.fake.to("chat.update"))
    await desk.app.worker.drain()

    [_, answer] = [c for c in desk.fake.to("chat.postMessage") if c["channel"] == "C0LAN2Q65"]
    assert answer["thread_ts"] == "1515449522.000016" and "on Saturday 28 November" in answer["text"]

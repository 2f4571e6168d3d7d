"""The owner's Slack, end to end: cards, clicks, modals and thread replies over signed HTTP."""

from __future__ import annotations

import asyncio
import json

from bot.handlers.slack.blocks import cards
from storage import audit, outbox
from tests.slack_harness import (ALEX, HELD, OWNER_CHANNEL, SAM, STRANGER, UPSET, Desk, event_envelope, listeners_done,
                                 submission)
from tests.support.waiting import eventually



def _button_ids(blocks: list[dict]) -> list[str]:
    return [element["action_id"] for block in blocks if block["type"] == "actions" for element in block["elements"]]


def _text(blocks: list[dict]) -> str:
    return json.dumps(blocks)


async def test_held_draft_posts_one_card_with_the_customer_words_and_buttons(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)
    await desk.app.worker.drain()

    posted = desk.fake.to("chat.postMessage")
    assert len(posted) == 1
    assert posted[0]["channel"] == "#socialdesk"
    assert _button_ids(posted[0]["blocks"]) == [cards.SEND, cards.EDIT, cards.REJECT, cards.TAKE_OVER]
    shown = _text(posted[0]["blocks"])
    assert "saw https://cornerbean.example.org/news" in shown and "contains a link" in shown
    assert "on Saturday 28 November" in shown
    assert (await desk.draft(handled.draft_id)).owner_card == f"{OWNER_CHANNEL}:1764064800.000001"


async def test_send_delivers_the_reply_once_and_closes_the_card(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)

    response = await desk.click(cards.SEND, str(handled.draft_id))
    assert response.status_code == 200
    await desk.fake.until(lambda: desk.fake.to("chat.update"))
    await desk.app.worker.drain()

    assert len(desk.customer_heard()) == 1 and "on Saturday 28 November" in desk.customer_heard()[0]
    update = desk.fake.to("chat.update")[0]
    assert update["channel"] == OWNER_CHANNEL and update["ts"] == "1764064800.000001"
    assert _button_ids(update["blocks"]) == []
    assert f"Sent by <@{SAM}>" in _text(update["blocks"])


async def test_two_owners_clicking_send_at_once_send_one_reply(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)

    await asyncio.gather(desk.click(cards.SEND, str(handled.draft_id), SAM),
                         desk.click(cards.SEND, str(handled.draft_id), ALEX))
    await desk.fake.until(lambda: len(desk.fake.to("chat.update")) == 2)
    await desk.app.worker.drain()
    await desk.click(cards.SEND, str(handled.draft_id), SAM)
    await desk.fake.until(lambda: len(desk.fake.to("chat.postEphemeral")) == 2)
    await desk.app.worker.drain()

    assert len(desk.customer_heard()) == 1
    assert all("already approved" in call["text"] for call in desk.fake.to("chat.postEphemeral"))


async def test_edit_and_send_opens_the_draft_and_sends_the_edited_text(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)

    await desk.click(cards.EDIT, str(handled.draft_id))
    await desk.fake.until(lambda: desk.fake.to("views.open"))
    modal = desk.fake.to("views.open")[0]["view"]
    assert "on Saturday 28 November" in modal["blocks"][0]["element"]["initial_value"]
    await desk.interact(submission(cards.EDIT_MODAL, json.loads(modal["private_metadata"]),
                                   "Hi Jo! Saturday 9 till 5, see you then."))
    await desk.fake.until(lambda: desk.fake.to("chat.update"))
    await desk.app.worker.drain()

    assert desk.customer_heard() == ["Hi Jo! Saturday 9 till 5, see you then."]
    assert (await desk.draft(handled.draft_id)).status == "edited"
    assert "Edited and sent" in _text(desk.fake.to("chat.update")[0]["blocks"])


async def test_reject_sends_nothing_and_says_who_rejected(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)

    await desk.click(cards.REJECT, str(handled.draft_id))
    await desk.fake.until(lambda: desk.fake.to("chat.update"))
    await desk.app.worker.drain()

    assert desk.customer_heard() == []
    assert (await desk.draft(handled.draft_id)).status == "rejected"
    assert f"Rejected by <@{SAM}>" in _text(desk.fake.to("chat.update")[0]["blocks"])


async def test_someone_who_is_not_an_approver_is_refused_and_nothing_happens(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)

    await desk.click(cards.SEND, str(handled.draft_id), STRANGER)
    await desk.fake.until(lambda: desk.fake.to("chat.postEphemeral"))
    await desk.app.worker.drain()

    refusal = desk.fake.to("chat.postEphemeral")[0]
    assert refusal["user"] == STRANGER and "Only approvers can do this" in refusal["text"]
    assert desk.customer_heard() == [] and desk.fake.to("chat.update") == []
    assert (await desk.draft(handled.draft_id)).status == "pending"


async def test_an_approver_thread_reply_reaches_the_customer_and_a_note_does_not(desk: Desk) -> None:
    await desk.customer_says(UPSET)
    [card] = desk.fake.to("chat.postMessage")
    thread = "1764064800.000001"
    note = event_envelope("message_thread_reply", channel=OWNER_CHANNEL, thread_ts=thread, user=ALEX,
                          ts="1764064900.000100", text="note: this is the regular who always orders oat milk")
    reply = event_envelope("message_thread_reply", channel=OWNER_CHANNEL, thread_ts=thread, user=SAM,
                           ts="1764064900.000200", text="So sorry Jo, your next coffee is on us.")
    reply["event_id"] = "Ev0REPLY"

    assert (await desk.event(note)).status_code == 200
    assert (await desk.event(reply)).status_code == 200
    await _until_queued(desk, 1)
    await desk.app.worker.drain()

    assert card["channel"] == "#socialdesk"
    assert desk.customer_heard() == ["So sorry Jo, your next coffee is on us."]
    await desk.fake.until(lambda: desk.fake.to("chat.update"))
    [closed] = desk.fake.to("chat.update")
    assert closed["ts"] == thread and f"Answered in the thread by <@{SAM}>" in _text(closed["blocks"])
    assert _button_ids(closed["blocks"]) == []


async def test_a_retried_thread_reply_event_sends_once(desk: Desk) -> None:
    await desk.customer_says(UPSET)
    reply = event_envelope("message_thread_reply", channel=OWNER_CHANNEL, thread_ts="1764064800.000001", user=SAM,
                           ts="1764064900.000200", text="Calling you now.")

    await desk.event(reply)
    await _until_queued(desk, 1)
    await desk.event(reply, retry=1)
    await desk.event(reply, retry=2)
    await listeners_done()
    await desk.app.worker.drain()

    assert desk.customer_heard() == ["Calling you now."]
    async with desk.app.db.session() as session:
        replies = [e for e in await audit.entries(session) if e.action == "reply"]
    assert len(replies) == 1


async def test_a_thread_reply_from_someone_else_is_refused(desk: Desk) -> None:
    await desk.customer_says(UPSET)
    reply = event_envelope("message_thread_reply", channel=OWNER_CHANNEL, thread_ts="1764064800.000001",
                           user=STRANGER, ts="1764064900.000300", text="I can answer this one")

    await desk.event(reply)
    await desk.fake.until(lambda: desk.fake.to("chat.postEphemeral"))
    await desk.app.worker.drain()

    assert desk.customer_heard() == []
    assert desk.fake.to("chat.postEphemeral")[0]["thread_ts"] == "1764064800.000001"


async def _until_queued(desk: Desk, count: int) -> None:
    async def queued() -> int:
        async with desk.app.db.session() as session:
            # The customer's acknowledgement is a reply row too: count the owner's own replies.
            return len([i for i in await outbox.items(session, kind="reply") if not i.idempotency_key.startswith("ack:")])

    async def enough() -> bool:
        return await queued() >= count

    await eventually(enough)



async def test_a_second_held_message_from_the_same_customer_goes_into_the_conversation_thread(desk: Desk) -> None:
    await desk.customer_says(HELD)
    await desk.customer_says("and can I bring 12 friends? https://cornerbean.example.org/groups")

    first, second = desk.fake.to("chat.postMessage")
    assert "thread_ts" not in first
    assert second["thread_ts"] == "1764064800.000001" and second["reply_broadcast"] is True

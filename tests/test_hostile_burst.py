"""A burst of held messages from one visitor is counted on the conversation's latest card on the owner's
Slack, not posted as a card (and a channel notification) per message."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx

from bot.handlers.slack.blocks import cards
from storage import desk_stats
from tests.slack_harness import Desk, visitor_writes

UPSET = "my coffee was cold and the staff were rude, I want a refund"


async def test_seven_held_messages_in_a_row_make_two_cards_the_second_saying_five_more(
        desk: Desk, site: httpx.AsyncClient) -> None:
    visitor = await visitor_writes(site, desk, "Jo", UPSET)
    for n in range(6):
        await visitor_writes(site, desk, "Jo", f"{UPSET} (again, {n + 1})", visitor)

    first, second = desk.fake.to("chat.postMessage")
    latest = desk.fake.to("chat.update")[-1]
    assert latest["ts"] == "1764064800.000002"
    shown = json.dumps(latest["blocks"])
    assert "5 more messages" in shown and "again, 6" in shown
    assert [b["block_id"] for b in latest["blocks"] if b["type"] == "actions"] == [second["blocks"][-1]["block_id"]]
    async with desk.app.db.session() as session:
        assert len(await desk_stats.waiting_drafts(session)) == 2


async def test_replying_on_the_one_card_answers_the_whole_burst(desk: Desk, site: httpx.AsyncClient) -> None:
    from tests.slack_harness import submission

    visitor = await visitor_writes(site, desk, "Jo", UPSET)
    for text in ("where is my refund??", "I want my money back", "refund me now"):
        await visitor_writes(site, desk, "Jo", text, visitor)
    assert len(desk.fake.to("chat.postMessage")) == 2
    draft_id = int(desk.fake.to("chat.postMessage")[0]["blocks"][-1]["block_id"].split(":")[1])

    await desk.interact(submission(cards.REPLY_MODAL, {"draft_id": draft_id}, "So sorry, Jo: refund on its way."))
    await desk.fake.until(lambda: any("Answered by" in json.dumps(u["blocks"]) for u in desk.fake.to("chat.update")))
    await desk.app.worker.drain()

    async with desk.app.db.session() as session:
        assert await desk_stats.waiting_drafts(session) == []
    replies = await site.get("/webchat/messages", params={"visitor_id": visitor, "wait": 0})
    assert "So sorry, Jo: refund on its way." in [m["text"] for m in replies.json()["messages"]]


async def test_a_message_long_after_the_cards_gets_a_card_of_its_own(desk: Desk, site: httpx.AsyncClient) -> None:
    visitor = await visitor_writes(site, desk, "Jo", UPSET)
    await visitor_writes(site, desk, "Jo", "where is my refund??", visitor)
    desk.app.clock.advance(timedelta(minutes=11))

    await visitor_writes(site, desk, "Jo", "still waiting for my refund", visitor)

    assert len(desk.fake.to("chat.postMessage")) == 3

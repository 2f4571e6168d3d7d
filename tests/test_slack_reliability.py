"""Slack's guarantees we rely on and the failures we survive: signatures, retries, 429s, Slack being down."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from urllib.parse import urlencode

import httpx

from bot.handlers.slack.blocks import cards
from bot.web import create_web_app, route_providers
from storage import outbox
from tests.slack_harness import HELD, Desk, click_payload, event_envelope, listeners_done, signed
from tests.support.fixtures import AppWith



async def _card_rows(desk: Desk) -> list:
    async with desk.app.db.session() as session:
        return await outbox.items(session, kind="owner_card")


async def test_a_forged_signature_is_refused_and_changes_nothing(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)
    body = urlencode({"payload": json.dumps(click_payload(cards.SEND, str(handled.draft_id)))})

    response = await desk.interact(click_payload(cards.SEND, str(handled.draft_id)),
                                   headers=signed(body, secret="not-the-signing-secret"))

    assert response.status_code == 401
    assert [name for name, _ in desk.fake.calls] == ["chat.postMessage"]
    assert (await desk.draft(handled.draft_id)).status == "pending"


async def test_a_stale_signed_request_is_refused_as_a_replay(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)
    body = urlencode({"payload": json.dumps(click_payload(cards.SEND, str(handled.draft_id)))})

    response = await desk.interact(click_payload(cards.SEND, str(handled.draft_id)),
                                   headers=signed(body, timestamp=int(time.time()) - 600))

    assert response.status_code == 401
    assert (await desk.draft(handled.draft_id)).status == "pending"


async def test_a_request_with_no_signature_is_refused(desk: Desk) -> None:
    body = json.dumps(event_envelope("app_mention"))

    response = await desk.http.post("/slack/events", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 401
    assert desk.fake.calls == []


async def test_the_web_process_serves_slack_events_only_with_a_signing_secret(desk: Desk, app_with: AppWith) -> None:
    with_secret = create_web_app(desk.app, route_providers())
    no_secret = desk.app.settings.model_copy(update={"slack_signing_secret": None})
    without = create_web_app(await app_with(desk.app, settings=no_secret), route_providers())
    body = json.dumps({"type": "url_verification", "token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_secret), base_url="http://s") as client:
        answered = await client.post("/slack/events", content=body, headers={"Content-Type": "application/json", **signed(body)})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=without), base_url="http://s") as client:
        missing = await client.post("/slack/events", content=body, headers={"Content-Type": "application/json", **signed(body)})

    assert answered.status_code == 200 and answered.json()["challenge"].startswith("3eZbrw1aBm2")
    assert missing.status_code == 404


async def test_a_rate_limited_card_is_posted_after_retry_after(desk: Desk) -> None:
    desk.fake.fail_next("chat.postMessage", status=429, retry_after=7)

    handled = await desk.customer_says(HELD)
    [row] = await _card_rows(desk)
    assert row.status == "pending" and row.due_at == desk.app.clock.now() + timedelta(seconds=7)
    assert "rate limit" in (row.last_error or "")

    desk.app.clock.advance(timedelta(seconds=6))
    await desk.app.worker.drain()
    assert len(desk.fake.to("chat.postMessage")) == 1
    desk.app.clock.advance(timedelta(seconds=1))
    await desk.app.worker.drain()

    assert len(desk.fake.to("chat.postMessage")) == 2
    assert (await desk.draft(handled.draft_id)).owner_card is not None
    assert [r.status for r in await _card_rows(desk)] == ["sent"]


async def test_while_slack_is_down_the_draft_waits_and_is_posted_when_it_is_back(desk: Desk) -> None:
    desk.fake.fail_next("chat.postMessage", status=503, error="service_unavailable")
    desk.fake.fail_next("chat.postMessage", status=503, error="service_unavailable")

    handled = await desk.customer_says(HELD)
    desk.app.clock.advance(timedelta(seconds=2))
    await desk.app.worker.drain()
    assert (await desk.draft(handled.draft_id)).status == "pending"
    assert [r.status for r in await _card_rows(desk)] == ["pending"]

    desk.app.clock.advance(timedelta(seconds=4))
    await desk.app.worker.drain()

    assert len(desk.fake.to("chat.postMessage")) == 3
    assert [r.status for r in await _card_rows(desk)] == ["sent"]


async def test_a_retried_customer_mention_is_answered_once(desk: Desk) -> None:
    mention = event_envelope("app_mention")

    await desk.event(mention)
    await listeners_done()
    await desk.event(mention, retry=1)
    await desk.event(mention, retry=2)
    await listeners_done()
    await desk.app.worker.drain()

    answers = [c for c in desk.fake.to("chat.postMessage") if c["channel"] == "C0LAN2Q65"]
    assert len(answers) == 1



async def test_a_signed_but_malformed_request_is_refused_without_side_effects(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)

    garbage = await desk.post("payload=%7Bnot-json", "application/x-www-form-urlencoded")
    bad_value = await desk.click(cards.SEND, "draft-one")
    await listeners_done()
    await desk.app.worker.drain()

    assert garbage.status_code == 400
    assert bad_value.status_code == 200  # acknowledged; the listener found nothing to do
    assert (await desk.draft(handled.draft_id)).status == "pending"
    assert desk.customer_heard() == [] and desk.fake.to("chat.update") == []


async def test_slack_gets_its_answer_before_the_slow_work_is_done(desk: Desk) -> None:
    handled = await desk.customer_says(HELD)
    desk.fake.hanging.add("chat.update")

    # Slack gives up after 3 seconds; the card update below never answers while we wait.
    response = await asyncio.wait_for(desk.click(cards.SEND, str(handled.draft_id)), timeout=3)
    await desk.fake.until(lambda: desk.fake.to("chat.update"))

    assert response.status_code == 200
    assert (await desk.draft(handled.draft_id)).status == "approved"
    desk.fake.released.set()
    await listeners_done()

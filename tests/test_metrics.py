"""/metrics: the work in hand as gauges an operator can alert on."""

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from bot.app import App
from bot.clock import FrozenClock
from bot.web import create_web_app
from tests.factories import inbound
from tests.support.channels import RecordingChannel


@pytest.fixture
async def client(any_app: App) -> AsyncIterator[httpx.AsyncClient]:
    web = create_web_app(any_app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
        yield http


async def gauges(client: httpx.AsyncClient) -> dict[str, float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return {name: float(value) for name, value in (line.rsplit(" ", 1) for line in response.text.splitlines())}


async def test_an_idle_bot_reports_an_empty_queue(client: httpx.AsyncClient) -> None:
    found = await gauges(client)
    assert found["socialdesk_outbox_oldest_due_seconds"] == 0
    assert found["socialdesk_drafts_waiting"] == 0
    assert found['socialdesk_time_to_answer_seconds{by="bot",quantile="0.5"}'] == 0


async def test_the_queue_drafts_waiting_and_time_to_answer_are_reported(
        any_app: App, shell: RecordingChannel, client: httpx.AsyncClient, clock: FrozenClock) -> None:
    asked = clock.now()
    await any_app.router.handle(inbound("what time do you open on saturday?", received_at=asked,
                                        thread_key="console:bo", external_id="q-1"))
    clock.advance(timedelta(seconds=2))
    await any_app.worker.drain()  # the answer leaves 2 s after the question; the refund below waits
    await any_app.router.handle(inbound("I want a refund, my coffee was cold", received_at=clock.now(),
                                        external_id="q-2"))
    clock.advance(timedelta(seconds=30))
    found = await gauges(client)
    assert found['socialdesk_time_to_answer_seconds{by="bot",quantile="0.5"}'] == 2
    assert found['socialdesk_answers_last_hour{by="bot"}'] == 1
    assert found["socialdesk_drafts_waiting"] == 1
    # The refund's card (no owner desk here) and its acknowledgement have waited 30 s.
    assert found['socialdesk_outbox_queued{platform="owner"}'] == 1
    assert found['socialdesk_outbox_queued{platform="shell"}'] == 1
    assert found["socialdesk_outbox_oldest_due_seconds"] == 30

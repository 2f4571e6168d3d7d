"""Requests that used to crash into a 500: a burst at start-up, a malformed Slack timestamp, an absurd
calendar id. Each now gets an answer the sender can act on."""

from __future__ import annotations

import asyncio
import copy
import json
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bot.app import App
from bot.handlers.telegram.webhook import SECRET_HEADER, telegram_routes
from bot.web import calendar_routes, create_web_app
from tests.fakes.server import serve
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.payloads.load import payload
from tests.slack_harness import Desk, event_envelope, signed
from tests.support.apps import from_ports
from tests.support.fixtures import AppWith

SECRET = "s3cret-token"


@pytest.fixture
async def telegram(app: App, app_with: AppWith) -> AsyncIterator[tuple[FakeBotApi, httpx.AsyncClient]]:
    api = FakeBotApi()
    async with serve(api.app()) as url:
        settings = app.settings.model_copy(update={"telegram_bot_token": SecretStr(TOKEN), "telegram_api_url": url,
                                                   "telegram_webhook_secret": SecretStr(SECRET)})
        asgi = create_web_app(await app_with(app, settings=settings), [from_ports(telegram_routes)])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
            yield api, client


def update(number: int) -> dict:
    body = copy.deepcopy(payload("telegram", "private_text"))
    body["update_id"] = 815300000 + number
    body["message"]["message_id"] = 5000 + number
    body["message"]["chat"]["id"] = body["message"]["from"]["id"] = 700000000 + number
    return body


async def test_a_burst_of_webhooks_right_after_start_up_is_answered_without_a_500(telegram) -> None:
    api, client = telegram

    answers = await asyncio.gather(*(client.post("/telegram/webhook", json=update(n), headers={SECRET_HEADER: SECRET})
                                     for n in range(100)))

    assert Counter(r.status_code for r in answers) == {200: 100}
    assert api.calls.count("getMe") == 1  # the bot met Telegram once, not once per waiting request


async def test_a_webhook_while_telegram_cannot_be_reached_is_asked_to_come_back(app: App, app_with: AppWith) -> None:
    settings = app.settings.model_copy(update={"telegram_bot_token": SecretStr(TOKEN),
                                               "telegram_api_url": "http://127.0.0.1:9/",
                                               "telegram_webhook_secret": SecretStr(SECRET)})
    asgi = create_web_app(await app_with(app, settings=settings), [from_ports(telegram_routes)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
        response = await client.post("/telegram/webhook", json=update(1), headers={SECRET_HEADER: SECRET})
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()


@pytest.mark.parametrize("stamp", ["abc", "1e9", "-5", "9" * 400, ""])
async def test_a_slack_request_with_a_malformed_timestamp_is_refused_as_unsigned(desk: Desk, stamp: str) -> None:
    body = json.dumps(event_envelope("app_mention"))
    headers = signed(body) | {"X-Slack-Request-Timestamp": stamp}

    response = await desk.post(body, "application/json", headers)

    assert response.status_code == 401
    assert desk.fake.to("chat.postMessage") == []


@pytest.mark.parametrize("number", ["9" * 40, "9223372036854775808"])
async def test_an_absurd_calendar_id_is_not_found(app: App, number: str) -> None:
    asgi = create_web_app(app, [calendar_routes])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
        response = await client.get(f"/events/{number}.ics")
    assert response.status_code == 404

"""The whole bot with the owner's Slack: the real Bolt app behind our Starlette app, requests signed the
way Slack signs them, the real slack-sdk talking to a fake Slack on 127.0.0.1, and the console as the
customer's platform."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from bot.app import App, ChannelFactory, Outlets, build_app
from bot.clock import FrozenClock
from bot.handlers.slack.api import web_client
from bot.handlers.slack.bolt_app import http_routes
from bot.handlers.slack.customers import SlackChannel
from bot.handlers.slack.owner_desk import SlackDesk
from bot.handlers.webchat.channel import WebChatOptions
from bot.messages import Inbound, Sender
from bot.registry import webchat_provider
from bot.router import Handled
from bot.web import create_web_app
from storage import drafts
from storage.records import DraftRecord
from tests.support.apps import settings_for
from tests.support.channels import RecordingChannel
from tests.fake_slack import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PAYLOADS = Path(__file__).parent / "payloads" / "slack"
SAM, ALEX, STRANGER = "U0123SAM", "U0456ALEX", "U0999EVE"
OWNER_CHANNEL = "C0OWNER"
HELD = "what time do you open on saturday? I saw https://cornerbean.example.org/news"
UPSET = "my coffee was cold and the staff were rude, I want a refund"


def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers exactly as Slack sends them: v0 HMAC-SHA256 over "v0:timestamp:body"."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Desk:
    app: App
    slack: SlackDesk
    fake: FakeSlack
    http: httpx.AsyncClient
    customer: RecordingChannel
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    async def customer_says(self, text: str, who: str = "Jo") -> Handled:
        number = next(self._ids)
        handled = await self.app.router.handle(Inbound(
            platform="shell", kind="dm", external_id=f"test-{number}", thread_key=f"console:{who}",
            sender=Sender(f"console:{who}", who), text=text, received_at=self.app.clock.now()))
        await self.app.worker.drain()
        return handled

    def customer_heard(self) -> list[str]:
        """What the owner's desk sent the customer. The acknowledgement a held customer gets at once
        is left out here; tests/test_acknowledgements.py covers it."""
        return [outbound.text for outbound in self.customer.sent if not outbound.idempotency_key.startswith("ack:")]

    async def draft(self, draft_id: int) -> DraftRecord:
        async with self.app.db.session() as session:
            found = await drafts.get_draft(session, draft_id)
        assert found is not None
        return found

    async def post(self, body: str, content_type: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return await self.http.post("/slack/events", content=body.encode(),
                                    headers={"Content-Type": content_type, **(headers or signed(body))})

    async def event(self, envelope: dict[str, Any], retry: int | None = None) -> httpx.Response:
        body = json.dumps(envelope)
        headers = signed(body)
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, "application/json", headers)

    async def interact(self, interaction: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
        body = urlencode({"payload": json.dumps(interaction)})
        return await self.post(body, "application/x-www-form-urlencoded", headers or signed(body))

    async def click(self, action_id: str, value: str, user: str = SAM, card_ts: str = "1764064800.000001") -> httpx.Response:
        return await self.interact(click_payload(action_id, value, user, card_ts))


def click_payload(action_id: str, value: str, user: str = SAM, card_ts: str = "1764064800.000001") -> dict[str, Any]:
    data = payload("block_actions")
    data["user"] = {**data["user"], "id": user}
    data["channel"] = {"id": OWNER_CHANNEL, "name": "socialdesk"}
    data["container"] = {**data["container"], "channel_id": OWNER_CHANNEL, "message_ts": card_ts}
    data["actions"][0] = {**data["actions"][0], "action_id": action_id, "value": value, "block_id": "draft"}
    return data


def submission(callback_id: str, metadata: dict[str, Any], text: str, user: str = SAM) -> dict[str, Any]:
    data = copy.deepcopy(payload("view_submission"))
    data["user"] = {**data["user"], "id": user}
    data["view"] |= {"callback_id": callback_id, "private_metadata": json.dumps(metadata),
                     "state": {"values": {"sd_text": {"sd_text_input": {"type": "plain_text_input", "value": text}}}}}
    return data


def event_envelope(name: str, **event: Any) -> dict[str, Any]:
    data = payload(name)
    data["event"] |= event
    return data


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def desk(profile_dir: Path, sqlite_url: str, clock: FrozenClock, fake_slack: FakeSlack) -> AsyncIterator[Desk]:
    settings = settings_for(profile_dir, sqlite_url, slack_bot_token="xoxb-test-token", slack_signing_secret=SECRET,
                            slack_api_url=fake_slack.url)
    customer = RecordingChannel()
    slack_channel: ChannelFactory = lambda ports: SlackChannel(web_client(ports.settings))
    app = await build_app(settings, clock=clock, outlets=Outlets(platforms=("webchat",),
                                                                 channels=(lambda _: customer, slack_channel),
                                                                 slack_owner=True))
    slack = app.slack
    assert slack is not None
    web = create_web_app(app, [lambda _: http_routes(slack)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://slack.test") as http:
        yield Desk(app, slack, fake_slack, http, customer)
    await app.close()


async def listeners_done() -> None:
    """Wait for the listeners Bolt runs after acknowledging Slack (it answers first, then works)."""
    listeners = [task for task in asyncio.all_tasks()
                 if "run_ack_function_asynchronously" in getattr(task.get_coro(), "__qualname__", "")]
    await asyncio.wait_for(asyncio.gather(*listeners, return_exceptions=True), timeout=5)


QUICK = WebChatOptions(poll_timeout=1.0, recheck_seconds=1.0, settle_seconds=0.01)


@pytest.fixture
async def site(desk: Desk) -> AsyncIterator[httpx.AsyncClient]:
    """The web chat and the owner's Slack on one web app, as `socialdesk serve` has them."""
    web = create_web_app(desk.app, [lambda _: http_routes(desk.slack), webchat_provider(QUICK)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
        yield http


async def visitor_writes(site: httpx.AsyncClient, desk: Desk, name: str, text: str, visitor: str | None = None) -> str:
    """A web chat visitor's message (a new visitor unless `visitor` is given), delivered; the visitor's id."""
    visitor = visitor or secrets.token_hex(16)
    response = await site.post("/webchat/messages", json={"visitor_id": visitor, "name": name, "text": text,
                                                          "client_message_id": secrets.token_hex(6)})
    assert response.status_code == 202, response.text
    await desk.app.worker.drain()
    return visitor

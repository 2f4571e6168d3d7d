"""Adding a platform is its handler package, one registry row and one row of facts: the pager platform
(tests/pager/) is defined only in the tests, and a customer on it is answered, held and handed to the
owner exactly as on the platforms that ship."""

from __future__ import annotations

from collections.abc import AsyncIterator
from io import StringIO
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot import platforms, registry
from bot.app import App
from bot.handlers.shell import ConsoleDesk
from bot.web import create_web_app, route_providers
from storage import drafts
from tests.fakes.server import serve
from tests.pager.channel import HOOK_BODY_LIMIT, HOOK_PATH, PLATFORM, rows
from tests.support.fixtures import AppWith

OWNER = "U0123SAM"  # one of the example profile's approvers
SATURDAY = "We're open 9am–5pm on Saturday 28 November"


class FakePager:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        async def send(request: web.Request) -> web.Response:
            self.sent.append(await request.json())
            return web.json_response({"id": f"pg-{len(self.sent)}"})

        application = web.Application()
        application.router.add_post("/send", send)
        return application


@pytest.fixture
async def pager(any_app: App, app_with: AppWith) -> AsyncIterator[tuple[App, FakePager, StringIO]]:
    fake = FakePager()
    async with serve(fake.app()) as url:
        entry, traits = rows(url)
        registry.add(entry)
        platforms.add(traits)
        try:
            desk = StringIO()
            app = await app_with(any_app, owner=ConsoleDesk(desk), platforms=(PLATFORM,))
            (status,) = [s for s in app.statuses if s.name == PLATFORM]
            assert status.channel is not None and app.worker.channels[PLATFORM] is status.channel, status.note
            yield app, fake, desk
        finally:
            registry.remove(PLATFORM)
            platforms.remove(PLATFORM)


async def post(app: App, body: dict[str, Any] | bytes) -> httpx.Response:
    asgi = create_web_app(app, route_providers())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(asgi), base_url="http://testserver") as client:
        if isinstance(body, bytes):
            return await client.post(HOOK_PATH, content=body, headers={"Content-Type": "application/json"})
        return await client.post(HOOK_PATH, json=body)


async def test_a_question_on_the_new_platform_is_answered_alone(pager) -> None:
    app, fake, _ = pager
    response = await post(app, {"id": 1, "from": "p-42", "name": "Priya", "text": "what time do you open on saturday?"})
    assert response.status_code == 200
    await app.worker.drain()
    assert [sent["to"] for sent in fake.sent] == ["p-42"] and SATURDAY in fake.sent[0]["text"]
    assert (await post(app, {"id": 1, "from": "p-42", "text": "what time do you open on saturday?"})).status_code == 200
    await app.worker.drain()
    assert len(fake.sent) == 1  # a redelivered message is answered once


async def test_a_complaint_on_the_new_platform_waits_for_the_owner_who_sends_the_reply(pager) -> None:
    app, fake, desk = pager
    await post(app, {"id": 2, "from": "p-7", "name": "Tom", "text": "I want a refund, my coffee was cold"})
    await app.worker.drain()
    async with app.db.session() as session:
        (held,) = await drafts.pending_drafts(session)
    assert "Pager" in desk.getvalue()  # the owner's card names the platform by its row of facts
    acknowledged = len(fake.sent)  # a held customer is told the owner will answer, as on Telegram
    await app.approvals.send(held.id, OWNER)
    await app.worker.drain()
    assert len(fake.sent) == acknowledged + 1 and fake.sent[-1]["to"] == "p-7"


async def test_the_new_platforms_body_limit_comes_from_its_row(pager) -> None:
    app, _, _ = pager
    too_big = b'{"id": 3, "from": "p-1", "text": "' + b"x" * HOOK_BODY_LIMIT + b'"}'
    assert (await post(app, too_big)).status_code == 413
    assert (await post(app, b"not json")).status_code == 400

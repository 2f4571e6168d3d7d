"""Thousands of visitors waiting for a reply cost the web process no database connections and no
queries of their own: one watcher per process wakes the visitor a reply is for, whichever process
sent it. One address cannot keep more than a few polls waiting."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import event

from bot.app import App
from bot.handlers.webchat.channel import WebChatChannel, WebChatOptions
from bot.registry import webchat_provider
from bot.outbox import OutboxWorker
from bot.web import create_web_app
from storage.engine import Database
from tests.support.waiting import eventually

WAITING = 200


def web_client(app: App, options: WebChatOptions, address: str = "198.51.100.7") -> httpx.AsyncClient:
    web = create_web_app(app, [webchat_provider(options)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(web, client=(address, 50000)), base_url="http://testserver")


def poll(http: httpx.AsyncClient, visitor_id: str) -> asyncio.Task[httpx.Response]:
    return asyncio.create_task(http.get("/webchat/messages", params={"visitor_id": visitor_id, "wait": 20}))


@pytest.fixture
async def webchat(any_app: App) -> AsyncIterator[WebChatChannel]:
    """The web process's one web chat channel, stopped (with its watcher) when the test ends."""
    channel = any_app.worker.channels["webchat"]
    yield channel
    await channel.stop()


@pytest.fixture
async def statements(any_app: App) -> AsyncIterator[list[str]]:
    """Every SQL statement the web process runs from now on."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(any_app.db.engine.sync_engine, "before_cursor_execute", count)
    yield seen
    event.remove(any_app.db.engine.sync_engine, "before_cursor_execute", count)


async def test_waiting_visitors_run_no_queries_and_the_answered_one_wakes(any_app: App, webchat: WebChatChannel,
                                                                         statements: list[str]) -> None:
    options = WebChatOptions(poll_timeout=20.0, recheck_seconds=0.2, settle_seconds=0.01, polls_per_address=WAITING)
    async with web_client(any_app, options) as http:
        asker = secrets.token_hex(16)
        posted = await http.post("/webchat/messages", json={"visitor_id": asker, "name": "Jo", "client_message_id": "m1",
                                                             "text": "what time do you open on saturday?"})
        assert posted.status_code == 202
        others = [secrets.token_hex(16) for _ in range(WAITING - 1)]
        polls = {visitor_id: poll(http, visitor_id) for visitor_id in [asker, *others]}
        signal = webchat.replies
        await eventually(lambda: signal.waiting == WAITING, timeout=30)
        await eventually(lambda: sum("messages.text" in s for s in statements) >= WAITING, timeout=30)

        before = len(statements)
        await asyncio.sleep(1.0)
        # One watcher look (BEGIN and one SELECT) per interval for the whole process, not one per visitor.
        assert len(statements) - before <= 2 * (1.0 / options.recheck_seconds + 1)

        # A worker in another process (its own database engine and channel) sends the reply.
        elsewhere_db = Database(any_app.settings.database_url)
        try:
            elsewhere = OutboxWorker(elsewhere_db, any_app.clock, {"webchat": WebChatChannel()})
            await elsewhere.drain()
        finally:
            await elsewhere_db.close()
        answered = await asyncio.wait_for(polls.pop(asker), timeout=10)
        assert answered.json()["messages"][0]["text"].startswith("We're open")
        assert not any(task.done() for task in polls.values())  # nobody else was woken for it
        for task in polls.values():
            task.cancel()
        await asyncio.gather(*polls.values(), return_exceptions=True)


async def test_one_address_keeps_only_so_many_polls_waiting(any_app: App, webchat: WebChatChannel) -> None:
    options = WebChatOptions(poll_timeout=20.0, polls_per_address=3)
    async with web_client(any_app, options) as crowded, web_client(any_app, options, "203.0.113.40") as neighbour:
        waiting = [poll(crowded, secrets.token_hex(16)) for _ in range(3)]
        signal = webchat.replies
        await eventually(lambda: signal.waiting == 3)
        refused = await crowded.get("/webchat/messages", params={"visitor_id": secrets.token_hex(16), "wait": 20})
        assert refused.status_code == 429 and refused.headers["retry-after"] == "5"
        assert "too many open chats" in refused.json()["error"]
        quick = await crowded.get("/webchat/messages", params={"visitor_id": secrets.token_hex(16), "wait": 0})
        assert quick.status_code == 200  # reading without waiting is never refused
        other = poll(neighbour, secrets.token_hex(16))
        await eventually(lambda: signal.waiting == 4)  # another address still waits as usual
        for task in [*waiting, other]:
            task.cancel()
        await asyncio.gather(*waiting, other, return_exceptions=True)
    await eventually(lambda: signal.waiting == 0)

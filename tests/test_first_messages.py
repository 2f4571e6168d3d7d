"""A new customer's first messages arriving at the same moment, on SQLite and on Postgres: every one is
stored and answered, whether they come from one new customer or from many, through the router and
through the web chat's HTTP route."""

from __future__ import annotations

import asyncio
import secrets
from io import StringIO

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.handlers.shell import ConsoleDesk
from bot.handlers.webchat.channel import WebChatOptions
from bot.registry import webchat_provider
from bot.messages import Sender
from bot.web import create_web_app
from storage import conversations, outbox
from storage.models import ContactRow, DraftRow, IdentityRow
from tests.factories import inbound
from tests.support.channels import RecordingChannel
from tests.support.fixtures import AppWith

N = 12
QUESTION = "what time do you open on saturday?"
# Different words each, so none is held back as a repeat of the one before.
FIRST_WORDS = [f"hello, question {n}: do you have oat milk?" for n in range(N)]
ROOMY = WebChatOptions(poll_timeout=1.0, recheck_seconds=0.5, settle_seconds=0.01,
                       per_visitor_per_minute=1000, per_address_per_minute=1000)


@pytest.fixture
async def shared_app(any_app: App, app_with: AppWith) -> App:
    any_app = await app_with(any_app, owner=ConsoleDesk(StringIO()))
    return any_app


async def table_count(app: App, column: object) -> int:
    async with app.db.session() as session:
        return int(await session.scalar(select(func.count(column))) or 0)


async def undelivered(app: App) -> list[str]:
    async with app.db.session() as session:
        return [f"{row.kind}:{row.status}" for row in await outbox.items(session) if row.status != "sent"]


async def test_one_new_customers_first_messages_at_once_are_all_stored_and_answered(
        shared_app: App, app_with: AppWith) -> None:
    channel = RecordingChannel()
    shared_app = await app_with(shared_app, channel)
    sender = Sender("console:new", "Noor Haddad", "noor")
    handled = await asyncio.gather(*(shared_app.router.handle(inbound(text, sender=sender, thread_key="console:new"))
                                     for text in FIRST_WORDS))
    await shared_app.worker.drain()
    assert [h.duplicate for h in handled] == [False] * N
    async with shared_app.db.session() as session:
        assert await conversations.count_messages(session, "in") == N
    assert await table_count(shared_app, DraftRow.id) == N  # each one answered, or held for the owner
    assert (await table_count(shared_app, ContactRow.id), await table_count(shared_app, IdentityRow.id)) == (1, 1)
    assert await undelivered(shared_app) == []


async def test_many_new_customers_writing_at_once_each_get_their_answer(shared_app: App, app_with: AppWith) -> None:
    channel = RecordingChannel()
    shared_app = await app_with(shared_app, channel)
    handled = await asyncio.gather(*(shared_app.router.handle(inbound(
        QUESTION, sender=Sender(f"console:c{n}", f"Customer {n}", None), thread_key=f"console:c{n}"))
        for n in range(N)))
    await shared_app.worker.drain()
    assert [h.duplicate for h in handled] == [False] * N
    assert sorted(o.thread_key for o in channel.sent) == sorted(f"console:c{n}" for n in range(N))
    assert all(o.text.startswith("We're open") for o in channel.sent)


async def test_web_chat_first_messages_at_once_are_all_stored_and_answered(shared_app: App) -> None:
    web = create_web_app(shared_app, [webchat_provider(ROOMY)])
    me = secrets.token_hex(16)
    others = [secrets.token_hex(16) for _ in range(N)]
    posts = [{"visitor_id": me, "name": "Jo", "text": text, "client_message_id": f"mine-{n}"}
             for n, text in enumerate(FIRST_WORDS)]
    posts += [{"visitor_id": visitor, "name": "Sam", "text": QUESTION, "client_message_id": f"theirs-{n}"}
              for n, visitor in enumerate(others)]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as client:
        codes = [r.status_code for r in await asyncio.gather(*(client.post("/webchat/messages", json=p)
                                                                 for p in posts))]
        await shared_app.worker.drain()
        answers = await asyncio.gather(*(client.get("/webchat/messages", params={"visitor_id": v, "wait": 0})
                                         for v in others))
    assert codes == [202] * (2 * N)
    async with shared_app.db.session() as session:
        assert await conversations.count_messages(session, "in") == 2 * N
    assert await table_count(shared_app, DraftRow.id) == 2 * N
    assert [len(a.json()["messages"]) for a in answers] == [1] * N
    assert await undelivered(shared_app) == []

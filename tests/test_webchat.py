"""The web chat, driven over HTTP against the real web app: a visitor writes, the bot or the owner answers."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from io import StringIO

import httpx
import pytest

from bot.app import App
from bot.clock import FrozenClock
from bot.handlers.shell import ConsoleDesk
from bot.handlers.webchat.channel import WebChatOptions
from bot.handlers.webchat.input import parse_post, to_inbound
from bot.handlers.webchat.channel import WebChatChannel
from bot.registry import webchat_provider
from bot.outbox import OutboxWorker
from bot.web import create_web_app
from storage import conversations, outbox, transcripts
from storage.engine import Database
from tests.support.waiting import eventually
from tests.support.fixtures import AppWith

SATURDAY_HOURS = "We're open 9am–5pm on Saturday 28 November."
QUICK = WebChatOptions(poll_timeout=10.0, recheck_seconds=5.0, settle_seconds=0.01)


def visitor() -> str:
    return secrets.token_hex(16)


def message(visitor_id: str, text: str, client_id: str | None = None, name: str = "Jo") -> dict[str, str]:
    return {"visitor_id": visitor_id, "name": name, "text": text, "client_message_id": client_id or secrets.token_hex(6)}


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    web = create_web_app(app, [webchat_provider(QUICK)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
        yield http


async def replies(client: httpx.AsyncClient, visitor_id: str, after: int = 0) -> list[str]:
    response = await client.get("/webchat/messages", params={"visitor_id": visitor_id, "after": after, "wait": 0})
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"]]


def first_lines(texts: list[str]) -> list[str]:
    return [text.splitlines()[0] for text in texts]


async def recorded_inbound(app: App) -> int:
    async with app.db.session() as session:
        return await conversations.count_messages(session, "in")


async def test_a_visitor_asking_saturday_hours_reads_the_templated_answer(app: App, client: httpx.AsyncClient) -> None:
    me = visitor()
    posted = await client.post("/webchat/messages", json=message(me, "what time do you open on saturday?", "m1"))
    assert posted.status_code == 202 and posted.json() == {"id": "m1", "status": "received"}
    await app.worker.drain()
    response = await client.get("/webchat/messages", params={"visitor_id": me, "wait": 0})
    body = response.json()
    assert len(body["messages"]) == 1 and body["messages"][0]["text"].startswith(SATURDAY_HOURS)
    assert body["cursor"] == body["messages"][0]["id"]
    assert await replies(client, me, after=body["cursor"]) == []  # the cursor moves past what was read


async def test_a_refund_request_waits_for_the_owner_and_the_approved_reply_appears(
        app: App, app_with: AppWith, client: httpx.AsyncClient) -> None:
    desk = StringIO()
    app = await app_with(app, owner=ConsoleDesk(desk))
    me = visitor()
    await client.post("/webchat/messages", json=message(me, "I want a refund, my coffee was cold"))
    await app.worker.drain()
    card = desk.getvalue()
    assert "needs you: Jo on web chat" in card and "refund" in card
    assert await replies(client, me) == ["Thanks, Jo! Sam will reply to you personally soon."]
    draft_id = int(re.search(r"draft #(\d+)", card).group(1))  # type: ignore[union-attr]
    outcome = await app.approvals.send(draft_id, "U0123SAM", edited_text="So sorry, Jo: we'll refund you today.")
    assert outcome.done
    await app.worker.drain()
    assert (await replies(client, me))[1:] == ["So sorry, Jo: we'll refund you today."]


async def test_a_retried_post_is_recorded_and_answered_once(app: App, client: httpx.AsyncClient) -> None:
    me = visitor()
    first = await client.post("/webchat/messages", json=message(me, "are you open on saturday?", "retry-1"))
    again = await client.post("/webchat/messages", json=message(me, "are you open on saturday?", "retry-1"))
    assert first.status_code == again.status_code == 202
    await app.worker.drain()
    assert first_lines(await replies(client, me)) == [SATURDAY_HOURS]
    assert await recorded_inbound(app) == 1


@pytest.mark.parametrize(("body", "error"), [
    (b"{not json", "not valid JSON"),
    (b'["a list"]', "must be a JSON object"),
    (b'{"visitor_id": "VISITOR", "client_message_id": "m1"}', "text is required"),
    (b'{"visitor_id": "VISITOR", "text": "   ", "client_message_id": "m1"}', "text must not be empty"),
    (b'{"visitor_id": "VISITOR", "text": "hi"}', "client_message_id is required"),
    (b'{"visitor_id": "VISITOR", "text": "hi", "client_message_id": "a/b"}', "client_message_id must be"),
    (b'{"visitor_id": "VISITOR", "text": 42, "client_message_id": "m1"}', "text must be a string"),
    (b'{"visitor_id": "VISITOR", "text": "hi", "name": ["x"], "client_message_id": "m1"}', "name must be a string"),
    (b'{"text": "hi", "client_message_id": "m1"}', "visitor_id is required"),
    (b'{"visitor_id": "alice", "text": "hi", "client_message_id": "m1"}', "visitor_id must be a random token"),
    (b'{"visitor_id": "../../etc/passwd-aaaaaaaaaaaaaaaaaaaaaa", "text": "hi", "client_message_id": "m1"}',
     "visitor_id must be a random token"),
])
async def test_bad_messages_are_refused_with_a_clear_error_and_nothing_recorded(
        app: App, client: httpx.AsyncClient, body: bytes, error: str) -> None:
    response = await client.post("/webchat/messages", content=body.replace(b"VISITOR", visitor().encode()),
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert await recorded_inbound(app) == 0


async def test_an_over_long_message_is_refused(app: App, client: httpx.AsyncClient) -> None:
    response = await client.post("/webchat/messages", json=message(visitor(), "a" * 2001))
    assert response.status_code == 400 and "longer than 2000 characters" in response.json()["error"]
    huge = await client.post("/webchat/messages", content=b"x" * 20_000)
    assert huge.status_code == 413 and "larger than 8192 bytes" in huge.json()["error"]
    assert await recorded_inbound(app) == 0


@pytest.mark.parametrize("params", [{}, {"visitor_id": "bob"}, {"visitor_id": "x" * 65},
                                    {"visitor_id": "a" * 32, "after": "-1"}, {"visitor_id": "a" * 32, "after": "one"},
                                    {"visitor_id": "a" * 32, "wait": "soon"}])
async def test_reading_replies_needs_a_well_formed_visitor_id_and_cursor(
        client: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await client.get("/webchat/messages", params=params)
    assert response.status_code == 400 and response.json()["error"]


async def test_a_visitor_sending_too_fast_is_asked_to_wait(app: App, client: httpx.AsyncClient,
                                                         clock: FrozenClock) -> None:
    me = visitor()
    for n in range(10):
        assert (await client.post("/webchat/messages", json=message(me, f"hello number {n}"))).status_code == 202
    refused = await client.post("/webchat/messages", json=message(me, "one more"))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60" and "try again in 60 seconds" in refused.json()["error"]
    assert await recorded_inbound(app) == 10
    clock.advance(timedelta(seconds=61))
    assert (await client.post("/webchat/messages", json=message(me, "one more"))).status_code == 202


async def test_one_address_cannot_flood_the_chat_with_new_visitor_ids(app: App) -> None:
    web = create_web_app(app, [webchat_provider(WebChatOptions(per_address_per_minute=3))])
    transport = httpx.ASGITransport(web, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        statuses = [(await http.post("/webchat/messages", json=message(visitor(), "hi"))).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]


async def test_one_visitor_cannot_read_another_visitors_replies(app: App, client: httpx.AsyncClient) -> None:
    alice, bob = visitor(), visitor()
    await client.post("/webchat/messages", json=message(alice, "what time do you open on saturday?", name="Alice"))
    await client.post("/webchat/messages", json=message(bob, "where are you?", name="Bob"))
    await app.worker.drain()
    alice_sees, bob_sees = await replies(client, alice), await replies(client, bob)
    assert first_lines(alice_sees) == [SATURDAY_HOURS]
    assert len(bob_sees) == 1 and "Market Street" in bob_sees[0]
    assert await replies(client, visitor()) == []


async def test_a_waiting_visitor_hears_as_soon_as_the_reply_is_sent(app: App, client: httpx.AsyncClient) -> None:
    me = visitor()
    await client.post("/webchat/messages", json=message(me, "are you open on saturday?"))
    channel = app.worker.channels["webchat"]
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiting = asyncio.create_task(client.get("/webchat/messages", params={"visitor_id": me}))
    await eventually(lambda: channel.replies.waiting == 1)
    await app.worker.drain()
    response = await asyncio.wait_for(waiting, timeout=5)
    assert first_lines([m["text"] for m in response.json()["messages"]]) == [SATURDAY_HOURS]
    assert loop.time() - started < 5  # well before the 10 s long-poll (and the 5 s re-check) ran out


async def test_a_reply_delivered_by_another_process_reaches_the_waiting_visitor(app: App) -> None:
    web = create_web_app(app, [webchat_provider(WebChatOptions(poll_timeout=10.0, recheck_seconds=0.05))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
        me = visitor()
        await http.post("/webchat/messages", json=message(me, "are you open on saturday?"))
        waiting = asyncio.create_task(http.get("/webchat/messages", params={"visitor_id": me}))
        await eventually(lambda: app.worker.channels["webchat"].replies.waiting == 1)
        elsewhere = OutboxWorker(app.db, app.clock, {"webchat": WebChatChannel()})
        await elsewhere.drain()  # a worker process with its own channel: nobody here is woken directly
        response = await asyncio.wait_for(waiting, timeout=5)
    assert first_lines([m["text"] for m in response.json()["messages"]]) == [SATURDAY_HOURS]


async def test_a_long_poll_with_nothing_to_say_answers_empty_at_the_timeout(app: App) -> None:
    web = create_web_app(app, [webchat_provider(WebChatOptions(poll_timeout=0.2, recheck_seconds=0.05))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(web), base_url="http://testserver") as http:
        response = await http.get("/webchat/messages", params={"visitor_id": visitor(), "after": 7})
    assert response.status_code == 200 and response.json() == {"messages": [], "cursor": 7}


async def test_replies_are_returned_exactly_as_sent_and_in_order(
        app: App, app_with: AppWith, client: httpx.AsyncClient) -> None:
    desk = StringIO()
    app = await app_with(app, owner=ConsoleDesk(desk))
    me = visitor()
    await client.post("/webchat/messages", json=message(me, "are you open on saturday?"))
    await app.worker.drain()
    async with app.db.session() as session:
        conversation = await conversations.find_conversation(session, "webchat", me)
    assert conversation is not None
    await app.approvals.take_over(conversation.id, "U0123SAM")
    for n, text in enumerate(["<b>Hi</b> & welcome", "Line one\nline two  ", "Third 🙂"]):
        await app.approvals.reply(conversation.id, "U0123SAM", text, reply_key=f"owner-{n}")
    await app.worker.drain()
    shown = await replies(client, me)
    assert shown[0].startswith(SATURDAY_HOURS)
    assert shown[1:] == ["<b>Hi</b> & welcome", "Line one\nline two  ", "Third 🙂"]
    async with app.db.session() as session:
        sent = [item.payload["text"] for item in await outbox.items(session, kind="reply", status="sent")]
    assert await replies(client, me) == sent


async def test_sent_messages_are_read_back_per_conversation_in_order(db: Database, clock: FrozenClock) -> None:
    alice, bob = visitor(), visitor()
    async with db.session() as session:
        for who in (alice, bob):
            inbound = to_inbound(parse_post(json.dumps(message(who, "hi")).encode()), clock.now())
            recorded = await conversations.record_inbound(session, inbound, clock.now())
            for n in range(3):
                await conversations.record_outbound(session, recorded.conversation.id, "webchat", f"out:{who}:{n}",
                                                    f"{who[:4]} reply {n}", clock.now())
    async with db.session() as session:
        everything = await transcripts.sent_after(session, "webchat", alice, 0)
        later = await transcripts.sent_after(session, "webchat", alice, everything[0].id)
        elsewhere = await transcripts.sent_after(session, "telegram", alice, 0)
    assert [m.text for m in everything] == [f"{alice[:4]} reply {n}" for n in range(3)]
    assert later == everything[1:] and elsewhere == []
    assert all(m.sent_at == clock.now() for m in everything)

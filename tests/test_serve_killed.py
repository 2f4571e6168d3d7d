"""`socialdesk serve` killed with SIGKILL while web chat visitors write, then started again: every
message it accepted (202) gets its reply, exactly once, and no web chat reply is written off as
"uncertain" (the web chat's replies are rows in our own database: nothing can be half sent)."""

from __future__ import annotations

import asyncio
import secrets
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

import httpx

from storage import outbox
from storage.engine import Database
from tests.test_cli import PROCESS_NOW
from tests.test_durability_processes import environment, free_port
from tests.test_worker_heartbeat import STARTUP, answering, started

QUESTION = "what time do you open on saturday?"
WRITERS = 6  # visitors writing at once, each from their own loopback address



async def visitors_write(base: str, writer: int, accepted: list[str], stop: asyncio.Event) -> None:
    """New visitors, one after another, each asking once; those answered 202 are `accepted`."""
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.{writer + 1}.1")
    async with httpx.AsyncClient(transport=transport, base_url=base, timeout=10) as client:
        while not stop.is_set():
            visitor = secrets.token_hex(16)
            try:
                response = await client.post("/webchat/messages", json={
                    "visitor_id": visitor, "name": "Jo", "text": QUESTION, "client_message_id": secrets.token_hex(6)})
            except httpx.TransportError:
                return  # the process is gone: this message was never accepted
            if response.status_code == 202:
                accepted.append(visitor)
            elif response.status_code == 429:
                await asyncio.sleep(0.05)  # the address's limit: another writer carries on meanwhile


async def replies(client: httpx.AsyncClient, visitor: str) -> list[str]:
    """The visitor's replies, asking again (as the widget does) until one comes or STARTUP runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP
    while True:
        response = await client.get("/webchat/messages", params={"visitor_id": visitor, "after": 0, "wait": 20})
        assert response.status_code == 200, response.text
        found = [message["text"] for message in response.json()["messages"]]
        if found or loop.time() > deadline:
            return found


async def statuses(url: str) -> Counter[str]:
    database = Database(url)
    try:
        async with database.session() as session:
            return Counter(item.status for item in await outbox.items(session, platform="webchat"))
    finally:
        await database.close()


async def test_serve_killed_during_web_chat_traffic_delivers_every_accepted_reply_after_a_restart(
        migrated_database_url: str, cafe: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    accepted: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        async with started("serve", "--port", str(port), cwd=cafe, env=environment(DATABASE_URL=migrated_database_url)) as serve:
            await answering(client)
            stop = asyncio.Event()
            writers = [asyncio.create_task(visitors_write(base, n, accepted, stop)) for n in range(WRITERS)]
            while len(accepted) < 60 and all(not w.done() for w in writers):
                await asyncio.sleep(0.01)
            await serve.stopped(signal.SIGKILL)  # in the middle of intake and delivery
            stop.set()
            await asyncio.gather(*writers)
        before = await statuses(migrated_database_url)

        # A supervisor starts it again a little later (past the dead process's one-minute lease).
        later = environment(DATABASE_URL=migrated_database_url, SOCIALDESK_NOW=(PROCESS_NOW + timedelta(minutes=2)).isoformat())
        async with started("serve", "--port", str(port), cwd=cafe, env=later) as serve:
            await answering(client)
            open_chats = asyncio.Semaphore(10)  # one address keeps only so many polls waiting

            async def heard_by(visitor: str) -> list[str]:
                async with open_chats:
                    return await replies(client, visitor)
            heard = await asyncio.gather(*(heard_by(visitor) for visitor in accepted))
            after = await statuses(migrated_database_url)
            errors = await serve.stopped()
    seen = f"{len(accepted)} accepted; web chat rows at the kill {dict(before)}, after the restart {dict(after)}"
    assert before["pending"] + before["claimed"] + before["sending"] > 0, seen  # the kill left work behind
    unanswered = [visitor for visitor, said in zip(accepted, heard) if not said]
    assert unanswered == [], seen
    assert all(len(said) == 1 for said in heard), seen
    assert set(after) == {"sent"}, seen  # none written off as uncertain
    assert "Traceback" not in errors, errors

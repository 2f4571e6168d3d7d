"""Someone is always listening: `socialdesk worker` writes a heartbeat, and `socialdesk serve` (at start
and in /health) says when cards and replies wait with no worker alive to send them. Real processes on a
SQLite file and on Postgres; the web chat posts a refund complaint, whose card waits for a worker.
/health also names a channel a live worker could not connect yet (Telegram out of reach)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from bot.clock import FrozenClock
from bot.heartbeat import STALE_AFTER, unattended, worker_alive
from bot.outbox import OutboxWorker
from storage import outbox, workers
from storage.engine import Database
from storage.migrate import upgrade
from tests.fakes.server import serve as serve_fake
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.test_cli import PROCESS_NOW, SOCIALDESK
from tests.test_durability_processes import environment, free_port
from tests.support.waiting import eventually

NO_WORKER_WARNING = "warning: no socialdesk worker is running"
# The longest a process may take to be up on a busy machine (it trains its model first): a deadline for
# failing, never a measure.
STARTUP = 120.0



@dataclass
class Process:
    process: asyncio.subprocess.Process
    output: asyncio.Task[bytes]
    errors: asyncio.Task[bytes]

    async def stopped(self, sig: signal.Signals = signal.SIGTERM) -> str:
        """Stop it with `sig`; what it wrote to stderr."""
        if self.process.returncode is None:
            self.process.send_signal(sig)
        await asyncio.wait_for(self.process.wait(), timeout=30)
        await self.output
        return (await self.errors).decode()


@contextlib.asynccontextmanager
async def started(*args: str, cwd: Path, env: dict[str, str]) -> AsyncIterator[Process]:
    process = await asyncio.create_subprocess_exec(
        SOCIALDESK, *args, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    running = Process(process, asyncio.create_task(process.stdout.read()), asyncio.create_task(process.stderr.read()))
    try:
        yield running
    finally:
        if process.returncode is None:
            await running.stopped(signal.SIGKILL)


async def answering(client: httpx.AsyncClient) -> None:
    async def up() -> bool:
        with contextlib.suppress(httpx.TransportError):
            return (await client.get("/health")).status_code in (200, 503)
        return False
    await eventually(up, timeout=STARTUP, every=0.05)


async def complaint(client: httpx.AsyncClient) -> None:
    """A web chat visitor asks for a refund: the reply waits for the owner, whose card waits for a worker."""
    response = await client.post("/webchat/messages", json={
        "visitor_id": secrets.token_hex(16), "name": "Jo", "text": "I want a refund, my coffee was cold",
        "client_message_id": secrets.token_hex(6)})
    assert response.status_code == 202, response.text


async def healthy(client: httpx.AsyncClient) -> bool:
    return (await client.get("/health")).status_code == 200


async def card_sent(url: str) -> bool:
    database = Database(url)
    try:
        async with database.session() as session:
            return [item.status for item in await outbox.items(session, kind="owner_card")] == [outbox.SENT]
    finally:
        await database.close()


async def worker_rows(url: str, platforms: tuple[str, ...] | None = None) -> list[workers.Worker]:
    """The heartbeat rows of workers that deliver `platforms` (None: every platform, as `worker` does)."""
    database = Database(url)
    try:
        async with database.session() as session:
            found = await workers.alive(session, PROCESS_NOW - timedelta(days=1))
    finally:
        await database.close()
    return [worker for worker in found if worker.platforms == platforms]


async def test_serve_says_no_worker_is_alive_while_a_card_waits_until_a_worker_runs(migrated_database_url: str, cafe: Path) -> None:
    port = free_port()
    env = environment(DATABASE_URL=migrated_database_url)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        async with started("serve", "--port", str(port), cwd=cafe, env=env) as serve:
            await answering(client)
            assert await healthy(client)  # nothing waits yet
            await complaint(client)
            alone = await client.get("/health")

            async with started("worker", cwd=cafe, env=env) as worker:
                await eventually(lambda: card_sent(migrated_database_url), timeout=STARTUP, every=0.05)  # to the owner's desk (the log)
                answered = await client.get("/health")
                (beating,) = await worker_rows(migrated_database_url)
                await worker.stopped()
            stopped_cleanly = await worker_rows(migrated_database_url)

            async with started("worker", cwd=cafe, env=env) as worker:
                await eventually(lambda: _has_worker(migrated_database_url), timeout=STARTUP, every=0.05)
                await worker.stopped(signal.SIGKILL)  # no goodbye: its row stays and goes stale
            first_errors = await serve.stopped()

        # Serve again ten minutes on, as after a night of nobody looking.
        later = environment(DATABASE_URL=migrated_database_url, SOCIALDESK_NOW=(PROCESS_NOW + timedelta(minutes=10)).isoformat())
        async with started("serve", "--port", str(port), cwd=cafe, env=later) as serve:
            await answering(client)
            await complaint(client)
            stale = await client.get("/health")
            second_errors = await serve.stopped()

    assert alone.status_code == 503
    assert alone.json()["outbox"] == "no worker alive" and alone.json()["waiting"] == {"owner": 1}
    assert alone.json()["problem"].startswith("no worker alive: 1 outgoing message waits (owner 1) and no worker is running")
    assert answered.status_code == 200
    assert beating.platforms is None and beating.seen_at >= PROCESS_NOW
    assert stopped_cleanly == []
    assert stale.status_code == 503 and stale.json()["waiting"] == {"owner": 1}
    assert "no worker has been heard from since 2026-11-25 10:0" in stale.json()["problem"]
    for errors in (first_errors, second_errors):
        assert NO_WORKER_WARNING in errors and "Traceback" not in errors, errors


async def _has_worker(url: str, platforms: tuple[str, ...] | None = None) -> bool:
    return bool(await worker_rows(url, platforms))


async def test_a_heartbeat_goes_stale_a_minute_after_the_worker_stops_beating(db: Database) -> None:
    clock = FrozenClock(PROCESS_NOW)
    async with db.session() as session:
        await outbox.enqueue(session, key="card:1", kind="owner_card", platform="owner", payload={"draft_id": 1},
                             due_at=clock.now(), now=clock.now())
        await workers.beat(session, "cafe-host:41", None, started_at=clock.now(), now=clock.now())
    fresh = await unattended(db, clock), await worker_alive(db, clock)
    clock.advance(STALE_AFTER + timedelta(seconds=1))
    stale = await unattended(db, clock), await worker_alive(db, clock)
    assert fresh == (None, True)
    assert stale[1] is False and stale[0] is not None and stale[0].waiting == {"owner": 1}


async def test_a_web_process_worker_covers_only_its_own_platforms(db: Database) -> None:
    clock = FrozenClock(PROCESS_NOW)
    web = OutboxWorker(db, clock, worker_id="web:7", only_platforms=("webchat",))
    stop = asyncio.Event()
    async with db.session() as session:
        for platform, kind in (("webchat", "reply"), ("owner", "owner_card")):
            await outbox.enqueue(session, key=f"{kind}:{platform}", kind=kind, platform=platform,
                                 payload={"draft_id": 1, "thread_key": "v", "text": "hi"},
                                 due_at=clock.now() + timedelta(seconds=30), now=clock.now())
    task = asyncio.create_task(web.run_forever(stop))
    try:
        await eventually(lambda: _has_worker(db.url, ("webchat",)), timeout=20.0, every=0.05)
        clock.advance(timedelta(seconds=30))  # both rows come due while the web worker's beat is fresh
        found = await unattended(db, clock)
    finally:
        stop.set()
        await task
    assert found is not None and found.waiting == {"owner": 1}
    assert await worker_rows(db.url, ("webchat",)) == []  # gone on a clean stop


async def test_health_names_a_channel_the_worker_cannot_reach_until_it_connects(cafe: Path) -> None:
    url = f"sqlite+aiosqlite:///{cafe / 'socialdesk.db'}"
    await upgrade(url)
    port, telegram_port = free_port(), free_port()
    worker_env = environment(DATABASE_URL=url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=f"http://127.0.0.1:{telegram_port}")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        async with started("serve", "--port", str(port), cwd=cafe, env=environment(DATABASE_URL=url)) as serve, \
                started("worker", cwd=cafe, env=worker_env) as worker:
            await answering(client)

            async def says(status: str) -> bool:
                return (await client.get("/health")).json()["status"] == status
            await eventually(lambda: says("degraded"), timeout=STARTUP, every=0.05)  # Telegram is not there yet
            degraded = await client.get("/health")
            async with serve_fake(FakeBotApi().app(), port=telegram_port):
                await eventually(lambda: says("ok"), timeout=STARTUP, every=0.05)  # its retry connects; the next beat says so
            await worker.stopped()
            await serve.stopped()
    assert degraded.status_code == 200
    assert degraded.json()["channels_down"] == ["telegram"]
    assert degraded.json()["problem"].startswith("telegram cannot be reached yet: the worker keeps trying")

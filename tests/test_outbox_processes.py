"""The outbox with real processes: `socialdesk run` (SQLite) or `socialdesk worker` (Postgres) killed with
SIGKILL in the middle of a slow send to the fake Telegram Bot API. Afterwards every reply reaches the
customer exactly once, except at most the one that was in flight, which is marked uncertain and the owner
told; none of the replies the dead process had claimed but never tried is lost."""

from __future__ import annotations

import asyncio
import copy
import os
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from telegram import Bot

from bot.app import build_app
from bot.clock import FrozenClock
from bot.handlers.telegram.channel import TelegramChannel, api_base_url
from bot.handlers.telegram.parse import to_inbound
from bot.outbox import OutboxWorker
from storage import outbox
from storage.engine import Database
from storage.migrate import upgrade
from tests.conftest import POSTGRES_SKIP, _admin
from tests.fakes.server import serve
from tests.support.waiting import eventually
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.payloads.load import payload
from tests.test_cli import PROCESS_NOW, SOCIALDESK
from tests.test_durability_processes import environment, outbox_reaches, outbox_statuses, queue_telegram_replies
from tests.test_worker_heartbeat import STARTUP
from tests.support.apps import settings_for

CUSTOMERS = range(4001, 4007)
LEASE = timedelta(seconds=60)  # the worker's default lease


@pytest.fixture(params=["run-sqlite", "worker-postgres"])
async def deployment(request: pytest.FixtureRequest, cafe: Path, postgres_server_url: str | None) -> tuple[str, str]:
    """The command to kill and the database it shares with the test."""
    if request.param == "run-sqlite":
        return "run", f"sqlite+aiosqlite:///{cafe / 'socialdesk.db'}"
    if postgres_server_url is None:
        pytest.skip(POSTGRES_SKIP)
    await _admin(postgres_server_url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return "worker", postgres_server_url


async def customers_ask(url: str, cafe: Path) -> None:
    """Each customer asks on Telegram while no channel runs: their answers wait in the outbox together."""
    await upgrade(url)
    settings = settings_for(cafe, url)
    app = await build_app(settings, clock=FrozenClock(PROCESS_NOW))  # the processes' clock starts here too
    try:
        for chat in CUSTOMERS:
            update = copy.deepcopy(payload("telegram", "private_text"))
            update["message"]["chat"]["id"] = update["message"]["from"]["id"] = chat
            inbound = to_inbound(update, "CornerBean_bot", 7000001)
            assert inbound is not None
            await app.router.handle(inbound)
    finally:
        await app.close()


async def killed_mid_send(command: str, url: str, cafe: Path, telegram: FakeBotApi, base: str) -> None:
    """Start the process, wait until its first reply is on the wire to a slow Telegram, then SIGKILL it."""
    telegram.delay["sendMessage"] = 30.0
    env = environment(DATABASE_URL=url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=base)
    process = await asyncio.create_subprocess_exec(
        SOCIALDESK, command, cwd=cafe, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        await eventually(lambda: "sendMessage" in telegram.calls or process.returncode is not None, timeout=60)
        assert process.returncode is None, (await process.stderr.read()).decode() if process.stderr else ""
        telegram.delay.clear()  # the request in flight stays slow; whatever comes later is answered at once
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL


async def test_a_process_killed_mid_send_loses_no_reply_and_sends_none_twice(
        deployment: tuple[str, str], cafe: Path) -> None:
    command, url = deployment
    await customers_ask(url, cafe)
    telegram = FakeBotApi()
    async with serve(telegram.app()) as base:
        await killed_mid_send(command, url, cafe, telegram, base)
        in_flight = telegram.calls.count("sendMessage")
        # The next worker, once the dead one's lease has run out.
        database = Database(url)
        # (The killed process's clock started at PROCESS_NOW; ten minutes covers however long it ran.)
        later = FrozenClock(PROCESS_NOW + LEASE + timedelta(minutes=10))
        channel = TelegramChannel(Bot(TOKEN, base_url=api_base_url(base)), database, clock=later)
        try:
            await OutboxWorker(database, later, {"telegram": channel}).drain()
            async with database.session() as session:
                uncertain = await outbox.items(session, status=outbox.UNCERTAIN)
                notes = await outbox.items(session, kind="owner_note")
        finally:
            await channel.stop()
            await database.close()
        received = Counter(int(params["chat_id"]) for params in telegram.sent)
    assert in_flight == 1
    assert await outbox_statuses(url) == {"sent": len(CUSTOMERS) - 1, "uncertain": 1, "pending": 1}
    (maybe,) = uncertain
    others = [chat for chat in CUSTOMERS if str(chat) != maybe.payload["thread_key"]]
    assert all(received[chat] == 1 for chat in others), received
    assert received[int(maybe.payload["thread_key"])] <= 1
    assert [note.idempotency_key for note in notes] == [f"note:not-sent:{maybe.id}"]  # waits for the owner's desk


async def test_a_worker_whose_database_stops_mid_batch_sends_every_reply_once_when_it_is_back(
        postgres_server_url: str | None, cafe: Path) -> None:
    """`socialdesk worker` sending 20 replies to a slow Telegram when its Postgres database stops accepting
    connections (every session cut), and starts again: each customer gets their reply exactly once, none
    is written off as uncertain, and nothing waits for a lease to run out."""
    if postgres_server_url is None:
        pytest.skip(POSTGRES_SKIP)
    await _admin(postgres_server_url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    await upgrade(postgres_server_url)
    name, server = make_url(postgres_server_url).database, os.environ["TEST_DATABASE_URL"]
    database = Database(postgres_server_url)
    async with database.session() as session:
        await queue_telegram_replies(session, range(5000, 5020))
    await database.close()
    telegram = FakeBotApi()
    telegram.delay["sendMessage"] = 0.2
    errors: list[str] = []
    async with serve(telegram.app()) as base:
        env = environment(DATABASE_URL=postgres_server_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=base)
        process = await asyncio.create_subprocess_exec(
            SOCIALDESK, "worker", cwd=cafe, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        reading = asyncio.create_task(_lines(process, errors))
        try:
            await eventually(lambda: telegram.calls.count("sendMessage") >= 3, timeout=STARTUP)
            await _admin(server, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            await _admin(server, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
            await eventually(lambda: any("outbox round failed" in line for line in errors), timeout=STARTUP)
            await _admin(server, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await outbox_reaches(postgres_server_url, {"sent": 20}, timeout=STARTUP)
        finally:
            await _admin(server, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
            await reading
    received = Counter(int(params["chat_id"]) for params in telegram.sent)
    assert received == Counter(range(5000, 5020))


async def _lines(process: asyncio.subprocess.Process, into: list[str]) -> None:
    assert process.stderr is not None
    async for line in process.stderr:
        into.append(line.decode(errors="replace"))

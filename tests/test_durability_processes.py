"""Durability with real processes, as a deployment runs them: `socialdesk db upgrade` on Postgres,
two `socialdesk worker` processes sharing one Postgres outbox, `socialdesk serve` and `socialdesk run`
sharing one SQLite file under a burst of web chat messages, and refusing a schema that is behind."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import socket
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.engine import Database
from storage.migrate import require_current, upgrade
from tests.conftest import POSTGRES_SKIP, _admin
from tests.fakes.server import serve
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.test_cli import PROCESS_NOW, SOCIALDESK, clean_environment
from tests.support.waiting import eventually

SATURDAY_HOURS = "We're open 9am–5pm on Saturday 28 November."


@pytest.fixture
async def postgres_url(postgres_server_url: str | None) -> str:
    if postgres_server_url is None:
        pytest.skip(POSTGRES_SKIP)
    await _admin(postgres_server_url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return postgres_server_url


def environment(**values: str) -> dict[str, str]:
    env = clean_environment()
    env.update(values)
    return env


async def socialdesk(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run one command to the end (at most 60 seconds)."""
    process = await asyncio.create_subprocess_exec(SOCIALDESK, *args, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@contextlib.asynccontextmanager
async def running(*commands: tuple[str, ...], cwd: Path, env: dict[str, str]) -> AsyncIterator[None]:
    """Long-running commands, started together; `run` and `worker` are waited for until they print their
    channels (`serve` prints nothing: the test asks its /health).
    Afterwards each is stopped with SIGTERM: it must shut down cleanly (uvicorn, once shut down, re-raises
    the signal) and say nothing of tracebacks or a locked database."""
    processes = [await asyncio.create_subprocess_exec(
        SOCIALDESK, *command, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE) for command in commands]
    errors = [asyncio.create_task(p.stderr.read()) for p in processes if p.stderr is not None]
    try:
        async with asyncio.timeout(120):  # a deadline for a busy machine, not a measure
            started = await asyncio.gather(*(p.stdout.readline() for p, command in zip(processes, commands)
                                             if p.stdout is not None and command[0] != "serve"))
        assert all(started), [(await e).decode() for e in errors]
        yield
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.gather(*(p.stdout.read() for p in processes if p.stdout is not None),
                                              *(p.wait() for p in processes)), timeout=30)
        stderr = [(await e).decode() for e in errors]
    for process, text in zip(processes, stderr):
        assert process.returncode in (0, -signal.SIGTERM), text
        assert "Traceback" not in text and "database is locked" not in text, text


async def outbox_reaches(url: str, expected: dict[str, int], timeout: float = 20.0) -> None:
    """Wait until the outbox's rows are in exactly these states; on timeout, show where they are."""
    seen: dict[str, int] = {}

    async def reached() -> bool:
        nonlocal seen
        seen = await outbox_statuses(url)
        return seen == expected

    with contextlib.suppress(AssertionError):
        await eventually(reached, timeout, every=0.05)
    assert seen == expected


async def test_db_upgrade_on_an_empty_postgres_then_again_changes_nothing(postgres_url: str, cafe: Path) -> None:
    env = environment(DATABASE_URL=postgres_url)
    first = await socialdesk("db", "upgrade", cwd=cafe, env=env)
    second = await socialdesk("db", "upgrade", cwd=cafe, env=env)
    assert first[:2] == (0, "database is up to date\n")
    assert second[:2] == (0, "database is up to date\n")
    await require_current(postgres_url)  # at the code's head: nothing raised
    database = Database(postgres_url)
    try:
        async with database.session() as session:
            versions = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        await database.close()
    assert len(versions) == 1


@pytest.mark.parametrize("schema, says", [
    (None, "has no socialdesk tables yet: run `socialdesk db upgrade`"),
    ("0001", "is at schema 0001 but this version needs"),
])
async def test_a_worker_refuses_a_postgres_schema_that_is_behind_in_one_line(
        postgres_url: str, cafe: Path, schema: str | None, says: str) -> None:
    if schema is not None:
        await upgrade(postgres_url, schema)
    code, out, err = await socialdesk("worker", cwd=cafe, env=environment(DATABASE_URL=postgres_url))
    assert code == 1 and out == ""
    assert err.startswith("error: the database at postgresql+asyncpg://") and says in err
    assert len(err.strip().splitlines()) == 1


async def queue_telegram_replies(session: AsyncSession, chats: range) -> None:
    now = PROCESS_NOW  # the workers' clock
    for chat in chats:
        await outbox.enqueue(session, key=f"reply:tg:{chat}", kind="reply", platform="telegram",
                             payload={"thread_key": str(chat), "text": f"answer for {chat}"}, due_at=now, now=now)


async def waiting_on_a_lock(database: Database) -> int:
    """How many sessions on this database wait for a lock (workers queued behind the test's transaction)."""
    async with database.session() as session:
        return int(await session.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")))


async def outbox_statuses(url: str) -> Counter[str]:
    database = Database(url)
    try:
        async with database.session() as session:
            return Counter(row.status for row in await outbox.items(session))
    finally:
        await database.close()


async def test_two_worker_processes_on_one_postgres_send_every_reply_exactly_once(postgres_url: str, cafe: Path) -> None:
    telegram = FakeBotApi()
    await upgrade(postgres_url)
    database, observer = Database(postgres_url), Database(postgres_url)
    async with database.session() as session:
        await queue_telegram_replies(session, range(1000, 1010))  # waiting from before the workers started
    try:
        async with serve(telegram.app()) as base:
            env = environment(DATABASE_URL=postgres_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=base)
            async with running(("worker",), ("worker",), cwd=cafe, env=env):
                async with database.session() as session:
                    # Hold the outbox while both workers come to claim, so both claim in the same instant.
                    await session.execute(text("LOCK TABLE outbox IN EXCLUSIVE MODE"))
                    await queue_telegram_replies(session, range(2000, 2060))

                    async def both_waiting() -> bool:
                        return await waiting_on_a_lock(observer) >= 2
                    await eventually(both_waiting, timeout=20.0, every=0.05)

                await outbox_reaches(postgres_url, {"sent": 70})
    finally:
        await database.close()
        await observer.close()
    chats = Counter(int(params["chat_id"]) for params in telegram.sent)
    assert sorted(chats) == [*range(1000, 1010), *range(2000, 2060)]
    assert set(chats.values()) == {1}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def post_burst(base: str, source: str, visitors: list[tuple[str, str]]) -> list[int]:
    """Each visitor posts one message at once, from `source` (an address on the loopback network)."""
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(transport=transport, base_url=base, timeout=30) as client:
        responses = await asyncio.gather(*(client.post("/webchat/messages", json={
            "visitor_id": visitor, "name": "Jo", "text": question, "client_message_id": secrets.token_hex(6)})
            for visitor, question in visitors))
    return [response.status_code for response in responses]


async def replies_to(client: httpx.AsyncClient, visitor: str) -> list[str]:
    response = await client.get("/webchat/messages", params={"visitor_id": visitor, "after": 0, "wait": 10})
    assert response.status_code == 200, response.text
    return [m["text"].splitlines()[0] for m in response.json()["messages"]]


async def test_serve_and_run_share_one_sqlite_file_through_a_burst(cafe: Path) -> None:
    url = f"sqlite+aiosqlite:///{cafe / 'socialdesk.db'}"
    port = free_port()
    env = environment(DATABASE_URL=url)
    asking = [(secrets.token_hex(16), "what time do you open on saturday?") for _ in range(25)]
    complaining = [(secrets.token_hex(16), "I want a refund, my coffee was cold") for _ in range(25)]
    async with running(("serve", "--port", str(port)), ("run",), cwd=cafe, env=env):
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            async def healthy() -> bool:
                with contextlib.suppress(httpx.TransportError):
                    return (await client.get("/health")).status_code == 200
                return False
            await eventually(healthy, timeout=20.0, every=0.05)
            codes = await asyncio.gather(post_burst(base, "127.0.0.2", asking[:13] + complaining[:12]),
                                         post_burst(base, "127.0.0.3", asking[13:] + complaining[12:]))
            open_chats = asyncio.Semaphore(10)  # one address keeps only so many polls waiting

            async def answer_for(visitor: str) -> list[str]:
                async with open_chats:
                    return await replies_to(client, visitor)
            answers = await asyncio.gather(*(answer_for(visitor) for visitor, _ in asking))

            # 25 answers; for the 25 refunds held for the owner, 25 cards and 25 acknowledgements.
            await outbox_reaches(url, {"sent": 75})
    assert [code for batch in codes for code in batch] == [202] * 50
    assert answers == [[SATURDAY_HOURS]] * 25
    database = Database(url)
    try:
        async with database.session() as session:
            assert (await session.execute(text("PRAGMA integrity_check"))).scalar() == "ok"
            directions = dict((await session.execute(
                text("SELECT direction, count(*) FROM messages GROUP BY direction"))).all())
    finally:
        await database.close()
    assert directions == {"in": 50, "out": 50}  # 25 answers and 25 acknowledgements of held refunds

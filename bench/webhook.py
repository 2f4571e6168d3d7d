"""Webhook ingest: Telegram updates posted to `socialdesk serve` while `socialdesk worker` sends the replies.

    python bench/webhook.py [--updates 5000] [--concurrency 50] [--database sqlite|postgres] [--json]

Starts real `serve` and `worker` processes on one database (an SQLite file, or a fresh database on the
Postgres server of TEST_DATABASE_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/test), both
pointed at the fake Telegram Bot API from the tests. Posts N distinct private questions, each from a new
customer, to /telegram/webhook at the given concurrency and prints requests per second, p50 and p99 in
milliseconds, the error count, the CPU time `serve` spent per update and `worker` per reply, and, while
the updates were posted, the CPU per update of each process on the cores (serve, worker, the Postgres
server, this bench with its fake platform) and how many cores were busy. Then it waits for the replies
and counts, in the database and at the fake: every update recorded once, every reply queued once and
sent once. It exits non-zero if anything was lost or doubled, or if a question went to the owner instead
of being answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import os
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cafe import cafe_folder  # noqa: E402
from storage.engine import Database  # noqa: E402
from tests.fakes.server import serve  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeBotApi  # noqa: E402
from tests.payloads.load import payload  # noqa: E402

SOCIALDESK = str(Path(sys.executable).parent / "socialdesk")
QUESTIONS = ["what time do you open on saturday?", "where are you?", "do you have wifi", "can I bring my dog",
             "what's on the menu?", "are you open now?"]
SECRET = secrets.token_hex(16)
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
WARM_UP = 20


def update(number: int) -> dict[str, Any]:
    body = copy.deepcopy(payload("telegram", "private_text"))
    body["update_id"] = 700_000 + number
    message = body["message"]
    message["message_id"] = 10 + number
    message["chat"]["id"] = message["from"]["id"] = 6_000_000 + number  # a new customer each time
    message["text"] = QUESTIONS[number % len(QUESTIONS)]
    message["date"] = int(time.time())
    return body


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def postgres_database(server_url: str) -> Any:
    """A database of the bench's own on the server, dropped afterwards."""
    import asyncpg
    from sqlalchemy.engine import make_url

    parsed, name = make_url(server_url), f"socialdesk_bench_{secrets.token_hex(5)}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(user=parsed.username, password=parsed.password, host=parsed.host,
                                           port=parsed.port or 5432, database=parsed.database)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def processes(folder: Path, env: dict[str, str], commands: dict[str, tuple[str, ...]]) -> Any:
    """socialdesk processes (a name each: its command's arguments), stopped with SIGTERM afterwards. Their
    stderr goes to files, not pipes: a pipe nobody reads fills up and then blocks the process mid-log,
    holding whatever it holds."""
    logs = {name: folder / f"{name}.log" for name in commands}
    started = []
    for name, command in commands.items():
        with logs[name].open("wb") as log_file:
            started.append(await asyncio.create_subprocess_exec(
                SOCIALDESK, *command, cwd=folder, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=log_file))
    try:
        yield {name: process.pid for name, process in zip(commands, started)}
    finally:
        for process in started:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(asyncio.gather(*(p.wait() for p in started)), timeout=30)
    for name, path in logs.items():
        errors = path.read_text(encoding="utf-8", errors="replace")
        if "Traceback" in errors:
            raise SystemExit(f"`socialdesk {name}` failed (its log: {path}):\n{errors[-4000:]}")


def postgres_cpu_seconds() -> dict[int, float]:
    """CPU time each of the machine's Postgres server processes has used so far (none where none run):
    the server shares the cores with the bot, so its share of the work counts as much as the bot's."""
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            text = stat.read_text()
            if text.split("(", 1)[1].rsplit(")", 1)[0] == "postgres":
                used[int(stat.parent.name)] = _cpu_of(text)
    return used


def postgres_cpu_since(before: dict[int, float]) -> float:
    """What the server's processes used since `before` (a process that ended meanwhile is not counted)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in postgres_cpu_seconds().items())


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (user + system, from /proc): steadier than wall time on a
    machine that runs other work too."""
    return _cpu_of(Path(f"/proc/{pid}/stat").read_text())


def _cpu_of(stat: str) -> float:
    """User + system time from the text of /proc/PID/stat (after the command name, which may hold spaces)."""
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def until(condition: Any, timeout: float, what: str) -> None:
    """Wait for `condition()` (a value or an awaitable) to be true."""
    deadline = time.monotonic() + timeout
    while not await _value(condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


async def post_all(client: aiohttp.ClientSession, url: str, bodies: list[dict[str, Any]],
                   concurrency: int) -> tuple[list[float], Counter[int]]:
    queue = list(reversed(bodies))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def poster() -> None:
        while queue:
            body = queue.pop()
            start = time.perf_counter()
            try:
                async with client.post(url, json=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] += 1
            except aiohttp.ClientError:
                statuses[0] += 1
            latencies.append((time.perf_counter() - start) * 1000)

    await asyncio.gather(*(poster() for _ in range(concurrency)))
    return latencies, statuses


async def counts(url: str) -> dict[str, Any]:
    database = Database(url)
    try:
        async with database.session() as session:
            async def one(sql: str) -> Any:
                return (await session.execute(text(sql))).scalar()
            return {
                "updates_recorded": await one("SELECT count(*) FROM messages WHERE direction = 'in'"),
                "updates_recorded_twice": await one(
                    "SELECT count(*) FROM (SELECT external_id FROM messages WHERE direction = 'in' "
                    "GROUP BY platform, external_id HAVING count(*) > 1) AS doubled"),
                "replies_queued": await one("SELECT count(*) FROM outbox WHERE kind = 'reply'"),
                "replies_sent": await one("SELECT count(*) FROM outbox WHERE kind = 'reply' AND status = 'sent'"),
                "other_outbox_rows": await one("SELECT count(*) FROM outbox WHERE kind <> 'reply'"),
            }
    finally:
        await database.close()


async def measure(updates: int, concurrency: int, database_url: str) -> dict[str, Any]:
    folder = cafe_folder("socialdesk-webhook-", with_event=False)
    telegram = FakeBotApi()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with serve(telegram.app()) as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "X_", "DATABASE_"))}
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api, TELEGRAM_WEBHOOK_SECRET=SECRET,
                   PUBLIC_BASE_URL=base, DATABASE_URL=database_url, PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
        upgrade = await asyncio.create_subprocess_exec(SOCIALDESK, "db", "upgrade", cwd=folder, env=env,
                                                       stdout=asyncio.subprocess.DEVNULL)
        if await upgrade.wait() != 0:
            raise SystemExit("socialdesk db upgrade failed")
        commands = {"serve": ("serve", "--port", str(port)), "worker": ("worker",)}
        async with processes(folder, env, commands) as pids, aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=concurrency)) as client:
            async def healthy() -> bool:
                with contextlib.suppress(aiohttp.ClientError):
                    async with client.get(f"{base}/health") as response:
                        return response.status == 200
                return False
            await until(healthy, 120, "socialdesk serve")
            await until(lambda: bool(telegram.webhook), 120, "the worker to register the webhook")
            bodies = [update(number) for number in range(updates + WARM_UP)]
            await post_all(client, f"{base}/telegram/webhook", bodies[:WARM_UP], 5)  # first messages load more
            await until(lambda: len(telegram.sent) >= WARM_UP, 60, "the warm-up replies")
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            server_before, bench_before = postgres_cpu_seconds(), time.process_time()
            started = time.perf_counter()
            latencies, statuses = await post_all(client, f"{base}/telegram/webhook", bodies[WARM_UP:], concurrency)
            elapsed = time.perf_counter() - started
            ingest_cpu = {"postgres": postgres_cpu_since(server_before), "bench": time.process_time() - bench_before,
                          **{name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}}
            await until(lambda: len(telegram.sent) >= updates + WARM_UP, 300, "every reply")
            cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
            await asyncio.sleep(1)  # anything doubled would arrive now
            found = await counts(database_url)
    chats = Counter(int(sent["chat_id"]) for sent in telegram.sent)
    latencies.sort()
    result = {
        "updates": updates, "concurrency": concurrency, "database": database_url.split(":")[0],
        "requests_per_second": round(updates / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "errors": sum(n for status, n in statuses.items() if status != 200),
        "serve_cpu_us_per_update": round(cpu["serve"] / updates * 1e6),
        "worker_cpu_us_per_reply": round(cpu["worker"] / updates * 1e6),
        # While the updates were posted: each process's CPU per update, and how busy the cores were.
        **{f"ingest_{name}_cpu_us_per_update": round(seconds / updates * 1e6) for name, seconds in ingest_cpu.items()},
        "ingest_cores_busy": round(sum(ingest_cpu.values()) / elapsed, 2),
        **found,
        "sent_at_fake": len(telegram.sent), "chats_answered_twice": sum(1 for n in chats.values() if n > 1),
    }
    total = updates + WARM_UP
    exact = (found["updates_recorded"] == found["replies_queued"] == found["replies_sent"] == total
             and result["sent_at_fake"] == total and not found["updates_recorded_twice"]
             and not found["other_outbox_rows"]  # every question answered alone: no card for the owner
             and not result["chats_answered_twice"] and not result["errors"])
    result["exact"] = exact
    return result


async def _value(found: Any) -> Any:
    return await found if asyncio.iscoroutine(found) else found


async def run(updates: int, concurrency: int, database: str) -> dict[str, Any]:
    if database == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="socialdesk-webhook-db-"))
        return await measure(updates, concurrency, f"sqlite+aiosqlite:///{folder / 'socialdesk.db'}")
    async with postgres_database(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)) as url:
        return await measure(updates, concurrency, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.updates, args.concurrency, args.database))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    if not result["exact"]:
        raise SystemExit("updates or replies were lost or doubled (see the counts above)")


if __name__ == "__main__":
    main()

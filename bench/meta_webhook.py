"""Meta webhook ingest: how fast `socialdesk serve` answers Meta, and how soon every message is routed.

    python bench/meta_webhook.py [--deliveries 2000] [--concurrency 20] [--database sqlite|postgres] [--json]

Starts a real `socialdesk serve` on one database (an SQLite file, or a fresh database on the Postgres
server of TEST_DATABASE_URL) with WhatsApp set up against the fake Graph API from the tests, and posts
N signed WhatsApp questions, each from a new customer, to /meta/webhook at the given concurrency. Meta
waits a few seconds for its 200 and sends the delivery again when it does not come, so what counts is
how long the answer takes: the bench prints requests per second and the answer's p50 and p99 in
milliseconds, then the seconds from the first request until the router has queued a reply to every
question (routing goes on after the answer). It checks every message was recorded once and every reply
queued once, and exits non-zero otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cafe import cafe_folder  # noqa: E402
from bench.webhook import DEFAULT_POSTGRES, SOCIALDESK, free_port, postgres_database, processes, until  # noqa: E402
from bot.handlers.meta.signature import HEADER, signature_for  # noqa: E402
from storage.engine import Database  # noqa: E402
from tests.fakes.graph_api import TOKEN, FakeGraphApi  # noqa: E402
from tests.fakes.server import serve  # noqa: E402
from tests.payloads.load import payload  # noqa: E402

APP_SECRET = "bench-app-secret"
QUESTIONS = ["what time do you open on saturday?", "where are you?", "are you open now?", "what's on the menu?"]
WARM_UP = 20


def question(number: int) -> bytes:
    body = copy.deepcopy(payload("meta", "whatsapp_text"))
    value = body["entry"][0]["changes"][0]["value"]
    customer = str(447_700_100_000 + number)
    value["contacts"][0]["wa_id"] = customer
    value["messages"][0].update({"from": customer, "id": f"wamid.ingest{number}", "timestamp": str(int(time.time())),
                                 "text": {"body": QUESTIONS[number % len(QUESTIONS)]}})
    return json.dumps(body).encode()


async def count(database_url: str, sql: str) -> int:
    from sqlalchemy import text

    database = Database(database_url)
    try:
        async with database.session() as session:
            return int((await session.execute(text(sql))).scalar() or 0)
    finally:
        await database.close()


async def post_all(client: aiohttp.ClientSession, url: str, bodies: list[bytes], concurrency: int) -> list[float]:
    queue, latencies = list(reversed(bodies)), []

    async def poster() -> None:
        while queue:
            raw = queue.pop()
            headers = {"Content-Type": "application/json", HEADER: signature_for(raw, APP_SECRET)}
            started = time.perf_counter()
            async with client.post(url, data=raw, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise SystemExit(f"the Meta webhook answered {response.status}")
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(poster() for _ in range(concurrency)))
    return latencies


async def measure(deliveries: int, concurrency: int, database_url: str) -> dict[str, Any]:
    folder = cafe_folder("socialdesk-meta-webhook-", with_event=False)
    graph = FakeGraphApi()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    replies = "SELECT count(*) FROM outbox WHERE kind = 'reply'"
    async with serve(graph.app()) as api:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "SLACK_", "X_", "DATABASE_", "META_", "WHATSAPP_", "GRAPH_"))}
        env.update(META_APP_SECRET=APP_SECRET, META_VERIFY_TOKEN="bench", GRAPH_API_URL=api, WHATSAPP_TOKEN=TOKEN,
                   WHATSAPP_PHONE_NUMBER_ID="106540352242922", DATABASE_URL=database_url, PYTHONPATH=str(ROOT),
                   LOG_LEVEL="WARNING")
        upgrade = await asyncio.create_subprocess_exec(SOCIALDESK, "db", "upgrade", cwd=folder, env=env,
                                                       stdout=asyncio.subprocess.DEVNULL)
        if await upgrade.wait() != 0:
            raise SystemExit("socialdesk db upgrade failed")
        async with processes(folder, env, {"serve": ("serve", "--port", str(port))}), aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=concurrency)) as client:
            async def listening() -> bool:
                with contextlib.suppress(aiohttp.ClientError):
                    async with client.get(f"{base}/health") as response:
                        return response.status in (200, 503)  # 503: no worker runs, as expected here
                return False
            await until(listening, 120, "socialdesk serve")
            bodies = [question(number) for number in range(deliveries + WARM_UP)]
            await post_all(client, f"{base}/meta/webhook", bodies[:WARM_UP], 5)
            await until(lambda: _at_least(database_url, replies, WARM_UP), 60, "the warm-up replies")
            started = time.perf_counter()
            latencies = await post_all(client, f"{base}/meta/webhook", bodies[WARM_UP:], concurrency)
            answered = time.perf_counter() - started
            await until(lambda: _at_least(database_url, replies, deliveries + WARM_UP), 600, "every reply queued")
            routed = time.perf_counter() - started
        recorded = await count(database_url, "SELECT count(*) FROM messages WHERE direction = 'in'")
        queued = await count(database_url, replies)
    latencies.sort()
    total = deliveries + WARM_UP
    return {
        "deliveries": deliveries, "concurrency": concurrency, "database": database_url.split(":")[0],
        "requests_per_second": round(deliveries / answered, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "all_answered_s": round(answered, 2), "all_routed_s": round(routed, 2),
        "messages_recorded": recorded, "replies_queued": queued, "exact": recorded == queued == total,
    }


async def _at_least(database_url: str, sql: str, wanted: int) -> bool:
    return await count(database_url, sql) >= wanted


async def run(deliveries: int, concurrency: int, database: str) -> dict[str, Any]:
    if database == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="socialdesk-meta-webhook-db-"))
        return await measure(deliveries, concurrency, f"sqlite+aiosqlite:///{folder / 'socialdesk.db'}")
    async with postgres_database(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)) as url:
        return await measure(deliveries, concurrency, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.deliveries, args.concurrency, args.database))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")
    if not result["exact"]:
        raise SystemExit("messages or replies were lost or doubled (see the counts above)")


if __name__ == "__main__":
    main()

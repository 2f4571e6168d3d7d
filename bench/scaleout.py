"""Outbox scale-out on Postgres: how fast 1, 2 and 4 `socialdesk worker` processes send a queue of replies.

    python bench/scaleout.py [--replies 3000] [--workers 1 2 4] [--json]

For each worker count, on a fresh database of the Postgres server of TEST_DATABASE_URL (default
postgresql+asyncpg://postgres@127.0.0.1:5432/test): `socialdesk serve` takes N WhatsApp questions, each
from a new customer, through the signed Meta webhook, and the router queues N automatic replies. Then
that many workers start together against the fake Graph API from the tests (a fast platform: no send
budget of ours and no network in the way) and the bench prints replies sent per second, from the first
reply reaching the fake to the last. It checks every reply was sent exactly once, at the fake and in
the database, and exits non-zero otherwise. WhatsApp is the platform because our Telegram budget (30
messages a second per bot, Telegram's own guidance) would measure the budget, not the outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cafe import cafe_folder  # noqa: E402
from bench.meta_webhook import APP_SECRET, count, question  # noqa: E402
from bench.webhook import DEFAULT_POSTGRES, SOCIALDESK, free_port, postgres_database, processes, until  # noqa: E402
from bot.handlers.meta.signature import HEADER, signature_for  # noqa: E402
from tests.fakes.graph_api import TOKEN, FakeGraphApi  # noqa: E402
from tests.fakes.server import serve  # noqa: E402

PHONE_NUMBER_ID = "106540352242922"


async def queue_replies(folder: Path, env: dict[str, str], database_url: str, replies: int) -> None:
    """N questions through `serve`'s Meta webhook, until the router has queued N replies."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with processes(folder, env, {"serve": ("serve", "--port", str(port))}), aiohttp.ClientSession() as client:
        async def listening() -> bool:
            with contextlib.suppress(aiohttp.ClientError):
                async with client.get(f"{base}/health") as response:
                    return response.status in (200, 503)  # 503: no worker alive yet, as expected here
            return False
        await until(listening, 120, "socialdesk serve")
        bodies = [question(number) for number in range(replies)]

        async def poster() -> None:
            while bodies:
                raw = bodies.pop()
                headers = {"Content-Type": "application/json", HEADER: signature_for(raw, APP_SECRET)}
                async with client.post(f"{base}/meta/webhook", data=raw, headers=headers) as response:
                    if response.status != 200:
                        raise SystemExit(f"the Meta webhook answered {response.status}: {await response.text()}")

        await asyncio.gather(*(poster() for _ in range(20)))

        async def all_queued() -> bool:
            return await count(database_url, "SELECT count(*) FROM outbox WHERE kind = 'reply'") >= replies
        await until(all_queued, 300, "every reply to be queued")


async def measure(workers: int, replies: int, database_url: str) -> dict[str, Any]:
    folder = cafe_folder("socialdesk-scaleout-", with_event=False)
    graph = FakeGraphApi()
    async with serve(graph.app()) as api:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "SLACK_", "X_", "DATABASE_", "META_", "WHATSAPP_", "GRAPH_"))}
        env.update(META_APP_SECRET=APP_SECRET, META_VERIFY_TOKEN="bench", GRAPH_API_URL=api, WHATSAPP_TOKEN=TOKEN,
                   WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, DATABASE_URL=database_url, PYTHONPATH=str(ROOT),
                   LOG_LEVEL="WARNING")
        upgrade = await asyncio.create_subprocess_exec(SOCIALDESK, "db", "upgrade", cwd=folder, env=env,
                                                       stdout=asyncio.subprocess.DEVNULL)
        if await upgrade.wait() != 0:
            raise SystemExit("socialdesk db upgrade failed")
        await queue_replies(folder, env, database_url, replies)
        first = last = 0.0
        commands = {f"worker-{n}": ("worker",) for n in range(workers)}
        async with processes(folder, env, commands):
            await until(lambda: bool(graph.sent), 120, "the first reply")
            first = time.perf_counter()
            while len(graph.sent) < replies:
                await asyncio.sleep(0.005)
                if time.perf_counter() - first > 600:
                    raise SystemExit(f"gave up: {len(graph.sent)} of {replies} replies sent")
            last = time.perf_counter()
            await asyncio.sleep(1)  # anything doubled would arrive now
        sent_in_database = await count(database_url, "SELECT count(*) FROM outbox WHERE kind = 'reply' AND "
                                                     "status = 'sent'")
    customers = Counter(body["to"] for _, body in graph.sent)
    result = {
        "workers": workers, "replies": replies,
        "replies_per_second": round((replies - 1) / (last - first), 1) if last > first else 0.0,
        "sent_at_fake": len(graph.sent), "sent_in_database": sent_in_database,
        "customers_answered_twice": sum(1 for n in customers.values() if n > 1),
    }
    result["exact"] = (result["sent_at_fake"] == sent_in_database == replies == len(customers)
                       and not result["customers_answered_twice"])
    return result


async def run(replies: int, worker_counts: list[int]) -> list[dict[str, Any]]:
    results = []
    for workers in worker_counts:
        async with postgres_database(os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES)) as url:
            results.append(await measure(workers, replies, url))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replies", type=int, default=3000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args.replies, args.workers))
    if args.json:
        print(json.dumps(results))
    else:
        print(f"{'workers':>8} {'replies/s':>10} {'sent':>6} {'exact':>6}")
        for result in results:
            print(f"{result['workers']:>8} {result['replies_per_second']:>10} {result['sent_at_fake']:>6} "
                  f"{str(result['exact']):>6}")
    if not all(result["exact"] for result in results):
        raise SystemExit("replies were lost or doubled (see the counts above)")


if __name__ == "__main__":
    main()

"""Thousands of idle web chat long-polls against the real ASGI app, and what they cost everyone else.

    python bench/longpoll.py [--waiting 4000] [--database-url URL] [--json]

Opens `--waiting` long-polls from many addresses (each visitor waiting for a reply that does not
come), then measures, with them waiting and without: the latency of /health (one database query, as
a webhook's first step is) and of a web chat post, and the SQL statements the web process runs per
second while nobody gets a reply. Finally one waiting visitor is answered by a worker with its own
database engine (as another process would be) and the time until their poll returns is printed.
Default database: a fresh SQLite file; pass a Postgres URL to measure NOTIFY.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Outlets, build_app  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.handlers.webchat.channel import WebChatChannel, WebChatOptions  # noqa: E402
from bot.registry import webchat_provider  # noqa: E402
from bot.outbox import OutboxWorker  # noqa: E402
from bot.profile.load import example_profile_text  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web import create_web_app  # noqa: E402
from storage.engine import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
OPTIONS = WebChatOptions(poll_timeout=120.0)


def client(web: object, number: int) -> httpx.AsyncClient:
    address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
    return httpx.AsyncClient(transport=httpx.ASGITransport(web, client=(address, 5000)),  # type: ignore[arg-type]
                             base_url="http://testserver", timeout=None)


async def timed(calls: int, call: object) -> dict[str, float]:
    latencies = []
    for _ in range(calls):
        started = time.perf_counter()
        await call()  # type: ignore[operator]
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {"p50_ms": round(statistics.median(latencies), 2), "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2)}


async def run(waiting: int, database_url: str | None) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="socialdesk-longpoll-"))
    (folder / "business.yaml").write_text(example_profile_text(date(2026, 11, 21)), encoding="utf-8")
    url = database_url or f"sqlite+aiosqlite:///{folder / 'longpoll.db'}"
    await upgrade(url)
    settings = Settings(_env_file=None, database_url=url, socialdesk_config=str(folder / "business.yaml"))
    app = await build_app(settings, clock=FrozenClock(NOW), outlets=Outlets.for_serve())
    web = create_web_app(app, [webchat_provider(OPTIONS)])
    signal = app.worker.channels["webchat"].replies
    statements: list[float] = []
    first_looks = [0]  # each poll's own query of its replies; after the first, a poll should make no more

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(time.perf_counter())
        first_looks[0] += "messages.text" in statement

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", seen)
    probe = client(web, 999_999)

    async def health() -> None:
        assert (await probe.get("/health")).status_code == 200

    async def post() -> None:
        response = await probe.post("/webchat/messages", json={"visitor_id": secrets.token_hex(16), "name": "Jo",
                                                               "text": "hello", "client_message_id": secrets.token_hex(6)})
        assert response.status_code in (202, 429)

    idle = {"health": await timed(200, health), "post": await timed(20, post)}
    asker = secrets.token_hex(16)
    async with client(web, 1_000_000) as http:
        await http.post("/webchat/messages", json={"visitor_id": asker, "name": "Jo", "client_message_id": "q",
                                                   "text": "what time do you open on saturday?"})
    clients = [client(web, number) for number in range(waiting)]
    started = time.perf_counter()
    polls = [asyncio.create_task(http.get("/webchat/messages", params={"visitor_id": secrets.token_hex(16)}))
             for http in clients]
    answered_poll = asyncio.create_task(clients[0].get("/webchat/messages", params={"visitor_id": asker}))
    while signal.waiting < waiting + 1:
        await asyncio.sleep(0.05)
    opened_in = time.perf_counter() - started
    while first_looks[0] < waiting + 1:
        await asyncio.sleep(0.1)
    looked_in = time.perf_counter() - started
    window_start = time.perf_counter()
    await asyncio.sleep(5)
    per_second = sum(1 for moment in statements if moment >= window_start) / 5
    busy = {"health": await timed(200, health), "post": await timed(20, post)}
    elsewhere_db = Database(url)
    sent_at = time.perf_counter()
    await OutboxWorker(elsewhere_db, app.clock, {"webchat": WebChatChannel()}).drain()
    await answered_poll
    woke_ms = (time.perf_counter() - sent_at) * 1000
    await elsewhere_db.close()
    for task in polls:
        task.cancel()
    await asyncio.gather(*polls, return_exceptions=True)
    for http in [*clients, probe]:
        await http.aclose()
    await app.worker.channels["webchat"].stop()
    await app.close()
    return {"database": url.split(":")[0], "waiting": waiting, "seconds_to_open": round(opened_in, 2),
            "seconds_to_first_look": round(looked_in, 2),
            "sql_statements_per_second_while_waiting": per_second, "idle": idle, "while_waiting": busy,
            "reply_from_another_worker_ms": round(woke_ms, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=4000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(run(args.waiting, args.database_url))
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{figures['waiting']} long-polls waiting on {figures['database']} (open in {figures['seconds_to_open']} s, "
          f"each had looked once in {figures['seconds_to_first_look']} s)")
    print(f"  SQL statements per second while they wait: {figures['sql_statements_per_second_while_waiting']}")
    for name in ("health", "post"):
        before, during = figures["idle"][name], figures["while_waiting"][name]  # type: ignore[index]
        print(f"  {name:<7} p50 {before['p50_ms']} ms, p99 {before['p99_ms']} ms with none waiting; "
              f"p50 {during['p50_ms']} ms, p99 {during['p99_ms']} ms with them waiting")
    print(f"  a reply sent by another worker reached its waiting visitor in {figures['reply_from_another_worker_ms']} ms")


if __name__ == "__main__":
    main()

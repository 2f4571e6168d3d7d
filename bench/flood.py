"""A flood of web chat posts against the real ASGI app on an SQLite file, with the default limits.

    python bench/flood.py [--posts 2000] [--json]

One attacker posts from one address with a new visitor id each time, then from many addresses
(as through a proxy that trusts X-Forwarded-For from anyone). Prints how many were accepted and
refused, how many cards and notes reached the owner's desk, and requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import Outlets, build_app  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.registry import webchat_provider  # noqa: E402
from bot.profile.load import example_profile_text  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.web import create_web_app  # noqa: E402
from storage import outbox  # noqa: E402

UPSET = "my coffee was cold and the staff were rude, I want a refund"


async def flood(posts: int, many_addresses: bool) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="socialdesk-flood-"))
    (folder / "business.yaml").write_text(example_profile_text(date.today()), encoding="utf-8")
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{folder / 'flood.db'}",
                        socialdesk_config=str(folder / "business.yaml"))
    app = await build_app(settings, clock=FrozenClock(datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)),
                          outlets=Outlets.for_serve())
    web = create_web_app(app, [webchat_provider()])
    codes: dict[int, int] = {}
    started = time.perf_counter()
    for number in range(posts):
        address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}" if many_addresses else "203.0.113.9"
        transport = httpx.ASGITransport(web, client=(address, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post("/webchat/messages", json={
                "visitor_id": secrets.token_hex(16), "name": "Flood", "text": UPSET,
                "client_message_id": secrets.token_hex(6)})
        codes[response.status_code] = codes.get(response.status_code, 0) + 1
    elapsed = time.perf_counter() - started
    async with app.db.session() as session:
        cards = len(await outbox.items(session, kind="owner_card"))
        notes = len(await outbox.items(session, kind="owner_note"))
    await app.close()
    return {"posts": posts, "accepted": codes.get(202, 0), "refused": codes.get(429, 0), "owner_cards": cards,
            "owner_notes": notes, "requests_per_second": round(posts / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {"one address": asyncio.run(flood(args.posts, False)),
               "many addresses": asyncio.run(flood(args.posts, True))}
    if args.json:
        print(json.dumps(results))
        return
    for name, figures in results.items():
        print(f"{name}: {figures['accepted']} of {figures['posts']} accepted, {figures['refused']} refused; "
              f"{figures['owner_cards']} owner cards, {figures['owner_notes']} owner notes; "
              f"{figures['requests_per_second']} requests/s")


if __name__ == "__main__":
    main()

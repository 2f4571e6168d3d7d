"""Throughput, latency and memory of the router on an SQLite file.

    python bench/pipeline.py [--messages 10000] [--json]

Pushes realistic customer messages, one at a time as the bot receives them, through the whole
router (record, understand, decide, draft, outbox row) and prints messages per second, p50/p99
time per message and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import build_app  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.messages import Inbound, Sender  # noqa: E402
from bot.profile.load import example_profile_text, parse_profile  # noqa: E402
from bot.settings import Settings  # noqa: E402

UNUSUAL = [
    "my flat white was cold and the barista was rude", "can you fix my laptop", "I want a refund for the cake",
    "do you sell car insurance", "is the café wheelchair accessible?", "I have a severe nut allergy, is the cake safe?",
    "check out www.cheap-followers.example for growth", "what's the meaning of life",
]
OPENERS = ["", "hi, ", "hello! ", "quick question: ", "hey there, "]
CLOSERS = ["", " thanks", " :)", "?", " please"]


def realistic_messages(count: int, seed: int = 7) -> list[str]:
    """Phrases from the shipped intents, varied the way customers vary them, plus unusual ones."""
    profile = parse_profile(example_profile_text(date.today()))
    phrases = [e for spec in profile.active_intents().values() for e in spec.examples]
    rng = random.Random(seed)
    messages = []
    for _ in range(count):
        base = rng.choice(UNUSUAL) if rng.random() < 0.15 else rng.choice(phrases)
        messages.append(f"{rng.choice(OPENERS)}{base}{rng.choice(CLOSERS)}".strip())
    return messages


async def measure(count: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="socialdesk-bench-"))
    (folder / "business.yaml").write_text(example_profile_text(date.today()), encoding="utf-8")
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}",
                        socialdesk_config=str(folder / "business.yaml"))
    clock = FrozenClock(datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc))
    app = await build_app(settings, clock=clock)
    texts = realistic_messages(count)
    timings = []
    started = time.perf_counter()
    for number, text in enumerate(texts):
        clock.advance(timedelta(seconds=3))
        inbound = Inbound(platform="telegram", kind="dm", external_id=f"bench-{number}",
                          thread_key=f"chat-{number % 500}", sender=Sender(f"user-{number % 500}", f"Customer {number % 500}"),
                          text=text, received_at=clock.now())
        before = time.perf_counter()
        await app.router.handle(inbound)
        timings.append((time.perf_counter() - before) * 1000)
    elapsed = time.perf_counter() - started
    await app.close()
    timings.sort()
    return {
        "messages": count,
        "messages_per_second": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(timings), 3),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(measure(args.messages))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()

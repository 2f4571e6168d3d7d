"""Throughput, latency and memory of the router on an SQLite file.

    python bench/pipeline.py [--messages 10000] [--burst N] [--loop uvloop|asyncio] [--json]

Pushes realistic customer messages, one at a time as the bot receives them, through the whole
router (record, understand, decide, draft, outbox row) and prints messages per second, p50/p99
time per message, CPU time per message (steadier than wall time on a shared machine) and the
process's peak resident memory. With `--burst N`, N messages arrive at once, again and again: the
router writes those that arrive together in one transaction (group commit), and the time per message
runs from its burst's arrival to its own answer.

The business is the one `socialdesk init` writes, its templates folder included. The run fails
loudly when a message is not answered as it should be: a draft that could not be rendered for a
missing template, or a message, draft or queued reply missing from the database afterwards. It runs
on the event loop `socialdesk run`, `worker` and `serve` run on (uvloop, bot/eventloop.py); `--loop
asyncio` measures asyncio's own loop instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from bench.cafe import cafe_folder  # noqa: E402
from bot import eventloop  # noqa: E402
from bot.app import App, build_app  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.messages import Action, Inbound, Sender  # noqa: E402
from bot.profile.load import example_profile_text, parse_profile  # noqa: E402
from bot.router import Handled  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.models import DraftRow, MessageRow, OutboxRow  # noqa: E402

UNUSUAL = [
    "my flat white was cold and the barista was rude", "can you fix my laptop", "I want a refund for the cake",
    "do you sell car insurance", "is the café wheelchair accessible?", "I have a severe nut allergy, is the cake safe?",
    "check out www.cheap-followers.example for growth", "what's the meaning of life",
]
OPENERS = ["", "hi, ", "hello! ", "quick question: ", "hey there, "]
CLOSERS = ["", " thanks", " :)", "?", " please"]
CONVERSATIONS = 500


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


def inbound_message(number: int, text: str, clock: FrozenClock) -> Inbound:
    chat = number % CONVERSATIONS
    return Inbound(platform="telegram", kind="dm", external_id=f"bench-{number}", thread_key=f"chat-{chat}",
                   sender=Sender(f"user-{chat}", f"Customer {chat}"), text=text, received_at=clock.now())


async def one_at_a_time(app: App, clock: FrozenClock, texts: list[str]) -> tuple[list[Handled], list[float]]:
    results, timings = [], []
    for number, text in enumerate(texts):
        clock.advance(timedelta(seconds=3))
        inbound = inbound_message(number, text, clock)
        before = time.perf_counter()
        results.append(await app.router.handle(inbound))
        timings.append((time.perf_counter() - before) * 1000)
    return results, timings


async def in_bursts(app: App, clock: FrozenClock, texts: list[str], size: int) -> tuple[list[Handled], list[float]]:
    results, timings = [], []
    for start in range(0, len(texts), size):
        clock.advance(timedelta(seconds=3))
        burst = [inbound_message(start + n, text, clock) for n, text in enumerate(texts[start:start + size])]
        before = time.perf_counter()

        async def timed(inbound: Inbound) -> Handled:
            handled = await app.router.handle(inbound)
            timings.append((time.perf_counter() - before) * 1000)
            return handled

        results += await asyncio.gather(*(timed(inbound) for inbound in burst))
    return results, timings


async def measure(count: int, burst: int = 1) -> dict[str, float]:
    folder = cafe_folder("socialdesk-bench-")
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{folder / 'bench.db'}",
                        socialdesk_config=str(folder / "business.yaml"))
    clock = FrozenClock(datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc))
    app = await build_app(settings, clock=clock)
    texts = realistic_messages(count)
    started, cpu_started = time.perf_counter(), time.process_time()
    if burst > 1:
        results, timings = await in_bursts(app, clock, texts, burst)
    else:
        results, timings = await one_at_a_time(app, clock, texts)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    outcomes = await check(app, results)
    await app.close()
    timings.sort()
    return {
        "messages": count,
        "burst": burst,
        "messages_per_second": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(timings), 3),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
        "cpu_us_per_message": round(cpu / count * 1e6),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **{f"{action}": number for action, number in sorted(outcomes.items())},
    }


class NotAnswered(SystemExit):
    """The bench measured a bot that does not answer as it should: its figures mean nothing."""


async def check(app: App, results: list[Handled]) -> Counter[str]:
    """Each message's outcome, after checking each was handled in full and is in the database."""
    outcomes: Counter[str] = Counter()
    missing_template = 0
    for handled in results:
        if handled.duplicate or handled.decision is None:
            raise NotAnswered("a distinct message was taken for a duplicate")
        outcomes[handled.decision.action.value] += 1
        missing_template += any("template" in r and "not found" in r for r in handled.decision.reasons)
    if missing_template:
        raise NotAnswered(f"{missing_template} messages escalated because a template was not found: "
                          "the bench's business is not the one `socialdesk init` writes")
    async with app.db.session() as session:
        stored = await session.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.direction == "in"))
        drafts = await session.scalar(select(func.count()).select_from(DraftRow))
        replies = await session.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.idempotency_key.like("reply:%")))
    if (stored, drafts, replies) != (len(results), len(results), outcomes[Action.AUTO.value]):
        raise NotAnswered(f"{len(results)} messages ({outcomes[Action.AUTO.value]} answered alone) but the database "
                          f"holds {stored} messages, {drafts} drafts and {replies} queued replies")
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=1, help="messages arriving at once (default: one at a time)")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                        help="the event loop (default: the one the bot's processes run on)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    run = eventloop.run if args.loop == "uvloop" else asyncio.run
    result = {"loop": args.loop, **run(measure(args.messages, args.burst))}
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>20}: {value}")


if __name__ == "__main__":
    main()

"""Time to answer, as a Telegram customer feels it: `socialdesk run` against the fake Bot API.

    python bench/answer.py [--questions 200] [--json]

Starts a real `socialdesk run` process (SQLite, the example café without its event) pointed at the
fake Telegram Bot API from the tests, then sends private questions one after another. For each, the
time runs from the update reaching the fake (the moment a getUpdates could return it) to the bot's
sendMessage for that chat arriving there. Prints p50, p90 and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.profile.load import example_profile_text  # noqa: E402
from tests.fakes.server import serve  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeBotApi  # noqa: E402
from tests.payloads.load import payload  # noqa: E402

SOCIALDESK = str(Path(sys.executable).parent / "socialdesk")
QUESTIONS = ["what time do you open on saturday?", "where are you?", "do you have wifi", "can I bring my dog",
             "what's on the menu?", "are you open now?"]


def question(number: int) -> dict[str, Any]:
    update = copy.deepcopy(payload("telegram", "private_text"))
    update["update_id"] = 900_000 + number
    message = update["message"]
    message["message_id"] = 1000 + number
    message["chat"]["id"] = message["from"]["id"] = 5_000_000 + number  # a new customer each time
    message["text"] = QUESTIONS[number % len(QUESTIONS)]
    message["date"] = int(time.time())
    return update


async def until(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("the bot did not answer in time: is something broken?")
        await asyncio.sleep(0.0005)


async def measure(count: int) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="socialdesk-answer-"))
    profile = example_profile_text(date.today()).split("\nevents:")[0] + "\n"
    (folder / "business.yaml").write_text(profile, encoding="utf-8")
    telegram = FakeBotApi()
    async with serve(telegram.app()) as base:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SLACK_", "X_", "DATABASE_"))}
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=base, PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
        process = await asyncio.create_subprocess_exec(SOCIALDESK, "run", cwd=folder, env=env,
                                                       stdin=asyncio.subprocess.DEVNULL,
                                                       stdout=asyncio.subprocess.DEVNULL,
                                                       stderr=asyncio.subprocess.DEVNULL)
        try:
            await until(lambda: "getUpdates" in telegram.calls, timeout=120)  # polling: the bot is up
            warm = question(-1)
            telegram.push(warm)
            await until(lambda: telegram.sent, timeout=60)  # the first answer also trains nothing new
            latencies = []
            for number in range(count):
                sent_before = len(telegram.sent)
                start = time.perf_counter()
                telegram.push(question(number))
                await until(lambda: len(telegram.sent) > sent_before, timeout=30)
                latencies.append((time.perf_counter() - start) * 1000)
        finally:
            process.terminate()
            await process.wait()
    cuts = statistics.quantiles(latencies, n=100)
    return {"questions": count, "p50_ms": round(statistics.median(latencies), 1), "p90_ms": round(cuts[89], 1),
            "p99_ms": round(cuts[98], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.questions))
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{figures['questions']} questions: time to answer p50 {figures['p50_ms']} ms, "
              f"p90 {figures['p90_ms']} ms, p99 {figures['p99_ms']} ms")


if __name__ == "__main__":
    main()

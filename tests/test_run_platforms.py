"""`socialdesk run` with Telegram and X credentials, pointed at the fake APIs, answers on both."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest

from bot.app import App, Outlets, build_app
from bot.clock import FrozenClock
from bot.errors import OverBudget
from bot.messages import Outbound
from bot.registry import customer_channels
from bot import runner
from bot.runner import run_bot
from bot.settings import Settings
from storage import cursors
from tests.fakes.server import serve
from tests.support.waiting import eventually
from tests.fakes.telegram_api import TOKEN, FakeBotApi
from tests.fakes.x_api import KEYS, FakeXApi
from tests.support.apps import settings_for
from tests.payloads.load import payload

PRIYA = {"id": "2244994945", "name": "Priya Shah", "username": "priyashah"}


def with_platforms(profile_dir: Path, sqlite_url: str, telegram_url: str, x_url: str) -> Settings:
    return settings_for(profile_dir, sqlite_url, telegram_bot_token=TOKEN, telegram_api_url=telegram_url,
                        x_api_key=KEYS["consumer_key"], x_api_secret=KEYS["consumer_secret"],
                        x_access_token=KEYS["access_token"], x_access_secret=KEYS["access_secret"], x_api_url=x_url)


async def test_run_answers_customers_on_telegram_and_x(profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    profile = profile_dir / "business.yaml"  # customers only here: no event posts in the way
    profile.write_text(profile.read_text(encoding="utf-8").split("\nevents:")[0], encoding="utf-8")
    telegram, x = FakeBotApi(), FakeXApi(clock)
    async with serve(telegram.app()) as telegram_url, serve(x.app()) as x_url:
        out = StringIO()
        app = await build_app(with_platforms(profile_dir, sqlite_url, telegram_url, x_url), clock=clock,
                              outlets=Outlets.for_run(out, console=False))
        async with app.db.session() as session:  # as if the bot had run before: everything new is answered
            await cursors.put(session, "x:mentions_since_id", "0", clock.now())
            await cursors.put(session, "x:dm_last_id", "0", clock.now())
        telegram.push(payload("telegram", "private_text"))
        x.mention(1861000000000000300, PRIYA, "@cornerbeancafe what time do you open on saturday?")
        running = asyncio.create_task(run_bot(app, console=False, out=out))
        try:
            await eventually(lambda: telegram.sent and x.posts, timeout=10)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await app.close()
    assert "telegram  on" in out.getvalue() and "x         on" in out.getvalue()
    assert "Saturday" in telegram.sent[0]["text"] and "Saturday" in x.posts[0]["text"]
    assert x.posts[0]["reply"] == {"in_reply_to_tweet_id": "1861000000000000300"}


async def test_channels_stay_off_without_credentials(app: App) -> None:
    statuses = {s.name: s for s in customer_channels(app.ports)}
    assert not statuses["telegram"].on and "TELEGRAM_BOT_TOKEN" in statuses["telegram"].note
    assert not statuses["x"].on and "X_API_KEY" in statuses["x"].note


async def test_x_budget_runs_on_the_app_clock(profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    profile = profile_dir / "business.yaml"
    profile.write_text(profile.read_text().replace("write_budget: 50", "write_budget: 1, budget_window_minutes: 15"))
    x = FakeXApi(clock)
    async with serve(x.app()) as x_url:
        app = await build_app(with_platforms(profile_dir, sqlite_url, "http://127.0.0.1:9", x_url), clock=clock)
        channel = {s.name: s for s in customer_channels(app.ports)}["x"].channel
        assert channel is not None
        try:
            await channel.send(Outbound("x", "mention:1861000000000000300:2244994945", "Open at 9.", "reply:1"))
            with pytest.raises(OverBudget):
                await channel.send(Outbound("x", "mention:1861000000000000301:2244994945", "Open at 9, Tom.", "reply:2"))
            clock.advance(timedelta(minutes=15))
            await channel.send(Outbound("x", "mention:1861000000000000301:2244994945", "Open at 9, Tom.", "reply:2"))
        finally:
            await channel.stop()
            await app.close()
    assert len(x.posts) == 2


async def test_telegram_out_of_reach_at_start_does_not_stop_x_and_is_retried(
        profile_dir: Path, sqlite_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = profile_dir / "business.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").split("\nevents:")[0], encoding="utf-8")
    monkeypatch.setattr(runner, "CHANNEL_RETRY_FIRST", 0.05)
    telegram, x = FakeBotApi(), FakeXApi(clock)
    async with serve(x.app()) as x_url:
        # Nothing listens on the Telegram address until the fake is started below.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        out = StringIO()
        app = await build_app(with_platforms(profile_dir, sqlite_url, f"http://127.0.0.1:{port}", x_url), clock=clock,
                              outlets=Outlets.for_run(out, console=False))
        async with app.db.session() as session:
            await cursors.put(session, "x:mentions_since_id", "0", clock.now())
            await cursors.put(session, "x:dm_last_id", "0", clock.now())
        x.mention(1861000000000000300, PRIYA, "@cornerbeancafe what time do you open on saturday?")
        running = asyncio.create_task(run_bot(app, console=False, out=out))
        try:
            await eventually(lambda: x.posts, timeout=20)  # X answers while Telegram is down
            telegram.push(payload("telegram", "private_text"))
            async with serve(telegram.app(), port=port):
                await eventually(lambda: telegram.sent, timeout=30)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await app.close()
    assert "telegram  cannot connect yet; the others run, and it keeps trying" in out.getvalue()
    assert "Saturday" in x.posts[0]["text"] and "Saturday" in telegram.sent[0]["text"]


def test_a_worker_whose_telegram_is_out_of_reach_keeps_running_and_logs_one_line_per_try(initialised: Path) -> None:
    import signal
    import subprocess
    import threading

    from tests.test_cli import SOCIALDESK, clean_environment

    env = {**clean_environment(), "TELEGRAM_BOT_TOKEN": "123456:AAsecretsecret", "TELEGRAM_API_URL": "http://127.0.0.1:1"}
    process = subprocess.Popen([SOCIALDESK, "worker"], cwd=initialised, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(60, process.kill)  # a worker that never logs its tries fails, never hangs
    watchdog.start()
    logged: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:  # waits for each line the worker logs
            logged.append(line)
            if sum("channel did not start" in seen for seen in logged) == 2:  # the first try and one retry
                break
        assert process.poll() is None, "".join(logged)  # still running: the other channels carry on
    finally:
        watchdog.cancel()
        process.send_signal(signal.SIGTERM)
        rest = process.communicate(timeout=30)[1]
    tries = [line for line in logged if "channel did not start" in line]
    assert len(tries) == 2 and all("platform=telegram" in line for line in tries), "".join(logged)
    assert "Traceback" not in "".join(logged) + rest and "AAsecretsecret" not in "".join(logged) + rest

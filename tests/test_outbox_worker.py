"""The outbox worker: retries, Retry-After, uncertain sends, unreachable customers."""

import asyncio
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.clock import FrozenClock
from bot.errors import ChannelError, DeliveryUncertain, RateLimited, Unreachable
from storage import contacts, engine, outbox
from tests.conftest import POSTGRES_SKIP, _admin
from tests.factories import inbound
from tests.support.apps import outlets, settings_for
from tests.support.channels import RecordingChannel
from tests.support.fixtures import AppWith
from tests.support.waiting import eventually

QUESTION = "what time do you open on saturday?"


async def answered(app: App, channel: RecordingChannel) -> list[str]:
    await app.router.handle(inbound(QUESTION))
    await app.worker.run_once()
    return [o.text for o in channel.sent]


def failing_with(channel: RecordingChannel, *failures: Exception) -> RecordingChannel:
    """The channel, failing with each of `failures` in turn before it sends."""
    channel.failures.extend(failures)
    return channel


async def only_row(app: App) -> outbox.OutboxItem:
    async with app.db.session() as session:
        (row,) = await outbox.items(session, kind="reply")
    return row


async def test_a_rate_limited_send_waits_for_retry_after(app: App, shell: RecordingChannel, clock: FrozenClock) -> None:
    channel = failing_with(shell, RateLimited("slow down", retry_after=30))
    assert await answered(app, channel) == []
    row = await only_row(app)
    assert row.status == "pending" and row.due_at == clock.now() + timedelta(seconds=30)
    clock.advance(timedelta(seconds=29))
    await app.worker.run_once()
    assert channel.sent == []
    clock.advance(timedelta(seconds=1))
    await app.worker.run_once()
    assert len(channel.sent) == 1 and (await only_row(app)).status == "sent"


async def test_a_timed_out_send_is_not_repeated(app: App, shell: RecordingChannel, clock: FrozenClock) -> None:
    channel = failing_with(shell, DeliveryUncertain("timed out after sending"))
    await answered(app, channel)
    clock.advance(timedelta(hours=1))
    await app.worker.drain()
    assert channel.sent == []
    assert (await only_row(app)).status == "uncertain"


async def test_a_customer_who_blocked_the_bot_is_marked_unreachable(app: App, shell: RecordingChannel) -> None:
    channel = failing_with(shell, Unreachable("bot was blocked by the user"))
    await answered(app, channel)
    assert (await only_row(app)).status == "failed"
    async with app.db.session() as session:
        assert await contacts.is_unreachable(session, "shell", "console:ana")


async def test_platform_errors_back_off_then_give_up(app: App, shell: RecordingChannel, clock: FrozenClock) -> None:
    channel = failing_with(shell, *(ChannelError("502 from platform") for _ in range(20)))
    await answered(app, channel)
    first = await only_row(app)
    assert first.status == "pending" and first.due_at == clock.now() + timedelta(seconds=2)
    for _ in range(14):
        clock.advance(timedelta(minutes=16))
        await app.worker.run_once()
    row = await only_row(app)
    assert row.status == "failed" and row.attempts == row.max_attempts
    assert row.last_error == "502 from platform"


async def test_a_reply_for_a_channel_that_is_not_running_waits_without_losing_it(
        app: App, app_with: AppWith, clock: FrozenClock) -> None:
    await app.router.handle(inbound(QUESTION))
    await app.worker.run_once()
    row = await only_row(app)
    assert row.status == "pending" and row.attempts == 0
    channel = RecordingChannel()
    app = await app_with(app, channel)  # the process started again, with the channel running
    clock.advance(timedelta(minutes=1))
    await app.worker.run_once()
    assert len(channel.sent) == 1


async def test_a_restart_does_not_send_again(profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    settings = settings_for(profile_dir, sqlite_url)
    channel = RecordingChannel()
    first = await build_app(settings, clock=clock, outlets=outlets(channel))
    await first.router.handle(inbound(QUESTION, external_id="tg-1"))
    await first.worker.drain()
    await first.close()
    second = await build_app(settings, clock=clock, outlets=outlets(channel))
    await second.router.handle(inbound(QUESTION, external_id="tg-1"))
    await second.worker.drain()
    await second.close()
    assert len(channel.sent) == 1


async def test_simultaneous_deliveries_of_one_update_answer_once(
        profile_dir: Path, database_url: str, clock: FrozenClock) -> None:
    settings = settings_for(profile_dir, database_url)
    channel = RecordingChannel()
    bot = await build_app(settings, clock=clock, outlets=outlets(channel))
    message = inbound(QUESTION, external_id="tg-race")
    results = await asyncio.gather(*(bot.router.handle(message) for _ in range(4)))
    await bot.worker.drain()
    await bot.close()
    assert sum(not r.duplicate for r in results) == 1
    assert len(channel.sent) == 1


async def test_a_row_queued_by_another_process_wakes_an_idle_worker_on_postgres(
        profile_dir: Path, postgres_server_url: str | None, clock: FrozenClock) -> None:
    if postgres_server_url is None:
        pytest.skip(POSTGRES_SKIP)
    await _admin(postgres_server_url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    settings = settings_for(profile_dir, postgres_server_url)
    channel = RecordingChannel()
    delivering = await build_app(settings, clock=clock, outlets=outlets(channel))
    receiving = await build_app(settings, clock=clock)
    stop = asyncio.Event()
    # An idle poll of an hour: only the notification from the other process can wake it in time.
    delivering.worker.wake.set()
    worker = asyncio.create_task(delivering.worker.run_forever(stop, idle_seconds=3600))
    try:
        await eventually(lambda: not delivering.worker.wake.is_set(), timeout=10)
        await receiving.router.handle(inbound(QUESTION, external_id="from-serve"))
        await eventually(lambda: len(channel.sent) == 1, timeout=20)
    finally:
        stop.set()
        await worker
        await delivering.close()
        await receiving.close()
    assert channel.sent[0].text.startswith("We're open 9am–5pm on Saturday 28 November.")


async def test_a_worker_kept_from_the_sqlite_write_lock_warns_and_sends_once_it_is_free(
        profile_dir: Path, sqlite_url: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", 50)  # the other process's flood, shortened
    channel = RecordingChannel()
    bot = await build_app(settings_for(profile_dir, sqlite_url), clock=clock, outlets=outlets(channel))
    await bot.router.handle(inbound(QUESTION, external_id="tg-busy"))
    other_process = sqlite3.connect(sqlite_url.split(":///", 1)[1], isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    stop = asyncio.Event()
    worker = asyncio.create_task(bot.worker.run_forever(stop, idle_seconds=0.05))
    try:
        await eventually(lambda: any("database busy" in r.getMessage() for r in caplog.records), timeout=10)
        assert channel.sent == []
        other_process.execute("ROLLBACK")
        await eventually(lambda: len(channel.sent) == 1, timeout=10)
    finally:
        other_process.close()
        stop.set()
        await worker
        await bot.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(channel.sent) == 1

"""An event created from the CLI is posted on schedule to Telegram and X, once, across restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.clock import FrozenClock
from bot.errors import RateLimited
from bot.events.spec import EventSpec
from bot.messages import Outbound
from bot.settings import Settings
from bot.platforms import x_length
from storage import audit, outbox
from tests.conftest import london
from tests.event_support import run_cli, started
from tests.support.channels import RecordingChannel
from tests.support.apps import settings_for
from tests.support.fixtures import AppWith
from tests.support.waiting import eventually


ADD = ["events", "add", "--title", "Latte art workshop", "--start", "2026-12-12 10:00", "--end", "2026-12-12 12:00",
       "--capacity", "12", "--channel", "telegram:@cornerbeancafe", "--channel", "x", "--announce", "2026-11-26 09:00"]

@pytest.fixture
async def settings(profile_dir: Path, sqlite_url: str) -> AsyncIterator[Settings]:
    yield settings_for(profile_dir, sqlite_url)

async def test_cli_event_is_posted_to_telegram_and_x_at_the_planned_times_and_never_twice(
        settings: Settings, profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    telegram, x = RecordingChannel("telegram"), RecordingChannel("x")
    app = await started(settings, clock, telegram, x)
    output = await run_cli(ADD, profile_dir, sqlite_url, clock)
    assert "created event 1: Latte art workshop" in output

    await app.worker.drain()
    assert telegram.sent == [] and x.sent == []  # the announcement is due tomorrow morning

    clock.set(london(2026, 11, 26, 9, 0))
    await app.worker.drain()
    assert len(telegram.sent) == 1 and len(x.sent) == 1
    invite = telegram.sent[0]
    assert invite.thread_key == "@cornerbeancafe"
    assert "<b>Latte art workshop</b>" in invite.text and "Saturday 12 December, 10am–12pm" in invite.text
    assert "12 places left" in invite.text
    assert [(b.label, b.action_id, b.value) for b in invite.buttons] == [
        ("Going", "rsvp", "1:going"), ("Maybe", "rsvp", "1:maybe"), ("Can't go", "rsvp", "1:cant")]
    assert x.sent[0].buttons == () and x_length(x.sent[0].text) <= 280
    assert 'Reply "count me in"' in x.sent[0].text

    # A restart on the same database: nothing already sent goes out again.
    await app.close()
    app = await started(settings, clock, telegram, x)
    await app.worker.drain()
    assert len(telegram.sent) == 1 and len(x.sent) == 1

    for moment, expected in ((london(2026, 12, 5, 10), "a week away"), (london(2026, 12, 11, 10), "tomorrow"),
                             (london(2026, 12, 12, 8), "in 2 hours")):
        clock.set(moment - timedelta(seconds=1))
        await app.worker.drain()
        sent_before = len(telegram.sent)
        clock.set(moment)
        await app.worker.drain()
        assert len(telegram.sent) == sent_before + 1, moment
        assert expected in telegram.sent[-1].text and expected in x.sent[-1].text
    assert len(telegram.sent) == 4 and len(x.sent) == 4
    await app.close()

async def test_restart_mid_schedule_does_not_repeat_posts(settings: Settings, profile_dir: Path, sqlite_url: str,
                                                          clock: FrozenClock) -> None:
    first = await started(settings, clock, RecordingChannel("x"))
    await run_cli(ADD, profile_dir, sqlite_url, clock)
    clock.set(london(2026, 12, 5, 10))  # the announcement and the week-before reminder are both due
    await first.worker.drain()
    await first.close()
    x = RecordingChannel("x")
    second = await started(settings, clock, x)
    clock.set(london(2026, 12, 6, 10))
    await second.worker.drain()
    assert x.sent == []
    async with second.db.session() as session:
        sent = await outbox.items(session, kind="event_post", platform="x", status="sent")
    assert sorted(item.payload["post"] for item in sent) == ["announce", "reminder-7d"]
    await second.close()

async def test_posts_overdue_after_downtime_go_out_before_the_event_and_are_skipped_after_it(
        settings: Settings, profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    x = RecordingChannel("x")
    app = await started(settings, clock, x, RecordingChannel("telegram"))
    await run_cli(ADD, profile_dir, sqlite_url, clock)
    clock.set(london(2026, 12, 11, 12))  # down since before the announcement; the event is tomorrow
    await app.worker.drain()
    assert len(x.sent) == 2  # the announcement, then the latest reminder; the stale week-before one is dropped
    assert "Latte art workshop" in x.sent[0].text and "tomorrow" in x.sent[1].text

    clock.set(london(2026, 12, 12, 10, 30))  # down again: the 2-hour reminder came due, but it has started
    await app.worker.drain()
    assert len(x.sent) == 2
    notes = app.worker.owner.notes  # type: ignore[union-attr]
    assert len(notes) == 2 and all("reminder-2h" in n and "already started" in n for n in notes)
    async with app.db.session() as session:
        entries = [e.action for e in await audit.entries(session, "event:1")]
    assert "event_post_skipped" in entries and "event_post_superseded" in entries
    await app.close()

async def test_a_post_for_a_channel_that_is_not_running_waits_for_it(
        app: App, app_with: AppWith, clock: FrozenClock) -> None:
    from bot.events.spec import EventSpec

    assert app.events is not None
    await app.events.create_event(EventSpec("Open evening", london(2026, 12, 3, 18), channels=("telegram:@cafe",)))
    await app.worker.run_once()
    async with app.db.session() as session:
        waiting = await outbox.items(session, kind="event_post", status="pending")
    assert any(item.payload["post"] == "announce" and item.attempts == 0 for item in waiting)
    telegram = RecordingChannel("telegram")
    app = await app_with(app, telegram)
    clock.advance(timedelta(minutes=1))
    await app.worker.drain()
    assert len(telegram.sent) == 1

async def test_long_titles_still_fit_on_x_and_telegram_markup_is_escaped(profile_dir: Path, sqlite_url: str,
                                                                          clock: FrozenClock) -> None:
    from bot.events.spec import EventSpec

    settings = settings_for(profile_dir, sqlite_url, public_base_url="https://cafe.example.org")
    telegram, x = RecordingChannel("telegram"), RecordingChannel("x")
    app = await started(settings, clock, telegram, x)
    assert app.events is not None
    title = "Coffee & cake <night> with " + "a very long list of guest roasters " * 6
    await app.events.create_event(EventSpec(title, london(2026, 12, 12, 19), place="The back room " * 12,
                                            description="Words " * 200, channels=("telegram:@cafe", "x")))
    await app.worker.drain()
    assert len(x.sent) == 1 and x_length(x.sent[0].text) <= 280
    assert x.sent[0].text.endswith("https://cafe.example.org/events/1.ics")
    assert "<b>Coffee &amp; cake &lt;night&gt; with" in telegram.sent[0].text
    await app.close()

class FlakyX(RecordingChannel):
    """X answering 429 Too Many Requests once, then accepting."""

    def __init__(self) -> None:
        super().__init__("x")
        self.refused = 0

    async def send(self, outbound: Outbound) -> str:
        if not self.refused:
            self.refused += 1
            raise RateLimited("429 Too Many Requests", retry_after=900)
        return await super().send(outbound)

async def test_a_rate_limited_post_is_retried_after_the_wait_and_sent_once(
        app: App, app_with: AppWith, clock: FrozenClock) -> None:
    from bot.events.spec import EventSpec

    x = FlakyX()
    app = await app_with(app, x)
    assert app.events is not None
    await app.events.create_event(EventSpec("Open evening", london(2026, 12, 3, 18), channels=("x",)))
    await app.worker.drain()
    assert x.refused == 1 and x.sent == []
    clock.advance(timedelta(minutes=15))
    await app.worker.drain()
    await app.worker.drain()
    assert len(x.sent) == 1

async def test_the_running_worker_loop_posts_a_scheduled_post_when_its_time_comes(app: App, app_with: AppWith,
                                                                                  clock: FrozenClock) -> None:
    from bot.events.spec import EventSpec

    x = RecordingChannel("x")
    app = await app_with(app, x)
    assert app.events is not None
    await app.events.create_event(EventSpec("Open evening", london(2026, 12, 3, 18), channels=("x",),
                                            announce_at=london(2026, 11, 25, 12)))
    assert await app.worker.run_once() == 0  # nothing is due yet
    stop = asyncio.Event()
    loop = asyncio.create_task(app.worker.run_forever(stop, idle_seconds=0.01))
    try:
        clock.set(london(2026, 11, 25, 12))
        await eventually(lambda: len(x.sent) == 1, every=0.005)
    finally:
        stop.set()
        await loop

async def test_schedule_survives_a_restart_on_each_database(database_url: str, profile_dir: Path,
                                                            clock: FrozenClock) -> None:
    from bot.events.spec import EventSpec

    settings = settings_for(profile_dir, database_url)
    telegram = RecordingChannel("telegram")
    app = await started(settings, clock, telegram)
    assert app.events is not None
    event = await app.events.create_event(EventSpec("Open evening", london(2026, 12, 3, 18), channels=("telegram:@cafe",),
                                                    reminders=("1d",)))
    await app.worker.drain()
    await app.close()

    app = await started(settings, clock, telegram)
    assert app.events is not None
    assert [e.title for e in await app.events.list_events()] == ["Open evening"]
    clock.set(london(2026, 12, 2, 18))
    await app.worker.drain()
    await app.close()
    app = await started(settings, clock, telegram)
    await app.worker.drain()
    assert [o.idempotency_key for o in telegram.sent] == [f"event:{event.id}:telegram:@cafe:announce:0",
                                                          f"event:{event.id}:telegram:@cafe:reminder-1d:0"]
    await app.close()

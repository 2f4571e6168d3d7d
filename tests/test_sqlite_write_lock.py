"""Writing to SQLite. It has one writer at a time: a transaction's statements run on the event loop
(storage/prepared.py), but the wait for another process's write lock never does, so meanwhile the bot keeps
serving. The write-ahead log is copied into the database file on a thread of its own (storage/checkpoints.py)."""

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from bot.app import build_app
from bot.clock import FrozenClock
from bot.messages import Action
from storage.models import MessageRow, OutboxRow
from tests.factories import inbound
from tests.support.apps import outlets, settings_for
from tests.support.channels import RecordingChannel
from tests.support.waiting import eventually


async def test_a_message_waits_for_another_process_s_write_lock_without_stopping_the_bot(
        profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    bot = await build_app(settings_for(profile_dir, sqlite_url), clock=clock, outlets=outlets(RecordingChannel()))
    other_process = sqlite3.connect(sqlite_url.split(":///", 1)[1], isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")
    try:
        handling = asyncio.create_task(bot.router.handle(inbound("what time do you open on saturday?")))
        # Other tasks keep running while the message waits. Were the wait on the event loop, these would
        # only run after SQLite's busy timeout, the message failed with "database is locked".
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert not handling.done()
        other_process.execute("COMMIT")
        handled = await asyncio.wait_for(handling, timeout=10)
    finally:
        other_process.close()
    assert handled.decision is not None and handled.decision.action is Action.AUTO
    async with bot.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(MessageRow)) == 1
        assert await session.scalar(select(func.count()).select_from(OutboxRow)) == 1
    await bot.close()


async def test_a_failed_statement_undoes_only_its_own_message(
        profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    """A message that fails mid-transaction (here a duplicate) leaves the connection usable: the next one
    is recorded, and the database holds each message once."""
    bot = await build_app(settings_for(profile_dir, sqlite_url), clock=clock, outlets=outlets(RecordingChannel()))
    first = await bot.router.handle(inbound("are you open tomorrow?", external_id="tg-1"))
    again = await bot.router.handle(inbound("are you open tomorrow?", external_id="tg-1"))
    other = await bot.router.handle(inbound("where are you?", external_id="tg-2"))
    assert (first.duplicate, again.duplicate, other.duplicate) == (False, True, False)
    async with bot.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(MessageRow)) == 2
    await bot.close()


async def test_what_is_committed_reaches_the_database_file_while_the_bot_runs(
        profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> None:
    """The log is checkpointed in the background, not only when the process closes the database: a reader
    of the database file alone (ignoring the log) sees every message while the bot still runs."""
    bot = await build_app(settings_for(profile_dir, sqlite_url), clock=clock, outlets=outlets(RecordingChannel()))
    for number in range(30):
        await bot.router.handle(inbound(f"are you open on saturday? ({number})", external_id=f"tg-{number}"))
    path = sqlite_url.split(":///", 1)[1]

    def in_file_alone() -> int:
        file_only = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return int(file_only.execute("SELECT count(*) FROM messages WHERE direction = 'in'").fetchone()[0])
        finally:
            file_only.close()

    try:
        await eventually(lambda: in_file_alone() == 30, timeout=10)
    finally:
        await bot.close()
    assert in_file_alone() == 30

"""Waking other processes the moment something happens: Postgres LISTEN/NOTIFY. Outbox workers hear
that a row was queued; web processes hear that a reply was sent, so a waiting web chat poll returns.

A NOTIFY sent inside a transaction is delivered when it commits (never for a rolled-back one).
SQLite has no such channel: there, workers find new rows at their next idle poll, and web processes
look for sent replies with one query per interval.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.batch import ONCE_PER_TRANSACTION
from storage.engine import Database
from storage.prepared import Prepared, run

log = logging.getLogger(__name__)
OUTBOX_CHANNEL = "socialdesk_outbox"
SENT_CHANNEL = "socialdesk_sent"
_NOTIFY = Prepared(select(func.pg_notify(OUTBOX_CHANNEL, "")))
_NOTIFY_SENT = Prepared(select(func.pg_notify(SENT_CHANNEL, bindparam("thread"))))


async def announce_queued(session: AsyncSession) -> None:
    """Tell listening workers, at commit, that a row was queued (Postgres only)."""
    if session.bind.dialect.name != "postgresql":
        return
    done = session.info.setdefault(ONCE_PER_TRANSACTION, set())
    if OUTBOX_CHANNEL not in done:  # once per transaction is enough, however many units it holds
        done.add(OUTBOX_CHANNEL)
        await run(session, _NOTIFY, {})


async def announce_sent(session: AsyncSession, platform: str, thread_key: str) -> None:
    """Tell listening web processes, at commit, that a reply in (platform, thread_key) was recorded."""
    if session.bind.dialect.name == "postgresql":
        await run(session, _NOTIFY_SENT, {"thread": f"{platform}:{thread_key}"})


def listening(db: Database, on_queued: Callable[[], None]) -> contextlib.AbstractAsyncContextManager[bool]:
    """Call `on_queued` whenever another process queues a row; yields whether it is listening."""
    return _listening(db, OUTBOX_CHANNEL, lambda _: on_queued())


def listening_for_sent(db: Database, on_sent: Callable[[str, str], None]) -> contextlib.AbstractAsyncContextManager[bool]:
    """Call `on_sent(platform, thread_key)` whenever a process records a sent reply; yields whether it listens."""
    def heard(payload: str) -> None:
        platform, _, thread_key = payload.partition(":")
        on_sent(platform, thread_key)
    return _listening(db, SENT_CHANNEL, heard)


@contextlib.asynccontextmanager
async def _listening(db: Database, channel: str, on_payload: Callable[[str], None]) -> AsyncIterator[bool]:
    if db.dialect != "postgresql":
        yield False
        return
    def notified(_connection: object, _pid: object, _channel: object, payload: str) -> None:
        on_payload(payload)

    try:
        connection = await db.engine.connect()
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.add_listener(channel, notified)
    except Exception as exc:  # waking early is an optimisation: polling still delivers everything
        log.warning("notifications unavailable; polling only", extra={"channel": channel,
                                                                       "reason": type(exc).__name__})
        yield False
        return
    try:
        yield True
    finally:
        with contextlib.suppress(Exception):  # before the connection goes back to the pool
            await raw.remove_listener(channel, notified)
        with contextlib.suppress(Exception):
            await connection.close()

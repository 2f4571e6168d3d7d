"""Waking outbox workers in other processes the moment a row is queued: Postgres LISTEN/NOTIFY.

A NOTIFY sent inside the transaction that queues a row is delivered when it commits (never for a
rolled-back one). SQLite has no such channel; its workers find new rows at their next idle poll.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engine import Database
from storage.prepared import Prepared, run

log = logging.getLogger(__name__)
OUTBOX_CHANNEL = "socialdesk_outbox"
_NOTIFY = Prepared(select(func.pg_notify(OUTBOX_CHANNEL, "")))


async def announce_queued(session: AsyncSession) -> None:
    """Tell listening workers, at commit, that a row was queued (Postgres only)."""
    if session.bind.dialect.name == "postgresql" and not session.info.get("outbox_announced"):
        session.info["outbox_announced"] = True  # once per transaction is enough
        await run(session, _NOTIFY, {})


@contextlib.asynccontextmanager
async def listening(db: Database, on_queued: Callable[[], None]) -> AsyncIterator[bool]:
    """Call `on_queued` whenever another process queues a row; yields whether it is listening."""
    if db.dialect != "postgresql":
        yield False
        return
    def notified(*_: object) -> None:
        on_queued()

    try:
        connection = await db.engine.connect()
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.add_listener(OUTBOX_CHANNEL, notified)
    except Exception as exc:  # waking early is an optimisation: polling still delivers everything
        log.warning("outbox notifications unavailable; polling only", extra={"reason": type(exc).__name__})
        yield False
        return
    try:
        yield True
    finally:
        with contextlib.suppress(Exception):  # before the connection goes back to the pool
            await raw.remove_listener(OUTBOX_CHANNEL, notified)
        with contextlib.suppress(Exception):
            await connection.close()

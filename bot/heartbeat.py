"""Someone is always listening: every running outbox worker writes a heartbeat, and the web process
says so (in /health and when it starts) when rows wait that no live worker delivers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from storage import workers
from storage.engine import Database

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10.0
# A worker not heard from for this long is taken for dead (six missed beats: a slow send is not death).
STALE_AFTER = timedelta(seconds=60)
START_HINT = "start `socialdesk worker` (or `socialdesk run`)"


class Beating(Protocol):
    """What a heartbeat says of its worker, read at each beat."""

    @property
    def platforms(self) -> tuple[str, ...] | None: ...  # None: it delivers every platform

    @property
    def connecting(self) -> set[str]: ...  # its channels that could not connect yet


@contextlib.asynccontextmanager
async def heartbeat(db: Database, clock: Clock, worker_id: str, worker: Beating,
                    every: float = HEARTBEAT_SECONDS) -> AsyncIterator[None]:
    """Beat once now, then every `every` seconds while the block runs; remove the row on the way out."""
    started = clock.now()
    await _beat(db, clock, worker_id, worker, started)
    task = asyncio.create_task(_beating(db, clock, worker_id, worker, started, every), name="worker-heartbeat")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        with contextlib.suppress(Exception):  # a database that is gone cannot take it; the row goes stale
            async with db.session() as session:
                await workers.gone(session, worker_id)


async def _beating(db: Database, clock: Clock, worker_id: str, worker: Beating, started: datetime,
                   every: float) -> None:
    while True:
        await asyncio.sleep(every)
        await _beat(db, clock, worker_id, worker, started)


async def _beat(db: Database, clock: Clock, worker_id: str, worker: Beating, started: datetime) -> None:
    try:
        async with db.session() as session:
            await workers.beat(session, worker_id, worker.platforms, started_at=started, now=clock.now(),
                               down=tuple(worker.connecting))
    except Exception as exc:  # the outbox keeps working; /health shows the worker as gone until a beat lands
        log.warning("worker heartbeat not written", extra={"reason": type(exc).__name__})


@dataclass(frozen=True, slots=True)
class Unattended:
    """Rows due now that no live worker delivers."""

    waiting: dict[str, int]  # platform → rows
    last_seen: datetime | None  # the last heartbeat of a worker that stopped without saying so

    @property
    def total(self) -> int:
        return sum(self.waiting.values())

    def explain(self) -> str:
        platforms = ", ".join(f"{platform} {count}" for platform, count in sorted(self.waiting.items()))
        seen = (f"no worker has been heard from since {self.last_seen:%Y-%m-%d %H:%M:%S} UTC" if self.last_seen
                else "no worker is running")
        wait = "message waits" if self.total == 1 else "messages wait"
        return f"no worker alive: {self.total} outgoing {wait} ({platforms}) and {seen}; {START_HINT}"


async def unattended(db: Database, clock: Clock) -> Unattended | None:
    """What waits with nobody to send it, or None when every waiting row has a live worker."""
    now = clock.now()
    async with db.session() as session:
        waiting = await workers.waiting(session, now)
        live = await workers.alive(session, now - STALE_AFTER)
        last = await workers.last_seen(session) if waiting else None
    orphaned = {platform: count for platform, count in waiting.items()
                if not any(worker.delivers(platform) for worker in live)}
    return Unattended(orphaned, last) if orphaned else None


async def worker_alive(db: Database, clock: Clock) -> bool:
    """Whether a worker that delivers every platform has been heard from lately."""
    async with db.session() as session:
        live = await workers.alive(session, clock.now() - STALE_AFTER)
    return any(worker.platforms is None for worker in live)


async def channels_down(db: Database, clock: Clock) -> list[str]:
    """Channels a live worker could not connect yet (it keeps trying; their replies wait meanwhile)."""
    async with db.session() as session:
        live = await workers.alive(session, clock.now() - STALE_AFTER)
    return sorted({platform for worker in live for platform in worker.down})

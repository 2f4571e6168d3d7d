"""Outbox worker heartbeats: who is delivering, and what waits with nobody to deliver it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import dialect_module
from storage.models import OutboxRow, WorkerRow

# Rows that wait to be sent (a claimed row waits too: its worker may have died with it).
WAITING = ("pending", "claimed")


@dataclass(frozen=True, slots=True)
class Worker:
    worker_id: str
    platforms: tuple[str, ...] | None  # None: every platform
    started_at: datetime
    seen_at: datetime
    down: tuple[str, ...] = ()  # its channels that could not connect yet

    def delivers(self, platform: str) -> bool:
        return self.platforms is None or platform in self.platforms


async def beat(session: AsyncSession, worker_id: str, platforms: tuple[str, ...] | None, *, started_at: datetime,
               now: datetime, down: tuple[str, ...] = ()) -> None:
    """Say this worker is alive at `now` (its row is created on the first beat)."""
    values = {"worker_id": worker_id, "platforms": list(platforms) if platforms is not None else None,
              "started_at": started_at, "seen_at": now, "down": sorted(down)}
    statement = dialect_module(session.bind.dialect.name).insert(WorkerRow).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["worker_id"], set_={"seen_at": now, "platforms": values["platforms"], "down": values["down"]})
    await session.execute(statement)


async def gone(session: AsyncSession, worker_id: str) -> None:
    """A worker that stops cleanly removes its row: nobody need wait for it to go stale."""
    await session.execute(delete(WorkerRow).where(WorkerRow.worker_id == worker_id))


async def alive(session: AsyncSession, since: datetime) -> list[Worker]:
    """Workers seen at or after `since`, the latest first."""
    return [worker for worker in await _all(session) if worker.seen_at >= since]


async def last_seen(session: AsyncSession) -> datetime | None:
    """When a worker that delivers every platform was last heard from (None: never, or it stopped cleanly)."""
    return max((worker.seen_at for worker in await _all(session) if worker.platforms is None), default=None)


async def _all(session: AsyncSession) -> list[Worker]:
    rows = (await session.scalars(select(WorkerRow).order_by(WorkerRow.seen_at.desc()))).all()
    return [Worker(row.worker_id, tuple(row.platforms) if row.platforms is not None else None, row.started_at,
                   row.seen_at, tuple(row.down or ())) for row in rows]


async def waiting(session: AsyncSession, now: datetime) -> Counter[str]:
    """Rows due by `now` that no worker has sent yet, counted by platform."""
    found = await session.execute(
        select(OutboxRow.platform, func.count()).where(OutboxRow.status.in_(WAITING), OutboxRow.due_at <= now)
        .group_by(OutboxRow.platform))
    return Counter({platform: count for platform, count in found.all()})

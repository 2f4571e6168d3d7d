"""Group commit: messages that arrive while one transaction is being written wait and are written
together in the next, each in a savepoint of its own (storage/batch.py).

The first message to find nobody writing writes at once, alone, as without grouping; whatever arrives
meanwhile goes into the next transaction, which a background task writes. Each caller gets its own
outcome (or exception) once the transaction holding its message has committed.

On Postgres, where transactions on different connections run at once, `WriteLanes` keeps several group
commits side by side, so one transaction's round trips to the server do not hold up every message
behind it; a conversation's messages always take the same lane, so they are written in the order
they came. A transaction that Postgres cancels to break a deadlock between lanes is written again.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.exc import DBAPIError

from bot.errors import StorageError
from storage.batch import Batch
from storage.engine import Database

log = logging.getLogger(__name__)
# SQLSTATEs of a transaction the server undid only because another ran at the same time: written again.
_CONFLICTS = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure
_CONFLICT_RETRIES = 3
# Units in one transaction at most: on Postgres each unit's savepoint that writes takes a transaction id
# of its own, and past 64 of them the server's per-session cache overflows, slowing every reader.
MAX_UNITS = 64

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")
Write = Callable[[Batch, Item, bool], Awaitable[Outcome]]


class GroupCommit(Generic[Item, Outcome]):
    """Writes items with `write(batch, item, alone)` (`alone`: the transaction holds this item only, so
    its failure may undo the transaction rather than a savepoint)."""

    def __init__(self, db: Database, write: Write[Item, Outcome]) -> None:
        self._db, self._write = db, write
        self._waiting: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self._writing = False
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if not self._writing:
            await self._write_waiting()
        return await future

    async def _write_waiting(self) -> None:
        self._writing = True
        try:
            batch, self._waiting = self._waiting[:MAX_UNITS], self._waiting[MAX_UNITS:]
            await self._commit(batch)
        finally:
            self._writing = False
            if self._waiting and (self._writer is None or self._writer.done()):
                self._writer = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while self._waiting and not self._writing:
            await self._write_waiting()

    async def _commit(self, items: list[tuple[Item, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await self._transaction(items)
        except BaseException as exc:
            # The transaction did not commit: nobody's message was written.
            failed = exc if isinstance(exc, Exception) else StorageError("writing was interrupted")
            for _, future in items:
                if not future.done():
                    future.set_exception(failed)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), outcome in zip(items, outcomes):
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _transaction(self, items: list[tuple[Item, asyncio.Future[Outcome]]]) -> list[Outcome | BaseException]:
        for attempt in range(_CONFLICT_RETRIES + 1):
            outcomes: list[Outcome | BaseException] = []
            try:
                async with self._db.batch() as batch:
                    for item, _ in items:
                        outcomes.append(await self._one(batch, item, alone=len(items) == 1))
                return outcomes
            except DBAPIError as exc:
                if attempt == _CONFLICT_RETRIES or not _conflict(exc):
                    raise
                log.warning("transaction undone by a concurrent one, written again",
                            extra={"sqlstate": _sqlstate(exc), "messages": len(items)})
        raise AssertionError("unreachable")

    async def _one(self, batch: Batch, item: Item, alone: bool) -> Outcome | BaseException:
        if alone:
            return await self._write(batch, item, True)
        try:
            return await self._write(batch, item, False)
        except Exception as exc:  # undone in its savepoint; the others still commit
            if _conflict(exc):
                raise  # nothing wrong with the message: the whole transaction is written again
            return exc


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def _conflict(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction did nothing wrong and may simply run again."""
    return _sqlstate(exc) in _CONFLICTS


class WriteLanes(Generic[Item, Outcome]):
    """`count` group commits side by side; `key(item)` picks an item's lane, the same for the same key."""

    def __init__(self, db: Database, write: Write[Item, Outcome], key: Callable[[Item], str], count: int) -> None:
        self._lanes = [GroupCommit(db, write) for _ in range(max(1, count))]
        self._key = key

    async def submit(self, item: Item) -> Outcome:
        if len(self._lanes) == 1:
            return await self._lanes[0].submit(item)
        lane = zlib.crc32(self._key(item).encode("utf-8")) % len(self._lanes)
        return await self._lanes[lane].submit(item)

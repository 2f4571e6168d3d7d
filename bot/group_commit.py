"""Group commit: messages that arrive while one transaction is being written wait and are written
together in the next, each in a savepoint of its own (storage/batch.py).

The first message to find nobody writing writes at once, alone, as without grouping; whatever arrives
meanwhile goes into the next transaction, which a background task writes. Each caller gets its own
outcome (or exception) once the transaction holding its message has committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bot.errors import StorageError
from storage.batch import Batch
from storage.engine import Database

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
            batch, self._waiting = self._waiting, []
            await self._commit(batch)
        finally:
            self._writing = False
            if self._waiting and (self._writer is None or self._writer.done()):
                self._writer = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while self._waiting and not self._writing:
            await self._write_waiting()

    async def _commit(self, items: list[tuple[Item, asyncio.Future[Outcome]]]) -> None:
        outcomes: list[Outcome | BaseException] = []
        try:
            async with self._db.batch() as batch:
                for item, _ in items:
                    outcomes.append(await self._one(batch, item, alone=len(items) == 1))
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

    async def _one(self, batch: Batch, item: Item, alone: bool) -> Outcome | BaseException:
        if alone:
            return await self._write(batch, item, True)
        try:
            return await self._write(batch, item, False)
        except Exception as exc:  # undone in its savepoint; the others still commit
            return exc

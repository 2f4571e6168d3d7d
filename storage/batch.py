"""One transaction for several units of work (group commit): each runs in a savepoint of its own, with an
ORM session of its own, so one that fails or turns out a duplicate is undone alone and the others commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import count
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage import prepared

# session.info key: what the transaction has already done that is needed once per transaction (a NOTIFY).
ONCE_PER_TRANSACTION = "once_per_transaction"


class Batch:
    """The transaction on `connection`; `driver` is its driver connection (storage.prepared.driver_of), or
    None for a database with neither SQLite's nor asyncpg's driver."""

    def __init__(self, connection: AsyncConnection, driver: Any) -> None:
        self._connection, self._driver = connection, driver
        self._names = count(1)
        self._once: set[str] = set()

    @asynccontextmanager
    async def unit(self, savepoint: bool = True) -> AsyncIterator[AsyncSession]:
        """A unit of work in the transaction. Without `savepoint`, a failure is the whole transaction's
        (Database.session: the transaction is this one unit)."""
        if not savepoint:
            async with self._session() as session:
                yield session
        elif self._driver is None:
            async with self._connection.begin_nested():
                async with self._session() as session:
                    yield session
        else:
            # The savepoint goes straight to the driver, without SQLAlchemy's machinery around it. One that
            # succeeds is left open: the COMMIT that ends the transaction keeps its work, and rolling back
            # to a later savepoint leaves it alone, so releasing it would only cost a round trip more (on
            # Postgres a released savepoint that wrote still holds its transaction id until COMMIT).
            name = f"unit_{next(self._names)}"
            await self._sql(f"SAVEPOINT {name}")
            try:
                async with self._session() as session:
                    yield session
            except BaseException:
                await self._sql(f"ROLLBACK TO SAVEPOINT {name}")
                self._once.clear()  # what the unit did once may be undone with it: do it again
                raise

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        # The session joins the transaction begun on the connection; it never commits it. "rollback_only":
        # by default a session on a connection inside a savepoint opens a savepoint of its own, which its
        # close() then rolls back, silently undoing a grouped unit's ORM writes (Postgres path).
        session = AsyncSession(bind=self._connection, expire_on_commit=False, join_transaction_mode="rollback_only")
        prepared.bind_connection(session, self._connection, self._driver)
        session.info[ONCE_PER_TRANSACTION] = self._once
        try:
            yield session
            if session.new or session.dirty or session.deleted:
                await session.flush()
        finally:
            if session.in_transaction():  # a session never used holds nothing to close
                await session.close()

    async def _sql(self, sql: str) -> None:
        await prepared.control(self._driver, self._connection.dialect, sql)

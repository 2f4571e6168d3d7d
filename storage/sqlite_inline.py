"""SQLite for the async engine without a thread per connection.

SQLAlchemy's aiosqlite driver runs every call on a helper thread: four thread hand-offs per
statement, which measured as most of the router's time per message. A local SQLite file answers
in microseconds, so this connection runs sqlite3 calls directly on the event loop instead, behind
the same awaitable interface (plugged in through create_async_engine's documented `async_creator`).

The one thing that could block the loop is a wait for another process's write lock (busy_timeout);
Database.session() serialises this process's own transactions on an asyncio lock, so a coroutine
never waits at the SQLite level for another coroutine of the same process.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class _RunNow:
    """Stands in for aiosqlite's work queue, which SQLAlchemy's adapter uses to set isolation_level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:  # handed back to the awaiting caller, as the queue would
            future.set_exception(exc)


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> "InlineCursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> "InlineCursor":
        self._cursor.execute(sql, parameters if parameters is not None else ())
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> "InlineCursor":
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The awaitable connection interface SQLAlchemy's SQLite async adapter expects."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connector(path: str, timeout_seconds: float) -> Callable[[], Any]:
    """An `async_creator` for create_async_engine: opens `path` with sqlite3, returns the inline connection."""

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(path, timeout=timeout_seconds, check_same_thread=False)
        return InlineConnection(connection)

    return connect

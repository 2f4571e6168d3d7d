"""Engine and session setup. SQLite gets WAL, foreign keys and a busy timeout; any other URL is used as is."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from bot.errors import StorageError
from storage import prepared
from storage.batch import Batch
from storage.checkpoints import Checkpointer

SQLITE_BUSY_TIMEOUT_MS = 5000
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}


def normalise_url(url: str) -> str:
    """Accept the URLs hosts hand out (postgres://…, sqlite:///…) and pick the async driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        shown = re.sub(r":[^:/@]*@", ":***@", url)  # a mistyped URL may still hold a password
        raise StorageError(f"DATABASE_URL {shown!r} is not a database URL (e.g. sqlite+aiosqlite:///socialdesk.db)") from None
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """The URL to show a person: the password hidden."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def first_line(exc: BaseException) -> str:
    """The driver's own words for a failure, on one line."""
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin (see the `begin` hook).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front, so two writers wait on busy_timeout instead of
    # failing with "database is locked" when a read transaction later tries to write. Sent on the
    # DB-API connection: it needs none of an SQLAlchemy statement's work. Database.session has
    # usually sent it already, in one hand-off to the driver's thread.
    if connection.connection.driver_connection.in_transaction:
        return
    cursor = connection.connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
    finally:
        cursor.close()


async def _begin_immediate(driver: Any, dialect: Any) -> None:
    """Take SQLite's write lock: at once on the event loop when nobody holds it (the usual case, and a
    hand-off to aiosqlite's thread saved), else by waiting for it on that thread, so another process's
    long write never blocks the loop. The connection's busy timeout is 0 between transactions
    (`Database._sqlite_connection`): only the wait on the thread needs one."""
    raw = driver._conn
    try:
        raw.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise DBAPIError.instance("BEGIN IMMEDIATE", [], exc, sqlite3.Error, dialect=dialect) from exc
    raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    try:
        await prepared.on_driver(driver, dialect, "BEGIN IMMEDIATE")
    finally:
        raw.execute("PRAGMA busy_timeout=0")


def _committing_inline(checkpoints: Checkpointer | None) -> Callable[[Any], None]:
    """The dialect's COMMIT. The transaction holds the write lock (every one begins IMMEDIATE), so COMMIT
    waits for nobody: in WAL mode it appends to the log, and synchronous=NORMAL does not sync it. It runs
    on the event loop rather than handed to aiosqlite's thread and back, which costs more than the COMMIT;
    the log is copied back into the database on `checkpoints`' thread (storage/checkpoints.py)."""

    def commit(dbapi_connection: Any) -> None:
        dbapi_connection.driver_connection._conn.commit()
        if checkpoints is not None:
            checkpoints.committed()

    return commit


def _without_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def create_engine(url: str, checkpoints: Checkpointer | None = None, **options: Any) -> AsyncEngine:
    """`checkpoints`: on SQLite, the thread that checkpoints the log instead of the committing connection."""
    url = normalise_url(url)
    # A database error's text would otherwise carry its statement's parameters: a customer's words.
    options.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # Every unit of work ends in COMMIT or ROLLBACK (Database.session), so a returned
        # connection is already clean: skip the extra ROLLBACK.
        options.setdefault("pool_reset_on_return", None)
        # Statements inside a transaction run on the event loop, not only on aiosqlite's own thread
        # (storage/prepared.py on_driver): one task uses a connection at a time, so never concurrently.
        options.setdefault("connect_args", {"check_same_thread": False})
    try:
        engine = create_async_engine(url, **options)
    except (ArgumentError, ModuleNotFoundError) as exc:
        raise StorageError(f"DATABASE_URL cannot be used: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
        if checkpoints is not None:
            event.listen(engine.sync_engine, "connect", _without_autocheckpoint)
        engine.dialect.do_commit = _committing_inline(checkpoints)  # type: ignore[method-assign]
    return engine


def sqlite_busy(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's "database is locked": another process held the write lock past the busy timeout."""
    return isinstance(exc, OperationalError) and isinstance(exc.orig, sqlite3.OperationalError) and \
        "database is locked" in str(exc.orig)


def sqlite_path(url: URL) -> str:
    return url.database or ":memory:"


def _file_lock(path: str) -> asyncio.Lock:
    """One lock per SQLite file and event loop, shared by every Database on that file in this process."""
    loop = asyncio.get_running_loop()
    locks = _SQLITE_LOCKS.setdefault(loop, {})
    return locks.setdefault(path, asyncio.Lock())


_SQLITE_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()
# How long a unit of work waits for this process's other units of work on the same SQLite file.
SQLITE_QUEUE_SECONDS = 30.0


# Enough transactions at once to keep the server busy while each waits for its round trips, few enough
# to leave the pool's other connections to the web chat's polls and the owner's commands.
WRITE_LANES = 4


class Database:
    """One engine and its session factory. `session()` is a unit of work: commit on success."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        self._sqlite_file = os.path.abspath(sqlite_path(parsed)) if parsed.get_backend_name() == "sqlite" else None
        on_file = self._sqlite_file is not None and sqlite_path(parsed) != ":memory:"
        self._checkpoints = Checkpointer(self._sqlite_file) if on_file and self._sqlite_file else None
        self.engine = create_engine(self.url, self._checkpoints, **options)
        self._held: tuple[AsyncConnection, Any] | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def write_lanes(self) -> int:
        """How many transactions this process should write at once: SQLite has one writer; Postgres
        runs several side by side, within the connection pool (bot/group_commit.py)."""
        return 1 if self._sqlite_file is not None else WRITE_LANES

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The ORM session joins a transaction begun on its connection: statements prepared for the hot
        path (storage/prepared.py) run on that connection without starting the session's own machinery,
        which costs more than the statements themselves."""
        async with self.batch() as batch:
            async with batch.unit(savepoint=False) as session:
                yield session

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[Batch]:
        """One transaction for several units of work (storage/batch.py); commit on success."""
        async with self._turn():
            if self._sqlite_file is None:
                async with self.engine.connect() as connection:
                    try:
                        async with connection.begin():
                            yield Batch(connection, await prepared.driver_of(connection))
                    except DBAPIError as exc:
                        if exc.connection_invalidated:  # lost under a statement run on the driver
                            await connection.invalidate()
                        raise
                return
            connection, driver = await self._sqlite_connection()
            if driver.in_transaction:  # left open by a unit of work cancelled while it rolled back
                await prepared.on_driver(driver, connection.dialect, "ROLLBACK")
            await _begin_immediate(driver, connection.dialect)
            async with connection.begin():
                yield Batch(connection, driver)

    async def _sqlite_connection(self) -> tuple[AsyncConnection, Any]:
        """The connection this process's units of work on the SQLite file take turns on (they never run
        two at a time: see `_turn`), kept open instead of taken from the pool and given back each time;
        opened again after a failure made it unusable."""
        if self._held is not None and (self._held[0].closed or self._held[0].invalidated):
            with contextlib.suppress(Exception):
                await self._held[0].close()
            self._held = None
        if self._held is None:
            connection = await self.engine.connect()
            driver = (await connection.get_raw_connection()).driver_connection
            # Its transactions begin IMMEDIATE, holding the write lock: none of their statements waits for
            # it, and the wait for BEGIN itself sets its own timeout (`_begin_immediate`).
            await prepared.on_driver(driver, connection.dialect, "PRAGMA busy_timeout=0")
            self._held = (connection, driver)
        return self._held

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """SQLite has one writer at a time: this process's transactions take turns here, so they wait
        for each other on the event loop instead of on SQLite's busy timeout. A wait for another
        process's write lock happens on aiosqlite's thread, so the loop keeps running meanwhile."""
        if self._sqlite_file is None:
            yield
            return
        lock = _file_lock(self._sqlite_file)
        if not lock.locked():
            # Nobody writing: taken without the timeout's timer, which costs more than the rest. (Should a
            # waiter just woken be due to take it first, this waits for that one transaction alone.)
            await lock.acquire()
        else:
            try:
                # Awaited in this task (not wait_for's inner task), so a cancellation can never leave
                # the lock taken by nobody, nor be swallowed as the lock is granted.
                async with asyncio.timeout(SQLITE_QUEUE_SECONDS):
                    await lock.acquire()
            except TimeoutError:
                raise StorageError(f"the SQLite database stayed busy for {SQLITE_QUEUE_SECONDS:.0f} s") from None
        try:
            yield
        finally:
            lock.release()

    async def ping(self) -> None:
        """Connect once, so a wrong or unreachable DATABASE_URL is one clear error at start, not a traceback."""
        try:
            async with self.engine.connect() as connection:
                await connection.exec_driver_sql("SELECT 1")
        except (OSError, DBAPIError, asyncio.TimeoutError) as exc:
            raise StorageError(f"cannot reach the database at {safe_url(self.url)}: {first_line(exc)}") from None

    async def close(self) -> None:
        if self._held is not None:
            held, self._held = self._held[0], None
            with contextlib.suppress(Exception):
                await held.close()
        await self.engine.dispose()
        if self._checkpoints is not None:
            await asyncio.to_thread(self._checkpoints.stop)

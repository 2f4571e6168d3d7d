"""The statements every message runs, compiled once and run on the transaction's own connection.

Executing a Core statement through SQLAlchemy's async engine costs several times what SQLite takes to
run it: the compiled-cache lookup, an execution context, result wrapping, and on aiosqlite four thread
hand-offs (cursor, execute, fetch, close). A `Prepared` statement is compiled by SQLAlchemy itself, once
per dialect, with the order and conversion of its parameters and result columns; on SQLite it then runs
in one hand-off to aiosqlite's thread (`execute_fetchall`), in the same transaction as the session's
other statements. On Postgres it runs on asyncpg's connection, prepared once per connection in
SQLAlchemy's own statement cache, in the transaction SQLAlchemy began there; errors come back as
SQLAlchemy raises them either way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Processor = Callable[[Any], Any] | None
_REQUIRED = object()
_CONNECTION = "prepared_connection"


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    constants: tuple[Any, ...]  # a bound value fixed in the statement, or _REQUIRED from the caller
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]


class Prepared:
    """One Core statement, compiled on first use for each dialect. `columns` names the values an INSERT
    is given (an INSERT compiles to those columns only)."""

    def __init__(self, statement: Any, columns: Sequence[str] | None = None) -> None:
        self.statement = statement
        self._columns = list(columns) if columns is not None else None
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=self._columns)
        names = tuple(compiled.positiontup or ())
        binds = [compiled.binds[name] for name in names]
        constants = tuple(_REQUIRED if bind.required else bind.effective_value for bind in binds)
        return _Compiled(
            compiled.string, names, constants,
            tuple(bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds),
            tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                  for column in self.statement.exported_columns))

    def parameters(self, dialect: Dialect, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL and its positional parameters, converted as SQLAlchemy would."""
        compiled = self.compiled(dialect)
        out = []
        for name, constant, process in zip(compiled.names, compiled.constants, compiled.binds):
            value = values[name] if constant is _REQUIRED else constant
            out.append(process(value) if process is not None else value)
        return compiled.sql, out


@dataclass(frozen=True, slots=True)
class Rows:
    rows: list[tuple[Any, ...]]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]


async def run(session: AsyncSession, prepared: Prepared, values: Mapping[str, Any]) -> Rows:
    """Run `prepared` in the session's transaction; its RETURNING or selected rows, as plain tuples."""
    connection, driver = await _connections(session)
    dialect = connection.dialect
    if driver is None:  # a database with neither driver: SQLAlchemy's own path
        result = await connection.execute(prepared.statement, dict(values))
        return Rows([tuple(row) for row in result] if result.returns_rows else [])
    sql, parameters = prepared.parameters(dialect, values)
    raw = await on_driver(driver, dialect, sql, parameters)
    processors = prepared.compiled(dialect).results
    return Rows([tuple(value if process is None else process(value) for value, process in zip(row, processors))
                 for row in raw])


async def on_driver(driver: Any, dialect: Dialect, sql: str, parameters: Sequence[Any] = ()) -> Any:
    """One statement on the driver's connection (aiosqlite's, or SQLAlchemy's adapter of asyncpg's); an
    error is raised as SQLAlchemy raises it, so callers see one kind of database error."""
    if dialect.name == "postgresql":
        return await _on_asyncpg(driver, dialect, sql, parameters)
    return await _on_aiosqlite(driver, dialect, sql, parameters)


async def _on_aiosqlite(driver: Any, dialect: Dialect, sql: str, parameters: Sequence[Any]) -> Any:
    """Inside a transaction the statement runs here, on the event loop: every transaction on SQLite begins
    IMMEDIATE (storage/engine.py), so it already holds the write lock and no statement in it can wait for
    another process's lock (in WAL mode readers never block). A hand-off to aiosqlite's thread costs more
    than most of these statements take. Outside a transaction it goes to the thread, where a wait for the
    lock blocks nothing else."""
    try:
        connection = inline_connection(driver)
        if connection is not None:
            return connection.execute(sql, parameters).fetchall()
        return await driver.execute_fetchall(sql, parameters)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, list(parameters), exc, sqlite3.Error, hide_parameters=True,
                                  dialect=dialect) from exc


async def control(driver: Any, dialect: Dialect, sql: str) -> None:
    """A statement of the transaction's own (SAVEPOINT, ROLLBACK TO ...), on the driver's connection. On
    Postgres it is sent as a simple query: prepared, each savepoint's name would take a place in the
    connection's statement cache from the statements that are run again and again."""
    if dialect.name == "postgresql":
        await _on_asyncpg(driver, dialect, sql, None)
    else:
        await _on_aiosqlite(driver, dialect, sql, ())


async def _on_asyncpg(adapted: Any, dialect: Dialect, sql: str, parameters: Sequence[Any] | None) -> Any:
    """What SQLAlchemy's asyncpg cursor does for a statement, without the cursor, execution context and
    result wrapping around it, which cost more than the round trip: the transaction SQLAlchemy began
    is started on first use, as its cursor starts it, and the statement is taken from the connection's
    prepared-statement cache."""
    dbapi = dialect.loaded_dbapi
    try:
        async with adapted._execute_mutex:
            if adapted._transaction is None:
                await adapted._start_transaction()
            if parameters is None:
                return await adapted._connection.execute(sql)
            statement, _ = await adapted._prepare(sql, dialect._invalidate_schema_cache_asof)  # type: ignore[attr-defined]
            return await statement.fetch(*parameters)
    except Exception as exc:
        translated = exc if isinstance(exc, dbapi.Error) else _known_error(adapted, exc)
        if translated is None:
            raise
        # A lost connection is marked so, as SQLAlchemy marks it, for the pool to drop it (storage/engine.py).
        lost = dialect.is_disconnect(translated, adapted, None)
        raise DBAPIError.instance(sql, list(parameters or ()), translated, dbapi.Error, hide_parameters=True,
                                  dialect=dialect, connection_invalidated=lost) from exc


def _known_error(adapted: Any, exc: Exception) -> Exception | None:
    """asyncpg's error as the DB-API error SQLAlchemy knows it by (None for one that is no database's)."""
    try:
        adapted._handle_exception(exc)
    except adapted.dbapi.Error as known:
        return known
    except Exception:
        return None
    return None


def inline_connection(driver: Any) -> sqlite3.Connection | None:
    """The aiosqlite connection's sqlite3 connection when it is in a transaction (so holds the write lock)
    and its thread is idle, which it is between two awaited calls of the one task using it; else None."""
    connection = driver._conn  # as SQLAlchemy's own aiosqlite adapter reaches it
    return connection if connection.in_transaction else None


def bind_connection(session: AsyncSession, connection: AsyncConnection, driver: Any) -> None:
    """Tell `run` which connection (and driver connection: see `driver_of`) the session's transaction is on."""
    session.info[_CONNECTION] = (connection, driver)


async def _connections(session: AsyncSession) -> tuple[AsyncConnection, Any]:
    cached = session.info.get(_CONNECTION)
    if cached is not None:
        return cached
    connection = session.bind if isinstance(session.bind, AsyncConnection) else await session.connection()
    driver = await driver_of(connection)
    bind_connection(session, connection, driver)
    return connection, driver


async def driver_of(connection: AsyncConnection) -> Any:
    """What `on_driver` runs statements on: aiosqlite's connection on SQLite, SQLAlchemy's adapter of
    asyncpg's connection on Postgres (it owns the transaction and the statement cache), else None."""
    raw = await connection.get_raw_connection()
    if connection.dialect.name == "sqlite":
        return raw.driver_connection
    if connection.dialect.driver == "asyncpg":
        return raw.dbapi_connection
    return None

"""Run alembic migrations programmatically (used by `socialdesk db upgrade` and `socialdesk run`).

Alembic is imported only when a migration runs or a schema is checked through it: a start on an SQLite
file already at head (storage/revisions.py) never loads it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.errors import StorageError
from storage.engine import create_engine, first_line, normalise_url, safe_url
from storage.revisions import sqlite_at_head

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Passed as an attribute, not an ini option, so a password with '%' needs no escaping.
    config.attributes["database_url"] = normalise_url(url)
    return config


def upgrade_sync(url: str, revision: str = "head") -> None:
    from alembic import command

    try:
        command.upgrade(alembic_config(url), revision)
    except (OperationalError, DBAPIError, OSError) as exc:
        raise StorageError(f"cannot migrate the database at {safe_url(url)}: {first_line(exc)}") from None


async def upgrade(url: str, revision: str = "head") -> None:
    if revision == "head" and sqlite_at_head(normalise_url(url)):
        return  # nothing to migrate: the usual start
    # Alembic's async env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade_sync, url, revision)


async def require_current(url: str) -> None:
    """Refuse to start on a database whose schema is not the one this code expects: one clear line
    (run `socialdesk db upgrade`) instead of a failure somewhere later."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    heads, known = set(script.get_heads()), {rev.revision for rev in script.walk_revisions()}
    current = await _current_revisions(url)
    if current == heads:
        return
    if not current:
        raise StorageError(f"the database at {safe_url(url)} has no socialdesk tables yet: run `socialdesk db upgrade`")
    if current - known:
        raise StorageError(f"the database at {safe_url(url)} is at schema {', '.join(sorted(current - known))}, newer "
                           "than this version of socialdesk: upgrade socialdesk")
    raise StorageError(f"the database at {safe_url(url)} is at schema {', '.join(sorted(current))} but this version "
                       f"needs {', '.join(sorted(heads))}: run `socialdesk db upgrade`")


async def _current_revisions(url: str) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads()))
    except (OperationalError, DBAPIError, OSError) as exc:
        raise StorageError(f"cannot reach the database at {safe_url(url)}: {first_line(exc)}") from None
    finally:
        await engine.dispose()

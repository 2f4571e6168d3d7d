"""Run alembic migrations programmatically (used by `socialdesk db upgrade` and `socialdesk run`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.errors import StorageError
from storage.engine import first_line, normalise_url, safe_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Passed as an attribute, not an ini option, so a password with '%' needs no escaping.
    config.attributes["database_url"] = normalise_url(url)
    return config


def upgrade_sync(url: str, revision: str = "head") -> None:
    try:
        command.upgrade(alembic_config(url), revision)
    except (OperationalError, DBAPIError, OSError) as exc:
        raise StorageError(f"cannot migrate the database at {safe_url(url)}: {first_line(exc)}") from None


async def upgrade(url: str, revision: str = "head") -> None:
    # Alembic's async env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade_sync, url, revision)


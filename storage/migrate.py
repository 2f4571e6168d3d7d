"""Run alembic migrations programmatically (used by `socialdesk db upgrade` and `socialdesk run`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.errors import StorageError
from storage.engine import normalise_url

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
        raise StorageError(f"cannot migrate the database at {_safe(url)}: {_first_line(exc)}") from None


async def upgrade(url: str, revision: str = "head") -> None:
    # Alembic's async env runs its own event loop, so it gets a thread of its own.
    await asyncio.to_thread(upgrade_sync, url, revision)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _safe(url: str) -> str:
    return make_url(normalise_url(url)).render_as_string(hide_password=True)

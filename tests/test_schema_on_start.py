"""A start on an SQLite file already at the latest schema skips the migration machinery; a file at an older
schema, or a new one, is still migrated on start."""

import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from storage.migrate import alembic_config, upgrade
from storage.revisions import code_heads

REPO = Path(__file__).resolve().parent.parent


def _revisions(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _start_in_a_new_process(url: str) -> str:
    """Upgrade on start as `socialdesk run` does, in a fresh interpreter; says whether alembic was loaded."""
    code = ("import asyncio, sys\nfrom storage.migrate import upgrade\n"
            f"asyncio.run(upgrade({url!r}))\nprint('alembic loaded' if 'alembic' in sys.modules else 'alembic not loaded')")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_latest_schema_read_from_the_migration_files_is_alembics() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db"))
    assert code_heads() == frozenset(script.get_heads())


async def test_a_database_at_the_latest_schema_starts_without_loading_the_migrations(tmp_path: Path) -> None:
    path = tmp_path / "socialdesk.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    tables = _tables(path)
    assert _start_in_a_new_process(url) == "alembic not loaded"
    assert _revisions(path) == set(code_heads())
    assert _tables(path) == tables


async def test_a_database_at_an_older_schema_is_migrated_on_start(tmp_path: Path) -> None:
    path = tmp_path / "socialdesk.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url, "0003")
    assert "webhook_deliveries" not in _tables(path)
    assert _start_in_a_new_process(url) == "alembic loaded"
    assert _revisions(path) == set(code_heads())
    assert "webhook_deliveries" in _tables(path)


def test_a_new_database_file_is_created_at_the_latest_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    _start_in_a_new_process(f"sqlite+aiosqlite:///{path}")
    assert _revisions(path) == set(code_heads())
    assert "webhook_deliveries" in _tables(path)

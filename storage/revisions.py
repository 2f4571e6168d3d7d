"""Whether an SQLite file's schema is already the one this code expects, found without alembic.

Every start of `socialdesk run` or `chat` upgrades its SQLite file, and nearly always there is nothing to do.
Alembic's machinery (its imports, its script directory, its environment on a loop of its own) costs about a
tenth of a second of a cold start to learn that. The heads are read here from the migration files' own
`revision` and `down_revision` lines, and the file's revision from alembic's version table; when the two
agree the migration is skipped, and in every other case (an older schema, a new file, a file that cannot be
read) alembic runs as before.
"""

from __future__ import annotations

import ast
import functools
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url

from storage.engine import sqlite_path

VERSIONS = Path(__file__).parent / "migrations" / "versions"


@functools.cache
def code_heads() -> frozenset[str]:
    """The revisions no migration builds on: what `alembic upgrade head` leaves a database at."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        values = _assignments(path)
        if isinstance(values.get("revision"), str):
            revisions.add(values["revision"])
            parents.update(_names(values.get("down_revision")))
    return frozenset(revisions - parents)


def _assignments(path: Path) -> dict[str, object]:
    """The module-level constants of a migration file (`revision = '0004'`, annotated or not)."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target.id, node.value
        else:
            continue
        try:
            found[target] = ast.literal_eval(value)
        except ValueError:
            continue
    return found


def _names(down_revision: object) -> set[str]:
    """A migration builds on none, one (a string) or several (a merge: a tuple) revisions."""
    if isinstance(down_revision, str):
        return {down_revision}
    if isinstance(down_revision, (tuple, list)):
        return {name for name in down_revision if isinstance(name, str)}
    return set()


def sqlite_revisions(url: str) -> frozenset[str] | None:
    """The revisions alembic recorded in the SQLite file at `url`; None when that cannot be read cheaply
    (not an SQLite file, in memory, missing, no version table yet, locked or damaged)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or sqlite_path(parsed) in (":memory:", ""):
        return None
    path = Path(sqlite_path(parsed))
    if not path.is_file():
        return None
    try:
        # Read-only, so a check never creates or changes the file; and never waiting for a lock: a file
        # another process is writing goes to alembic, which waits for it.
        connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=0)
        try:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return frozenset(str(row[0]) for row in rows)


def sqlite_at_head(url: str) -> bool:
    """Whether the SQLite file at `url` is at exactly this code's heads, so there is nothing to migrate."""
    current = sqlite_revisions(url)
    return bool(current) and current == code_heads()

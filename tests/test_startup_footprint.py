"""A chat started in a folder made by `socialdesk init` loads only what it uses: no migration machinery when the
database is already current, no web server, no Postgres dialect on SQLite, no table-drawing library, no platform
SDK without its account and no training library with the model cached."""

import os
import subprocess
import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parent.parent)
UNUSED = ("alembic", "starlette", "uvicorn", "rich", "sqlalchemy.dialects.postgresql", "asyncpg", "telegram",
          "slack_bolt", "tweepy", "sklearn")
# The command as the console script runs it, saying at exit which of UNUSED it loaded.
PROGRAM = ("import atexit, sys\n"
           f"atexit.register(lambda: print('loaded:', sorted(m for m in {UNUSED!r} if m in sys.modules), file=sys.stderr))\n"
           "sys.argv = ['socialdesk', *sys.argv[1:]]\n"
           "from bot.cli import main\n"
           "main()\n")


def _socialdesk(folder: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("TELEGRAM_", "SLACK_", "X_", "EMAIL_", "META_", "WHATSAPP_", "MESSENGER_",
                                        "INSTAGRAM_", "DATABASE_"))}
    environment.update(PYTHONPATH=REPO, SOCIALDESK_NOW="2026-11-25T10:00:00+00:00")
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], cwd=folder, input=stdin, capture_output=True,
                          text=True, env=environment, timeout=120)


def test_a_chat_on_a_current_database_loads_nothing_it_does_not_use(initialised: Path) -> None:
    first = _socialdesk(initialised, "chat", stdin="hi\n")  # creates the database: the migrations run
    assert first.returncode == 0, first.stderr
    assert "'alembic'" in first.stderr
    again = _socialdesk(initialised, "chat", "--as", "Sam", stdin="what time do you open?\n")
    assert again.returncode == 0, again.stderr
    assert "Corner Bean Café:" in again.stdout
    assert "loaded: []" in again.stderr

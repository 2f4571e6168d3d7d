"""Shared fixtures: real SQLite files in tmp dirs, a real Postgres database when TEST_DATABASE_URL is set,
an injected clock, the example café profile (its intent model trained once per session), a per-session
user cache dir, a guard that fails any test touching the internet, and a console conversation (`chat`).
More fixtures come from the modules in `pytest_plugins`."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import make_url

from bot.app import App, Outlets, build_app, model_cache_dir
from bot.clock import FrozenClock
from bot.profile.load import example_profile_text
from bot.settings import Settings
from storage.engine import Database
from storage.migrate import upgrade
from tests.support.apps import outlets, settings_for
from tests.support.channels import NoteDesk, RecordingChannel
from tests.support.console import ConsoleTranscript

pytest_plugins = ["tests.support.fixtures", "tests.support.outage", "tests.event_support", "tests.slack_harness"]

LONDON = ZoneInfo("Europe/London")
# The example profile as `socialdesk init` would have written it on this day: its coffee tasting
# falls two weeks later, on Saturday 5 December 2026.
EXAMPLE_WRITTEN_ON = date(2026, 11, 21)
POSTGRES_SKIP = "TEST_DATABASE_URL not set: Postgres variant skipped (SQLite variant ran)"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            raise RuntimeError(f"tests may not reach the network (tried {host})")
    return _real_connect(self, address)


def run_temp_dir(factory: pytest.TempPathFactory) -> Path:
    """The tmp dir of this whole run: shared by pytest-xdist's workers (`make test`), else the session's."""
    base = factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


@pytest.fixture(scope="session", autouse=True)
def user_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """$XDG_CACHE_HOME in a tmp dir for the whole run: the embeddings model is exported to ONNX there
    once per run (see embeddings_encoder), and never into the real ~/.cache."""
    folder = run_temp_dir(tmp_path_factory) / "xdg-cache"
    folder.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder


@pytest.fixture(scope="session")
def embeddings_encoder(user_cache_dir: Path) -> object:
    """The embeddings model's encoder. The first worker to ask exports the model to ONNX into the
    shared user cache while any other waits on the lock, then loads that export as a later start does."""
    from bot.understanding.embedding import DEFAULT_MODEL, load_encoder

    with (user_cache_dir / "export.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return load_encoder(DEFAULT_MODEL)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


def london(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def clock() -> FrozenClock:
    # A Wednesday morning in late November, in the café's own time zone.
    return FrozenClock(london(2026, 11, 25, 10, 0))


@pytest.fixture(scope="session")
def example_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example café's trained intent model, as the bot caches it next to its profile: built once per
    session by starting the app on the example profile (about a second of training)."""
    folder = tmp_path_factory.mktemp("example-model")
    profile = folder / "business.yaml"
    profile.write_text(example_profile_text(EXAMPLE_WRITTEN_ON), encoding="utf-8")
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{folder / 'socialdesk.db'}",
                        socialdesk_config=str(profile))

    async def start_once() -> None:
        built = await build_app(settings, clock=FrozenClock(london(2026, 11, 25, 10, 0)))
        await built.close()

    asyncio.run(start_once())
    (model,) = model_cache_dir(profile).glob("intents-*.pkl")
    return model


def warm_model_cache(profile_folder: Path, model: Path) -> None:
    """Put the example model in the model cache of a profile in `profile_folder`, as if the bot had run
    there before: a profile with the example's intents then loads it instead of training again (the
    cache key is the examples, so any other profile still trains). The product never writes into a
    cached file (it replaces files whole), so a hard link is safe to share."""
    cache = model_cache_dir(profile_folder / "business.yaml")
    cache.mkdir(exist_ok=True)
    try:
        os.link(model, cache / model.name)
    except OSError:
        shutil.copy2(model, cache / model.name)


def init_folder(folder: Path, model: Path, *, migrate: bool = False) -> None:
    """`socialdesk init` into `folder` on the processes' day (and `socialdesk db upgrade` with `migrate`),
    run in this process, with a warm model cache: the folder a test then starts real processes in."""
    from typer.testing import CliRunner

    from bot.cli import app as cli
    from tests.test_cli import PROCESS_NOW

    commands = [["init"], ["db", "upgrade"]] if migrate else [["init"]]
    with contextlib.chdir(folder):
        for command in commands:
            result = CliRunner().invoke(cli, command, env={"SOCIALDESK_NOW": PROCESS_NOW.isoformat(),
                                                           "DATABASE_URL": None})
            assert result.exit_code == 0, result.output
    warm_model_cache(folder, model)


@pytest.fixture
def initialised(tmp_path: Path, example_model: Path) -> Path:
    """tmp_path after `socialdesk init`, with a warm model cache (see init_folder)."""
    init_folder(tmp_path, example_model)
    return tmp_path


@pytest.fixture
def profile_dir(tmp_path: Path, example_model: Path) -> Path:
    folder = tmp_path / "cafe"
    folder.mkdir()
    (folder / "business.yaml").write_text(example_profile_text(EXAMPLE_WRITTEN_ON), encoding="utf-8")
    warm_model_cache(folder, example_model)
    return folder


@pytest.fixture
def cafe(tmp_path: Path, example_model: Path) -> Path:
    """The example café without its event (whose invites would go to platforms no test fakes here)."""
    folder = tmp_path / "cafe"
    folder.mkdir()
    (folder / "business.yaml").write_text(example_profile_text(EXAMPLE_WRITTEN_ON).split("\nevents:")[0] + "\n", encoding="utf-8")
    warm_model_cache(folder, example_model)
    return folder


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'socialdesk.db'}"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str | None]:
    """A database of our own on the Postgres server, so parallel runs never share tables."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"socialdesk_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(base, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(user=parsed.username, password=parsed.password, host=parsed.host,
                                       port=parsed.port or 5432, database=parsed.database)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, sqlite_url: str, postgres_server_url: str | None) -> str:
    """Each storage test runs on a SQLite file and, when TEST_DATABASE_URL is set, on Postgres."""
    if request.param == "sqlite":
        return sqlite_url
    if postgres_server_url is None:
        pytest.skip(POSTGRES_SKIP)
    await _admin(postgres_server_url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return postgres_server_url


@pytest.fixture
async def migrated_database_url(database_url: str) -> str:
    """`database_url` at the code's schema, for processes that do not upgrade it themselves (a shared Postgres is
    upgraded by the release step)."""
    await upgrade(database_url)
    return database_url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    await upgrade(database_url)
    database = Database(database_url)
    yield database
    await database.close()


def _outlets(request: pytest.FixtureRequest) -> Outlets:
    """The web chat's channel, as `socialdesk serve` has it (its routes share it with the worker). A test that
    asks for `shell` (the console's channel, recording) or `channels` (stand-ins for Telegram, X and Slack)
    gets an app delivering through them too; with `channels`, to an owner's desk that keeps notes."""
    wanted: list[RecordingChannel] = []
    if "shell" in request.fixturenames:
        wanted.append(request.getfixturevalue("shell"))
    if "channels" in request.fixturenames:
        wanted.extend(request.getfixturevalue("channels").values())
    owner = NoteDesk() if "channels" in request.fixturenames else None
    return outlets(*wanted, owner=owner, platforms=("webchat",))


@pytest.fixture
async def app(request: pytest.FixtureRequest, profile_dir: Path, sqlite_url: str,
              clock: FrozenClock) -> AsyncIterator[App]:
    """The whole bot on the example café profile and a SQLite file, with a frozen clock."""
    built = await build_app(settings_for(profile_dir, sqlite_url), clock=clock, outlets=_outlets(request))
    yield built
    await built.close()


@pytest.fixture
async def any_app(request: pytest.FixtureRequest, database_url: str, profile_dir: Path,
                  clock: FrozenClock) -> AsyncIterator[App]:
    """The whole bot on the example café profile, on a SQLite file and (with TEST_DATABASE_URL) on Postgres."""
    await upgrade(database_url)
    built = await build_app(settings_for(profile_dir, database_url), clock=clock, outlets=_outlets(request))
    yield built
    await built.close()


@pytest.fixture
async def chat(profile_dir: Path, sqlite_url: str, clock: FrozenClock) -> AsyncIterator[ConsoleTranscript]:
    """A console conversation with the café's bot (`chat.app` is the bot): `await chat.say("hi")`."""
    transcript = await ConsoleTranscript.open(settings_for(profile_dir, sqlite_url), clock)
    yield transcript
    await transcript.close()

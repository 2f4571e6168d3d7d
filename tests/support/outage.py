"""A Postgres database of the suite's own that a test can take away mid-test and give back (the `outage`
fixture; skipped without TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import make_url

from storage.migrate import upgrade
from tests.conftest import POSTGRES_SKIP, _admin


@dataclass
class Outage:
    """A Postgres database of the suite's own that can be taken away mid-test and given back."""

    url: str
    _name: str
    _server: str

    async def database_goes(self) -> None:
        await _admin(self._server, f'ALTER DATABASE "{self._name}" ALLOW_CONNECTIONS false')
        await _admin(self._server,
                     f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self._name}'")

    async def database_back(self) -> None:
        await _admin(self._server, f'ALTER DATABASE "{self._name}" ALLOW_CONNECTIONS true')


@pytest.fixture
async def outage(postgres_server_url: str | None) -> AsyncIterator[Outage]:
    if postgres_server_url is None:
        pytest.skip(POSTGRES_SKIP)
    await _admin(postgres_server_url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    await upgrade(postgres_server_url)
    database = Outage(postgres_server_url, str(make_url(postgres_server_url).database), os.environ["TEST_DATABASE_URL"])
    yield database
    await database.database_back()

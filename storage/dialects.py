"""SQLAlchemy's dialect modules for the statements that differ by database (INSERT ... ON CONFLICT), each
imported when a process first runs one: a bot on SQLite never loads the Postgres dialect, a few
hundredths of a second of every start."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Generic, TypeVar

T = TypeVar("T")
_MODULES = {"sqlite": "sqlalchemy.dialects.sqlite", "postgresql": "sqlalchemy.dialects.postgresql"}


def dialect_module(name: str) -> ModuleType:
    """sqlalchemy.dialects.sqlite or .postgresql, for an engine's `dialect.name`."""
    return importlib.import_module(_MODULES[name])


class PerDialect(Generic[T]):
    """A statement built once for each dialect, the first time a process asks for it by dialect name."""

    def __init__(self, build: Callable[[ModuleType], T]) -> None:
        self._build = build
        self._built: dict[str, T] = {}

    def __getitem__(self, name: str) -> T:
        found = self._built.get(name)
        if found is None:
            found = self._built[name] = self._build(dialect_module(name))
        return found

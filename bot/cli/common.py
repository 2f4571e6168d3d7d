"""What every `socialdesk` command shares: the --config option, reading settings, and reporting our errors as one
line on stderr (exit code 1) instead of a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import typer

from bot import logs
from bot.errors import SocialdeskError
from bot.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])
ConfigOption = typer.Option(None, "--config", "-c", help="The business profile (default: $SOCIALDESK_CONFIG or business.yaml).")


@contextmanager
def reported_errors() -> Iterator[None]:
    try:
        yield
    except SocialdeskError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def friendly_errors(command: F) -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reported_errors():
            return command(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def command_settings(config: Path | None, *, console: bool = False, quiet: bool = False) -> Settings:
    """Settings from the environment with --config applied, and logging set up to hide every secret.
    `quiet` keeps routine INFO lines out of a command whose output is the answer."""
    settings = load_settings()
    if config is not None:
        settings = settings.model_copy(update={"socialdesk_config": str(config)})
    if quiet:
        settings = settings.model_copy(update={"log_level": "WARNING"})
    logs.configure("WARNING" if quiet else log_level(settings, console), settings.secret_values())
    return settings


def log_level(settings: Settings, console: bool) -> str:
    """With the console in this terminal, routine INFO lines would land in the middle of the chat: only
    warnings show there, unless LOG_LEVEL asks for more."""
    return "WARNING" if console and "log_level" not in settings.model_fields_set else settings.log_level


def bot_migrates(settings: Settings) -> bool:
    """SQLite files are upgraded on start; a shared Postgres is upgraded by the release step."""
    return settings.database_url.startswith("sqlite")

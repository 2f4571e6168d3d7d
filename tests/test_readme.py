"""README.md and docs/*.md say what the code does: the start-up lines, the commands, the variables."""

from __future__ import annotations

import dataclasses
import re
from io import StringIO
from pathlib import Path

from typing import Any

from typer.main import get_command

from bot.app import App
from bot.cli import app as cli
from bot.handlers.shell import HELP
from bot.registry import customer_channels
from bot.runner import describe_channels
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = [README] + [path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))]


async def test_the_quick_start_shows_the_channel_lines_socialdesk_run_prints(app: App) -> None:
    no_secrets = {name: None for name, value in vars(app.settings).items() if name.endswith(("_token", "_secret", "_key"))}
    bare = dataclasses.replace(app.ports, settings=app.settings.model_copy(update=no_secrets))
    out = StringIO()
    describe_channels(customer_channels(bare), console=True, out=out)
    for line in out.getvalue().splitlines():
        assert f"\n{line}\n" in README, line


def _commands() -> dict[str, bool]:
    """Every command line, and whether it is a group that needs a sub-command."""
    names: dict[str, bool] = {}

    def walk(command: Any, prefix: str) -> None:
        names[prefix] = bool(getattr(command, "commands", None))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{prefix} {name}")

    walk(get_command(cli), "socialdesk")
    return names


def test_every_socialdesk_command_the_docs_name_exists() -> None:
    known = _commands()
    for text in DOCS:
        for found in re.findall(r"`socialdesk ([a-z0-9]+(?: [a-z0-9]+)?)", text):
            first = f"socialdesk {found.split()[0]}"
            assert first in known, found
            assert not known[first] or f"socialdesk {found}" in known, found


def test_every_environment_variable_in_the_readme_is_read_and_every_secret_is_listed() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    named = set(re.findall(r"`([A-Z][A-Z_]+[A-Z])`", README))
    assert named - fields - {"TEST_DATABASE_URL", "INFO", "WARNING"} == set()
    secrets = {name.upper() for name, field in Settings.model_fields.items() if "Secret" in str(field.annotation)}
    assert secrets <= named


def test_the_console_commands_the_readme_names_are_the_consoles() -> None:
    named = set(re.findall(r"`(/[a-z]+)", README)) - {"/health", "/metrics"}  # web paths
    assert named and named <= set(re.findall(r"/[a-z]+", HELP))

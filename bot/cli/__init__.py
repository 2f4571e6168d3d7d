"""The `socialdesk` command: set-up and running (main), contacts, events, evaluation and `check`, each its own
module, sharing one way to read settings, open the profile and report errors (common)."""

from bot.cli.commands import app, main

__all__ = ["app", "main"]

"""The console as a conversation: a test types a line and reads what appeared because of it."""

from __future__ import annotations

from io import StringIO
from typing import Any

from bot.app import App, Outlets, build_app
from bot.clock import Clock
from bot.handlers.shell import Console
from bot.owner import Approvals
from bot.settings import Settings


class ConsoleTranscript:
    """A console session whose output is captured: conversation-style tests read like a chat. Its app
    delivers as `socialdesk chat` does: the console is the customer's channel and the owner's desk."""

    def __init__(self, app: App, out: StringIO) -> None:
        self.app, self.out = app, out
        self.console = Console(app.router, Approvals(app.db, app.clock, None), app.worker, app.clock, out,
                               customer="Ana", intents=app.profile.active_intents(), retrain=app.retrain)
        self._seen = 0

    @classmethod
    async def open(cls, settings: Settings, clock: Clock, **options: Any) -> ConsoleTranscript:
        """A console on a bot built from `settings` (close it with `close`)."""
        out = StringIO()
        return cls(await build_app(settings, clock=clock, outlets=Outlets.for_chat(out), **options), out)

    async def say(self, line: str) -> str:
        """Type one line; return only what appeared because of it."""
        await self.console.say(line)
        text = self.out.getvalue()
        new, self._seen = text[self._seen:], len(text)
        return new

    async def close(self) -> None:
        await self.app.close()

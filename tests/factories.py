"""Small factories with overrides, so tests say only what matters to them."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from io import StringIO
from typing import Any

from bot.app import App
from bot.handlers.shell import Console, ConsoleDesk, ShellChannel
from bot.messages import Inbound, Outbound, Sender
from bot.owner import Approvals

_ids = itertools.count(1)


def inbound(text: str = "hello", **overrides: Any) -> Inbound:
    values: dict[str, Any] = dict(
        platform="shell", kind="dm", external_id=f"m-{next(_ids)}", thread_key="console:ana",
        sender=Sender("console:ana", "Ana Lopez", "ana"), text=text,
        received_at=datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc),
    )
    values.update(overrides)
    return Inbound(**values)


class RecordingChannel:
    """A stand-in platform that records what it was asked to send, and can be told to fail."""

    def __init__(self, platform: str = "shell") -> None:
        self.platform = platform
        self.sent: list[Outbound] = []
        self.failures: list[Exception] = []

    async def start(self, deliver: object) -> None:
        return None

    async def send(self, outbound: Outbound) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(outbound)
        return f"{self.platform}-sent-{len(self.sent)}"

    async def stop(self) -> None:
        return None

    def acknowledgements(self) -> list[str]:
        """The "Sam will reply personally" texts a held customer got at once."""
        return [o.text for o in self.sent if o.idempotency_key.startswith("ack:")]

    def replies(self) -> list[Outbound]:
        """Everything sent but those acknowledgements: answers, confirmations, the owner's words."""
        return [o for o in self.sent if not o.idempotency_key.startswith("ack:")]


def answered_alone(transcript: str) -> list[str]:
    """The bot's lines to the customer in a console transcript, but for the held acknowledgement
    ("Sam will reply to you personally"), which says nothing in the owner's name."""
    return [line for line in transcript.splitlines()
            if line.startswith("Corner Bean Café:") and "will reply to you personally" not in line]


class ConsoleTranscript:
    """A console session whose output is captured: conversation-style tests read like a chat."""

    def __init__(self, app: App) -> None:
        self.out = StringIO()
        app.worker.channels["shell"] = ShellChannel(self.out, app.profile.business.name)
        app.worker.owner = ConsoleDesk(self.out)
        self.console = Console(app.router, Approvals(app.db, app.clock, None), app.worker, app.clock, self.out,
                               customer="Ana", intents=app.profile.active_intents(), retrain=app.retrain)
        self._seen = 0

    async def say(self, line: str) -> str:
        """Type one line; return only what appeared because of it."""
        await self.console.say(line)
        text = self.out.getvalue()
        new, self._seen = text[self._seen:], len(text)
        return new

"""A recording platform for event tests: a real Channel implementation that keeps what it was asked
to send, standing in for Telegram, X or Slack (the platform, not our code)."""

from __future__ import annotations

from bot.messages import Outbound


class RecordingChannel:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.sent: list[Outbound] = []

    async def start(self, deliver: object) -> None:
        return None

    async def send(self, outbound: Outbound) -> str:
        self.sent.append(outbound)
        return f"{self.platform}-{len(self.sent)}"

    async def stop(self) -> None:
        return None

    def texts(self) -> list[str]:
        return [o.text for o in self.sent]


class NoteDesk:
    """An owner's desk that keeps notes (and would show cards)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.cards: list[object] = []

    async def post_draft(self, view: object) -> str:
        self.cards.append(view)
        return f"card-{len(self.cards)}"

    async def post_note(self, text: str) -> str:
        self.notes.append(text)
        return f"note-{len(self.notes)}"

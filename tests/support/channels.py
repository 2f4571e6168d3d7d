"""Stand-ins for a platform and for the owner's desk: real implementations of the Channel and OwnerDesk
interfaces that keep what they were asked to send (the platform is what is faked, never our code)."""

from __future__ import annotations

from bot.messages import Outbound


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

    def texts(self) -> list[str]:
        return [o.text for o in self.sent]

    def acknowledgements(self) -> list[str]:
        """The "Sam will reply personally" texts a held customer got at once."""
        return [o.text for o in self.sent if o.idempotency_key.startswith("ack:")]

    def replies(self) -> list[Outbound]:
        """Everything sent but those acknowledgements: answers, confirmations, the owner's words."""
        return [o for o in self.sent if not o.idempotency_key.startswith("ack:")]


class NoteDesk:
    """An owner's desk that keeps notes (and would show cards)."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.cards: list[object] = []

    async def post_draft(self, view: object) -> str:
        self.cards.append(view)
        return f"card-{len(self.cards)}"

    async def post_note(self, text: str, conversation_id: int | None = None) -> str:
        self.notes.append(text)
        return f"note-{len(self.notes)}"

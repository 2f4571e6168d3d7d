"""Small factories with overrides, so tests say only what matters to them."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Any

from bot.messages import Inbound, Sender

_ids = itertools.count(1)


def inbound(text: str = "hello", **overrides: Any) -> Inbound:
    values: dict[str, Any] = dict(
        platform="shell", kind="dm", external_id=f"m-{next(_ids)}", thread_key="console:ana",
        sender=Sender("console:ana", "Ana Lopez", "ana"), text=text,
        received_at=datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc),
    )
    values.update(overrides)
    return Inbound(**values)


def answered_alone(transcript: str) -> list[str]:
    """The bot's lines to the customer in a console transcript, but for the held acknowledgement
    ("Sam will reply to you personally"), which says nothing in the owner's name."""
    return [line for line in transcript.splitlines()
            if line.startswith("Corner Bean Café:") and "will reply to you personally" not in line]

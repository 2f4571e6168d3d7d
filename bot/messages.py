"""The typed values that cross module boundaries: what arrives, what leaves, what was decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Mapping




class InboundKind(StrEnum):
    """How a message reached the bot: a direct message, a mention in public, a reply to the bot, a group
    message naming it, or a press on one of our own buttons."""
    DM = "dm"
    MENTION = "mention"
    REPLY = "reply"
    GROUP = "group"
    CALLBACK = "callback"


class ConversationState(StrEnum):
    """Who answers a conversation. bot → awaiting_owner when a draft is held (the router, or the worker
    holding a reply back); back to bot when the owner decides it; human while the owner has taken it over.
    Only the router and the owner's actions (bot/owner.py) move a conversation between states."""
    BOT = "bot"
    AWAITING_OWNER = "awaiting_owner"
    HUMAN = "human"


class DraftStatus(StrEnum):
    """Where a draft stands. Sent alone (auto), nothing to say (silent), or shown to the owner: waiting
    (pending), folded into the card of an earlier one (merged), or passed on while a person has the
    conversation (forwarded); then decided: approved, edited, rejected, or superseded by the owner's own reply."""
    AUTO = "auto"
    SILENT = "silent"
    FORWARDED = "forwarded"
    PENDING = "pending"
    MERGED = "merged"
    APPROVED = "approved"
    EDITED = "edited"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class Sender:
    platform_user_id: str
    display_name: str
    handle: str | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """One customer message, normalised. `raw` rides along for storage; the core never reads it."""

    platform: str
    kind: InboundKind
    external_id: str
    thread_key: str
    sender: Sender
    text: str
    received_at: datetime
    link: str | None = None
    has_attachment: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("Inbound.received_at must be timezone-aware")
        object.__setattr__(self, "kind", InboundKind(self.kind))  # handlers pass plain words; one check here


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action_id: str
    value: str


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to send on a platform. `idempotency_key` is unique across the outbox."""

    platform: str
    thread_key: str
    text: str
    idempotency_key: str
    reply_to: str | None = None
    buttons: tuple[Button, ...] = ()
    recipient_id: str | None = None


@dataclass(frozen=True, slots=True)
class Intent:
    """What the customer wants. `name` is None when the message is out of scope."""

    name: str | None
    confidence: float
    matched_by: Literal["keyword", "model", "none"] = "model"
    # What else the message asks, when one part of it is about something else ("...and can I bring my
    # dog?"): other intent names, or None for a part no intent answers. The reply answers only `name`.
    also: tuple[str | None, ...] = ()

    @property
    def out_of_scope(self) -> bool:
        return self.name is None


@dataclass(frozen=True, slots=True)
class LabelledExample:
    """A (text, intent) pair the owner confirmed; intent None means "out of scope"."""

    text: str
    intent: str | None


class Action(StrEnum):
    AUTO = "auto"
    APPROVE = "approve"
    ESCALATE = "escalate"
    SILENT = "silent"


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Draft:
    """A rendered reply. `error` is set (and `text` empty) when the template failed."""

    text: str
    template: str | None
    error: str | None = None

"""What the query functions return: plain frozen dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    display_name: str
    vip: bool
    notes: str
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    contact_id: int
    platform: str
    thread_key: str
    state: str
    taken_by: str | None
    owner_thread: str | None
    state_changed_at: datetime
    last_message_at: datetime


@dataclass(frozen=True, slots=True)
class RecordedInbound:
    """The result of recording a new inbound message: where it belongs and who sent it."""

    message_id: int
    contact: Contact
    conversation: Conversation
    recipient_id: str


@dataclass(frozen=True, slots=True)
class DraftRecord:
    id: int
    message_id: int
    conversation_id: int
    action: str
    reasons: tuple[str, ...]
    intent: str | None
    confidence: float
    template: str | None
    text: str
    status: str
    final_text: str | None
    decided_by: str | None
    decided_at: datetime | None
    owner_card: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DraftView:
    """A draft with the customer message and conversation it answers, as the owner sees it."""

    draft: DraftRecord
    customer_text: str
    customer_name: str
    customer_handle: str | None
    platform: str
    thread_key: str
    message_link: str | None
    message_external_id: str
    conversation_state: str
    recipient_id: str


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    idempotency_key: str
    kind: str
    platform: str
    payload: dict[str, Any]
    status: str
    due_at: datetime
    attempts: int
    max_attempts: int
    draft_id: int | None
    event_id: int | None
    last_error: str | None = None
    external_id: str | None = None
    sent_at: datetime | None = None
    receipt: str | None = None  # how far the sent message got, where the platform says (delivered, read)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Identity:
    platform: str
    platform_user_id: str
    handle: str | None
    unreachable: bool


@dataclass(frozen=True, slots=True)
class ContactSummary:
    """A contact as the owner lists them: who, where, and how much they have written."""

    contact: Contact
    identities: tuple[Identity, ...]
    messages: int

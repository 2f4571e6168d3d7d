"""Typed SQLAlchemy 2 models. Alembic migrations (storage/migrations) own the schema; these must match."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite forgets the zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc) if value is not None else None  # SQLite keeps only the wall time

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class ContactRow(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]


class IdentityRow(Base):
    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id", name="uq_identity_platform_user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    platform_user_id: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str | None] = mapped_column(String(200))
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)


class ConversationRow(Base):
    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("platform", "thread_key", name="uq_conversation_thread"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    thread_key: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="bot")
    taken_by: Mapped[str | None] = mapped_column(String(100))
    owner_thread: Mapped[str | None] = mapped_column(String(100))
    state_changed_at: Mapped[datetime]
    last_message_at: Mapped[datetime]


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_message_platform_external"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    intent: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Who wrote an inbound message (a contact may have two identities on one platform); None for ours.
    identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("identities.id", ondelete="SET NULL", name="fk_messages_identity_id"))


class DraftRow(Base):
    __tablename__ = "drafts"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    intent: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float]
    template: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    final_text: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    owner_card: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class OutboxRow(Base):
    __tablename__ = "outbox"
    # A delivery report names only the platform's id for the message: found by it, not by a scan.
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"), Index("ix_outbox_sent_as", "platform", "external_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    platform: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=12)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(200))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id", ondelete="SET NULL"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # How far a sent message got, where the platform reports it (WhatsApp: sent, delivered, read). Apart from
    # `status`, which is the row's own journey; a report only ever moves this one forward.
    receipt: Mapped[str | None] = mapped_column(String(20))
    receipt_at: Mapped[datetime | None]


class EventRow(Base):
    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(100), unique=True)
    uid: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int | None]
    image_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RsvpRow(Base):
    __tablename__ = "rsvps"
    __table_args__ = (UniqueConstraint("event_id", "contact_id", name="uq_rsvp_event_contact"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    party_size: Mapped[int] = mapped_column(Integer, default=1)
    platform: Mapped[str] = mapped_column(String(20))
    thread_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OwnerExampleRow(Base):
    """A (text, intent) pair the owner confirmed; intent NULL means out of scope."""

    __tablename__ = "owner_examples"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime]


class CursorRow(Base):
    """Small persistent positions: a platform's since_id or update offset."""

    __tablename__ = "cursors"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class WorkerRow(Base):
    """One outbox worker that is running: it writes `seen_at` every few seconds and removes its row when
    it stops. `platforms` is None for a worker that delivers everything, else the platforms it delivers;
    `down` names its channels that could not connect yet (it keeps trying)."""

    __tablename__ = "workers"
    worker_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    platforms: Mapped[list[Any] | None] = mapped_column(JSON)
    down: Mapped[list[Any]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime] = mapped_column(index=True)


class WebhookDeliveryRow(Base):
    """One webhook body as it arrived (Meta's), kept until it has been routed: written before the webhook
    answers 200, so a process that stops mid-way loses nothing Meta will not send again. `digest` (SHA-256
    of the body) makes Meta's retry of the same body one row; the body is emptied once it is routed."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    routed_at: Mapped[datetime | None] = mapped_column(index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0)

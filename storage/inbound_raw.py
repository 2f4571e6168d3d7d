"""What a platform kept of a customer's message (its raw payload), read back when it replies: email's
thread headers, for one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRow, MessageRow


async def raw_of(session: AsyncSession, platform: str, external_id: str) -> dict[str, Any] | None:
    raw = await session.scalar(select(MessageRow.raw).where(
        MessageRow.platform == platform, MessageRow.external_id == external_id, MessageRow.direction == "in"))
    return dict(raw) if isinstance(raw, dict) else None


async def latest_raw_in_thread(session: AsyncSession, platform: str, thread_key: str) -> dict[str, Any] | None:
    """The raw payload of the customer's latest message in a conversation (an owner's reply names none)."""
    raw = await session.scalar(
        select(MessageRow.raw).join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
        .where(ConversationRow.platform == platform, ConversationRow.thread_key == thread_key,
               MessageRow.direction == "in")
        .order_by(MessageRow.created_at.desc(), MessageRow.id.desc()).limit(1))
    return dict(raw) if isinstance(raw, dict) else None


async def latest_inbound_at(session: AsyncSession, platform: str, thread_key: str) -> datetime | None:
    """When the customer last wrote in a conversation: Meta's customer-service window runs from there."""
    return await session.scalar(
        select(MessageRow.created_at).join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
        .where(ConversationRow.platform == platform, ConversationRow.thread_key == thread_key,
               MessageRow.direction == "in")
        .order_by(MessageRow.created_at.desc()).limit(1))

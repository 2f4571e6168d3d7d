"""What the owner's desk shows at a glance: drafts waiting, conversations people own, today's traffic."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ConversationState, DraftStatus
from storage.models import ContactRow, ConversationRow, DraftRow, MessageRow


@dataclass(frozen=True, slots=True)
class WaitingDraft:
    draft_id: int
    customer_name: str
    platform: str
    customer_text: str
    action: str
    created_at: datetime
    conversation_id: int = 0


@dataclass(frozen=True, slots=True)
class OwnedConversation:
    conversation_id: int
    customer_name: str
    platform: str
    taken_by: str | None
    since: datetime


async def waiting_drafts(session: AsyncSession, limit: int = 15) -> list[WaitingDraft]:
    """Pending drafts, oldest first."""
    query = (select(DraftRow.id, ContactRow.display_name, ConversationRow.platform, MessageRow.text,
                    DraftRow.action, DraftRow.created_at, DraftRow.conversation_id)
             .join(MessageRow, MessageRow.id == DraftRow.message_id)
             .join(ConversationRow, ConversationRow.id == DraftRow.conversation_id)
             .join(ContactRow, ContactRow.id == ConversationRow.contact_id)
             .where(DraftRow.status == DraftStatus.PENDING).order_by(DraftRow.created_at, DraftRow.id).limit(limit))
    return [WaitingDraft(*row) for row in (await session.execute(query)).all()]


async def owned_conversations(session: AsyncSession, limit: int = 15) -> list[OwnedConversation]:
    query = (select(ConversationRow.id, ContactRow.display_name, ConversationRow.platform, ConversationRow.taken_by,
                    ConversationRow.state_changed_at)
             .join(ContactRow, ContactRow.id == ConversationRow.contact_id)
             .where(ConversationRow.state == ConversationState.HUMAN)
             .order_by(ConversationRow.state_changed_at).limit(limit))
    return [OwnedConversation(*row) for row in (await session.execute(query)).all()]


async def messages_per_platform(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Customer messages received since `since`, per platform."""
    query = (select(MessageRow.platform, func.count(MessageRow.id))
             .where(MessageRow.direction == "in", MessageRow.created_at >= since)
             .group_by(MessageRow.platform).order_by(MessageRow.platform))
    return {platform: int(count) for platform, count in (await session.execute(query)).all()}


async def median_first_answer(session: AsyncSession, since: datetime) -> timedelta | None:
    """Median time from a conversation's first customer message since `since` to our first answer after it.
    Conversations not answered yet are left out. None when nothing was answered."""
    query = (select(MessageRow.conversation_id, MessageRow.direction, MessageRow.created_at)
             .where(MessageRow.created_at >= since).order_by(MessageRow.created_at, MessageRow.id))
    first_in: dict[int, datetime] = {}
    waits: dict[int, timedelta] = {}
    for conversation_id, direction, at in (await session.execute(query)).all():
        if direction == "in":
            first_in.setdefault(conversation_id, at)
        elif conversation_id in first_in and conversation_id not in waits:
            waits[conversation_id] = at - first_in[conversation_id]
    if not waits:
        return None
    return timedelta(seconds=statistics.median(w.total_seconds() for w in waits.values()))


async def pending_draft_ids(session: AsyncSession, conversation_id: int) -> list[int]:
    """Drafts of one conversation still waiting for the owner (their cards still show buttons)."""
    query = select(DraftRow.id).where(DraftRow.conversation_id == conversation_id,
                                      DraftRow.status == DraftStatus.PENDING)
    return list((await session.scalars(query.order_by(DraftRow.id))).all())

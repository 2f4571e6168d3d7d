"""What was sent in one conversation, read back in order: the web chat shows replies from here, so
they survive restarts and reach the visitor whichever process delivered them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRow, MessageRow


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One message sent to the customer; `id` is a stable cursor (it only grows)."""

    id: int
    text: str
    sent_at: datetime


_SENT_AFTER = (
    select(MessageRow.id, MessageRow.text, MessageRow.created_at)
    .join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
    .where(ConversationRow.platform == bindparam("p_platform"), ConversationRow.thread_key == bindparam("p_thread"),
           MessageRow.direction == "out", MessageRow.id > bindparam("p_after"))
    .order_by(MessageRow.id)
    .limit(bindparam("p_limit"))
)


async def sent_after(session: AsyncSession, platform: str, thread_key: str, after: int,
                     limit: int = 50) -> list[SentMessage]:
    """Messages sent in the conversation (platform, thread_key) with an id above `after`, oldest first."""
    rows = await session.execute(_SENT_AFTER, {"p_platform": platform, "p_thread": thread_key,
                                               "p_after": after, "p_limit": limit})
    return [SentMessage(row.id, row.text, _aware(row.created_at)) for row in rows]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

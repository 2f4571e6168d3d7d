"""What was sent in one conversation, read back in order: the web chat shows replies from here, so
they survive restarts and reach the visitor whichever process delivered them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import bindparam, func, select
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


_SENT_SINCE = (
    select(MessageRow.id, ConversationRow.thread_key)
    .join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
    .where(ConversationRow.platform == bindparam("p_platform"), MessageRow.direction == "out",
           MessageRow.id > bindparam("p_after"))
    .order_by(MessageRow.id)
)
_LAST_SENT = select(func.max(MessageRow.id)).where(MessageRow.platform == bindparam("p_platform"),
                                                   MessageRow.direction == "out")


async def last_sent_id(session: AsyncSession, platform: str) -> int:
    """The newest message sent on `platform` (0 when none): where a watcher of new replies starts."""
    return int(await session.scalar(_LAST_SENT, {"p_platform": platform}) or 0)


async def threads_sent_since(session: AsyncSession, platform: str, after: int) -> list[tuple[int, str]]:
    """(message id, thread key) of every message sent on `platform` after `after`: one query that tells a
    process which of its waiting conversations have news."""
    rows = await session.execute(_SENT_SINCE, {"p_platform": platform, "p_after": after})
    return [(row.id, row.thread_key) for row in rows]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

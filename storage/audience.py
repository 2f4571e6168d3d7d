"""The customers who have written in on one platform, with when they last wrote: the people an invite
can go to where a platform has no channel (WhatsApp, Messenger, Instagram)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ContactRow, ConversationRow, IdentityRow


@dataclass(frozen=True, slots=True)
class CustomerThread:
    contact_id: int
    display_name: str
    thread_key: str
    last_wrote_at: datetime  # the conversation's latest message, which only the customer's own messages move


async def customers_on(session: AsyncSession, platform: str) -> list[CustomerThread]:
    """Everyone with a conversation on `platform`, most recent first; a contact the platform says can no
    longer be reached is left out."""
    unreachable = (select(IdentityRow.contact_id)
                   .where(IdentityRow.platform == platform, IdentityRow.unreachable.is_(True)))
    query = (select(ConversationRow.contact_id, ContactRow.display_name, ConversationRow.thread_key,
                    ConversationRow.last_message_at)
             .join(ContactRow, ContactRow.id == ConversationRow.contact_id)
             .where(ConversationRow.platform == platform, ConversationRow.contact_id.not_in(unreachable))
             .order_by(ConversationRow.last_message_at.desc(), ConversationRow.id))
    return [CustomerThread(contact_id, name, thread, last)
            for contact_id, name, thread, last in (await session.execute(query)).all()]

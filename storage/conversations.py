"""Recording inbound messages: contacts, identities, conversations, and deduplication."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Inbound
from storage.models import ContactRow, ConversationRow, IdentityRow, MessageRow
from storage.records import Contact, Conversation, RecordedInbound


def to_contact(row: ContactRow) -> Contact:
    return Contact(row.id, row.display_name, row.vip, row.notes, row.first_seen, row.last_seen)


def to_conversation(row: ConversationRow) -> Conversation:
    return Conversation(
        row.id, row.contact_id, row.platform, row.thread_key, row.state, row.taken_by,
        row.owner_thread, row.state_changed_at, row.last_message_at,
    )


async def message_exists(session: AsyncSession, platform: str, external_id: str) -> bool:
    query = select(MessageRow.id).where(MessageRow.platform == platform, MessageRow.external_id == external_id)
    return (await session.scalar(query)) is not None


async def record_inbound(session: AsyncSession, inbound: Inbound, now: datetime) -> RecordedInbound:
    """Store the message under its contact and conversation. The caller checks for duplicates first;
    the unique (platform, external_id) constraint catches a race between two deliveries."""
    identity, contact = await _identity_and_contact(session, inbound, now)
    conversation = await _conversation(session, inbound, contact.id, now)
    message = MessageRow(
        conversation_id=conversation.id, platform=inbound.platform, external_id=inbound.external_id,
        direction="in", kind=inbound.kind, text=inbound.text, link=inbound.link,
        created_at=inbound.received_at, raw=dict(inbound.raw),
    )
    session.add(message)
    await session.flush()
    return RecordedInbound(message.id, to_contact(contact), to_conversation(conversation), identity.platform_user_id)


async def _identity_and_contact(session: AsyncSession, inbound: Inbound, now: datetime) -> tuple[IdentityRow, ContactRow]:
    sender = inbound.sender
    identity = await session.scalar(select(IdentityRow).where(
        IdentityRow.platform == inbound.platform, IdentityRow.platform_user_id == sender.platform_user_id))
    if identity is None:
        contact = ContactRow(display_name=sender.display_name, first_seen=now, last_seen=now, vip=False, notes="")
        session.add(contact)
        await session.flush()
        identity = IdentityRow(contact_id=contact.id, platform=inbound.platform,
                               platform_user_id=sender.platform_user_id, handle=sender.handle, unreachable=False)
        session.add(identity)
        await session.flush()
        return identity, contact
    contact = await session.get_one(ContactRow, identity.contact_id)
    contact.last_seen = now
    if sender.handle and identity.handle != sender.handle:
        identity.handle = sender.handle
    return identity, contact


async def _conversation(session: AsyncSession, inbound: Inbound, contact_id: int, now: datetime) -> ConversationRow:
    row = await session.scalar(select(ConversationRow).where(
        ConversationRow.platform == inbound.platform, ConversationRow.thread_key == inbound.thread_key))
    if row is None:
        row = ConversationRow(contact_id=contact_id, platform=inbound.platform, thread_key=inbound.thread_key,
                              state="bot", state_changed_at=now, last_message_at=now)
        session.add(row)
        await session.flush()
    else:
        row.last_message_at = now
    return row


async def recent_inbound_texts(session: AsyncSession, conversation_id: int, since: datetime,
                               exclude_message_id: int) -> list[str]:
    query = select(MessageRow.text).where(
        MessageRow.conversation_id == conversation_id, MessageRow.direction == "in",
        MessageRow.created_at >= since, MessageRow.id != exclude_message_id)
    return list((await session.scalars(query)).all())


async def get_conversation(session: AsyncSession, conversation_id: int) -> Conversation:
    return to_conversation(await session.get_one(ConversationRow, conversation_id))


async def find_conversation(session: AsyncSession, platform: str, thread_key: str) -> Conversation | None:
    row = await session.scalar(select(ConversationRow).where(
        ConversationRow.platform == platform, ConversationRow.thread_key == thread_key))
    return to_conversation(row) if row else None


async def set_state(session: AsyncSession, conversation_id: int, state: str, now: datetime,
                    taken_by: str | None = None) -> None:
    await session.execute(update(ConversationRow).where(ConversationRow.id == conversation_id)
                          .values(state=state, taken_by=taken_by, state_changed_at=now))


async def set_owner_thread(session: AsyncSession, conversation_id: int, owner_thread: str) -> None:
    await session.execute(update(ConversationRow).where(ConversationRow.id == conversation_id)
                          .values(owner_thread=owner_thread))


async def quiet_human_conversations(session: AsyncSession, quiet_since: datetime) -> list[Conversation]:
    """Human-owned conversations with no message since `quiet_since`: due to return to the bot."""
    query = select(ConversationRow).where(
        ConversationRow.state == "human", ConversationRow.last_message_at < quiet_since,
        ConversationRow.state_changed_at < quiet_since)
    return [to_conversation(row) for row in (await session.scalars(query)).all()]


async def record_outbound(session: AsyncSession, conversation_id: int, platform: str, external_id: str,
                          text: str, now: datetime) -> None:
    session.add(MessageRow(conversation_id=conversation_id, platform=platform, external_id=external_id,
                           direction="out", kind="reply", text=text, link=None, created_at=now, raw={}))


async def count_messages(session: AsyncSession, direction: str = "in") -> int:
    return int(await session.scalar(select(func.count(MessageRow.id)).where(MessageRow.direction == direction)) or 0)


async def recipient_of(session: AsyncSession, conversation: Conversation) -> str:
    """The platform user id to write to in this conversation."""
    found = await session.scalar(select(IdentityRow.platform_user_id).where(
        IdentityRow.contact_id == conversation.contact_id, IdentityRow.platform == conversation.platform))
    return found or conversation.thread_key


async def find_by_owner_thread(session: AsyncSession, owner_thread: str) -> Conversation | None:
    """The conversation whose owner's-desk thread is `owner_thread` (e.g. a Slack "channel:ts")."""
    row = await session.scalar(select(ConversationRow).where(ConversationRow.owner_thread == owner_thread))
    return to_conversation(row) if row else None

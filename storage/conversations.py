"""Recording inbound messages: contacts, identities, conversations, and deduplication."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import Duplicate
from bot.messages import ConversationState, Inbound
from storage.dialects import PerDialect
from storage.prepared import Prepared, run
from storage.models import ContactRow, ConversationRow, IdentityRow, MessageRow
from storage.records import Contact, Conversation, Identity, RecordedInbound


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
    """Store the message under its contact and conversation, in as few round trips as possible.

    A second delivery of the same message (the same platform and external id) raises Duplicate; the
    caller's unit of work then rolls back. Contacts, identities and conversations are upserts, so a
    new customer's first messages arriving at once all land under one contact."""
    contact, identity_id = await _touch_contact(session, inbound, now)
    conversation = await _touch_conversation(session, inbound, contact.id, now)
    message_id = (await run(session, _INSERT_MESSAGE[session.bind.dialect.name], dict(
        conversation_id=conversation.id, platform=inbound.platform, external_id=inbound.external_id,
        direction="in", kind=inbound.kind, text=inbound.text, link=inbound.link,
        created_at=inbound.received_at, raw=dict(inbound.raw), intent=None, confidence=None,
        identity_id=identity_id))).scalar()
    if message_id is None:
        raise Duplicate(f"{inbound.platform} message {inbound.external_id} is already recorded")
    return RecordedInbound(message_id, contact, conversation, inbound.sender.platform_user_id)


# "Last seen" is kept to the minute, which spares a write for every message of a conversation.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
# The hot path uses statements built once with bound parameters: building a statement per call
# costs more than running it.
_FIND_CONTACT = Prepared(
    select(ContactRow.id, ContactRow.display_name, ContactRow.vip, ContactRow.notes, ContactRow.first_seen,
           ContactRow.last_seen, IdentityRow.handle, IdentityRow.id.label("identity_id"))
    .join(IdentityRow, IdentityRow.contact_id == ContactRow.id)
    .where(IdentityRow.platform == bindparam("p_platform"), IdentityRow.platform_user_id == bindparam("p_user"))
)
_TOUCH_CONTACT = Prepared(update(ContactRow).where(ContactRow.id == bindparam("p_id"))
                          .values(last_seen=bindparam("p_now")))
_SET_HANDLE = (update(IdentityRow).where(IdentityRow.platform == bindparam("p_platform"),
                                         IdentityRow.platform_user_id == bindparam("p_user"))
               .values(handle=bindparam("p_handle")))
# Table-level (Core) inserts: the ORM's bulk-insert path costs several times more per row.
_CONTACT_COLUMNS = ["display_name", "first_seen", "last_seen", "vip", "notes"]
_INSERT_CONTACT = Prepared(insert(ContactRow.__table__).returning(ContactRow.__table__.c.id), _CONTACT_COLUMNS)
_DELETE_CONTACT = Prepared(delete(ContactRow).where(ContactRow.id == bindparam("p_id")))
_RECENT_TEXTS = Prepared(select(MessageRow.text).where(
    MessageRow.conversation_id == bindparam("p_conversation"), MessageRow.direction == "in",
    MessageRow.created_at >= bindparam("p_since", type_=MessageRow.created_at.type),
    MessageRow.id != bindparam("p_exclude")))


_CONVERSATION_COLUMNS = ["contact_id", "platform", "thread_key", "state", "taken_by", "owner_thread",
                         "state_changed_at", "last_message_at"]
_IDENTITY_COLUMNS = ["contact_id", "platform", "platform_user_id", "handle", "unreachable"]
_MESSAGE_COLUMNS = ["conversation_id", "platform", "external_id", "direction", "kind", "text", "link", "created_at",
                    "raw", "intent", "confidence", "identity_id"]


def _conversation_upsert(dialect_module: Any) -> Prepared:
    statement = dialect_module.insert(ConversationRow.__table__)
    return Prepared(statement.on_conflict_do_update(
        index_elements=["platform", "thread_key"],
        set_={"last_message_at": statement.excluded.last_message_at},
    ).returning(*ConversationRow.__table__.columns), _CONVERSATION_COLUMNS)


def _insert_unless(dialect_module: Any, row: Any, unique: list[str], columns: list[str]) -> Prepared:
    """An INSERT that returns the new id, or nothing when a row with these unique columns exists
    (on Postgres it first waits for a transaction inserting the same values, then sees its row)."""
    table = row.__table__
    return Prepared(dialect_module.insert(table).on_conflict_do_nothing(index_elements=unique).returning(table.c.id),
                    columns)


_UPSERT_CONVERSATION = PerDialect(_conversation_upsert)
_INSERT_IDENTITY = PerDialect(lambda module: _insert_unless(module, IdentityRow, ["platform", "platform_user_id"],
                                                            _IDENTITY_COLUMNS))
_INSERT_MESSAGE = PerDialect(lambda module: _insert_unless(module, MessageRow, ["platform", "external_id"],
                                                           _MESSAGE_COLUMNS))


async def _touch_contact(session: AsyncSession, inbound: Inbound, now: datetime) -> tuple[Contact, int]:
    """The sender's contact and the id of the identity they wrote from."""
    sender = inbound.sender
    found = await _find_contact(session, inbound)
    if found is None:
        created = await _new_contact(session, inbound, now)
        if created is not None:
            return created
        # The same new customer's other message made the identity first: use theirs.
        found = await _find_contact(session, inbound)
        assert found is not None
    contact_id, display_name, vip, notes, first_seen, last_seen, handle, identity_id = found
    last_seen = _aware(last_seen)
    if now - last_seen >= LAST_SEEN_RESOLUTION:
        await run(session, _TOUCH_CONTACT, {"p_id": contact_id, "p_now": now})
        last_seen = now
    if sender.handle and handle != sender.handle:
        await session.execute(_SET_HANDLE, {"p_platform": inbound.platform, "p_user": sender.platform_user_id,
                                            "p_handle": sender.handle})
    return Contact(contact_id, display_name, vip, notes, _aware(first_seen), last_seen), identity_id


async def _find_contact(session: AsyncSession, inbound: Inbound) -> Any:
    return (await run(session, _FIND_CONTACT, {"p_platform": inbound.platform,
                                               "p_user": inbound.sender.platform_user_id})).first()


async def _new_contact(session: AsyncSession, inbound: Inbound, now: datetime) -> tuple[Contact, int] | None:
    """A contact with the sender's identity; None when another transaction has just made that identity."""
    sender = inbound.sender
    contact_id = (await run(session, _INSERT_CONTACT, dict(
        display_name=sender.display_name, first_seen=now, last_seen=now, vip=False, notes=""))).scalar()
    assert contact_id is not None
    identity_id = (await run(session, _INSERT_IDENTITY[session.bind.dialect.name], dict(
        contact_id=contact_id, platform=inbound.platform, platform_user_id=sender.platform_user_id,
        handle=sender.handle, unreachable=False))).scalar()
    if identity_id is None:
        await run(session, _DELETE_CONTACT, {"p_id": contact_id})
        return None
    return Contact(contact_id, sender.display_name, False, "", now, now), identity_id


async def _touch_conversation(session: AsyncSession, inbound: Inbound, contact_id: int, now: datetime) -> Conversation:
    """Create the conversation or mark its latest message time: one upsert, one round trip."""
    statement = _UPSERT_CONVERSATION[session.bind.dialect.name]
    row = (await run(session, statement, dict(
        contact_id=contact_id, platform=inbound.platform, thread_key=inbound.thread_key,
        state=str(ConversationState.BOT), taken_by=None, owner_thread=None, state_changed_at=now,
        last_message_at=now))).first()
    assert row is not None
    return Conversation(*row[:7], _aware(row[7]), _aware(row[8]))


def _aware(moment: datetime) -> datetime:
    # RETURNING rows from a Core statement on SQLite come back naive; they are stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def recent_inbound_texts(session: AsyncSession, conversation_id: int, since: datetime,
                               exclude_message_id: int) -> list[str]:
    result = await run(session, _RECENT_TEXTS, {"p_conversation": conversation_id, "p_since": since,
                                                "p_exclude": exclude_message_id})
    return result.scalars()


async def get_conversation(session: AsyncSession, conversation_id: int) -> Conversation:
    return to_conversation(await session.get_one(ConversationRow, conversation_id))


async def find_conversation(session: AsyncSession, platform: str, thread_key: str) -> Conversation | None:
    row = await session.scalar(select(ConversationRow).where(
        ConversationRow.platform == platform, ConversationRow.thread_key == thread_key))
    return to_conversation(row) if row else None


async def set_state(session: AsyncSession, conversation_id: int, state: ConversationState, now: datetime,
                    taken_by: str | None = None) -> None:
    await run(session, _SET_STATE, {"p_id": conversation_id, "p_state": str(state), "p_taken_by": taken_by, "p_now": now})


_SET_STATE = Prepared(update(ConversationRow).where(ConversationRow.id == bindparam("p_id")).values(
    state=bindparam("p_state"), taken_by=bindparam("p_taken_by"), state_changed_at=bindparam("p_now")))


async def set_owner_thread(session: AsyncSession, conversation_id: int, owner_thread: str) -> None:
    await session.execute(update(ConversationRow).where(ConversationRow.id == conversation_id)
                          .values(owner_thread=owner_thread))


async def quiet_human_conversations(session: AsyncSession, quiet_since: datetime) -> list[Conversation]:
    """Human-owned conversations with no message since `quiet_since`: due to return to the bot."""
    query = select(ConversationRow).where(
        ConversationRow.state == ConversationState.HUMAN, ConversationRow.last_message_at < quiet_since,
        ConversationRow.state_changed_at < quiet_since)
    return [to_conversation(row) for row in (await session.scalars(query)).all()]


async def record_outbound(session: AsyncSession, conversation_id: int, platform: str, external_id: str,
                          text: str, now: datetime) -> None:
    await run(session, _INSERT_OUTBOUND, dict(
        conversation_id=conversation_id, platform=platform, external_id=external_id, direction="out",
        kind="reply", text=text, link=None, created_at=now, raw={}, intent=None, confidence=None, identity_id=None))


_INSERT_OUTBOUND = Prepared(insert(MessageRow.__table__), _MESSAGE_COLUMNS)


async def count_messages(session: AsyncSession, direction: str = "in") -> int:
    return int(await session.scalar(select(func.count(MessageRow.id)).where(MessageRow.direction == direction)) or 0)


async def recipient_of(session: AsyncSession, conversation: Conversation) -> str:
    """The platform user id to write to in this conversation: whoever wrote in it last (a contact may
    have two identities on one platform), else the contact's identity on the platform."""
    found = await session.scalar(select(IdentityRow.platform_user_id)
                                 .join(MessageRow, MessageRow.identity_id == IdentityRow.id)
                                 .where(MessageRow.conversation_id == conversation.id, MessageRow.direction == "in")
                                 .order_by(MessageRow.created_at.desc(), MessageRow.id.desc()).limit(1))
    identity = None if found else await identity_on(session, conversation.contact_id, conversation.platform)
    return found or (identity.platform_user_id if identity else conversation.thread_key)


async def identity_on(session: AsyncSession, contact_id: int, platform: str,
                      identity_id: int | None = None) -> Identity | None:
    """The identity `identity_id` when given and known, else the contact's first identity on `platform`
    (messages recorded before senders were kept have none)."""
    row = await session.get(IdentityRow, identity_id) if identity_id is not None else None
    row = row or await session.scalar(select(IdentityRow).where(
        IdentityRow.contact_id == contact_id, IdentityRow.platform == platform).order_by(IdentityRow.id).limit(1))
    return Identity(row.platform, row.platform_user_id, row.handle, row.unreachable) if row else None


async def find_by_owner_thread(session: AsyncSession, owner_thread: str) -> Conversation | None:
    """The conversation whose owner's-desk thread is `owner_thread` (e.g. a Slack "channel:ts")."""
    row = await session.scalar(select(ConversationRow).where(ConversationRow.owner_thread == owner_thread))
    return to_conversation(row) if row else None

"""A contact's personal data: everything we hold about them (export) and removing it (forget)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.contacts import identities_of
from storage.outbox_rows import Kind
from storage.models import (ContactRow, ConversationRow, DraftRow, EventRow, IdentityRow, MessageRow, OutboxRow,
                            OwnerExampleRow, RsvpRow)


async def export_contact(session: AsyncSession, contact_id: int) -> dict[str, Any] | None:
    """The contact, their identities, conversations with every message, and RSVPs, as plain JSON data."""
    contact = await session.get(ContactRow, contact_id)
    if contact is None:
        return None
    return {
        "contact": {"id": contact.id, "display_name": contact.display_name, "vip": contact.vip,
                    "notes": contact.notes, "first_seen": contact.first_seen.isoformat(),
                    "last_seen": contact.last_seen.isoformat()},
        "identities": [{"platform": i.platform, "platform_user_id": i.platform_user_id, "handle": i.handle,
                        "unreachable": i.unreachable} for i in await identities_of(session, contact_id)],
        "conversations": [await _conversation(session, row) for row in await _conversations(session, contact_id)],
        "rsvps": await _rsvps(session, contact_id),
    }


async def _conversations(session: AsyncSession, contact_id: int) -> list[ConversationRow]:
    query = select(ConversationRow).where(ConversationRow.contact_id == contact_id).order_by(ConversationRow.id)
    return list((await session.scalars(query)).all())


async def _conversation(session: AsyncSession, row: ConversationRow) -> dict[str, Any]:
    messages = await session.scalars(select(MessageRow).where(MessageRow.conversation_id == row.id)
                                     .order_by(MessageRow.created_at, MessageRow.id))
    return {"platform": row.platform, "thread_key": row.thread_key, "state": row.state,
            "last_message_at": row.last_message_at.isoformat(),
            "messages": [{"direction": m.direction, "kind": m.kind, "text": m.text, "at": m.created_at.isoformat(),
                          "external_id": m.external_id, "link": m.link} for m in messages.all()]}


async def _rsvps(session: AsyncSession, contact_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(select(RsvpRow, EventRow).join(EventRow, EventRow.id == RsvpRow.event_id)
                                 .where(RsvpRow.contact_id == contact_id).order_by(EventRow.starts_at))
    return [{"event": event.title, "starts_at": event.starts_at.isoformat(), "status": rsvp.status,
             "party_size": rsvp.party_size, "platform": rsvp.platform, "updated_at": rsvp.updated_at.isoformat()}
            for rsvp, event in rows.all()]


async def forget_contact(session: AsyncSession, contact_id: int) -> dict[str, int] | None:
    """Delete the contact and everything that carries their words or ids: messages, drafts, queued
    replies, RSVPs, identities, and examples learned from their messages. Returns only counts."""
    if await session.get(ContactRow, contact_id) is None:
        return None
    conversation_ids = [row.id for row in await _conversations(session, contact_id)]
    draft_ids = select(DraftRow.id).where(DraftRow.conversation_id.in_(conversation_ids))
    texts = select(MessageRow.text).where(MessageRow.conversation_id.in_(conversation_ids), MessageRow.direction == "in")
    counts = {
        "identities": await _count(session, IdentityRow, IdentityRow.contact_id == contact_id),
        "conversations": len(conversation_ids),
        "messages": await _count(session, MessageRow, MessageRow.conversation_id.in_(conversation_ids)),
        "drafts": await _count(session, DraftRow, DraftRow.conversation_id.in_(conversation_ids)),
        "rsvps": await _count(session, RsvpRow, RsvpRow.contact_id == contact_id),
    }
    counts["queued_replies"] = await _delete_outbox(session, conversation_ids, draft_ids)
    counts["examples"] = (await session.execute(delete(OwnerExampleRow).where(OwnerExampleRow.text.in_(texts)))).rowcount
    for table, condition in ((DraftRow, DraftRow.conversation_id.in_(conversation_ids)),
                             (MessageRow, MessageRow.conversation_id.in_(conversation_ids)),
                             (ConversationRow, ConversationRow.contact_id == contact_id),
                             (RsvpRow, RsvpRow.contact_id == contact_id),
                             (IdentityRow, IdentityRow.contact_id == contact_id),
                             (ContactRow, ContactRow.id == contact_id)):
        await session.execute(delete(table).where(condition))
    return counts


async def _count(session: AsyncSession, table: Any, condition: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(table).where(condition)) or 0)


async def _delete_outbox(session: AsyncSession, conversation_ids: list[int], draft_ids: Any) -> int:
    """Outbox rows carry reply text in their payload: remove those for this contact's conversations."""
    rows = (await session.scalars(select(OutboxRow).where(OutboxRow.kind == Kind.REPLY))).all()
    doomed = [r.id for r in rows if r.payload.get("conversation_id") in conversation_ids]
    doomed += list((await session.scalars(select(OutboxRow.id).where(OutboxRow.draft_id.in_(draft_ids)))).all())
    if doomed:
        await session.execute(delete(OutboxRow).where(OutboxRow.id.in_(set(doomed))))
    return len(set(doomed))

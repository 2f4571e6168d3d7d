"""Contacts and their identities: listing, finding, linking two identities to one person, VIP."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DataError
from storage.conversations import to_contact
from storage.models import ContactRow, ConversationRow, IdentityRow, MessageRow, RsvpRow
from storage.records import Contact, ContactSummary, Identity


async def mark_unreachable(session: AsyncSession, platform: str, platform_user_id: str) -> None:
    await session.execute(update(IdentityRow).where(
        IdentityRow.platform == platform, IdentityRow.platform_user_id == platform_user_id).values(unreachable=True))


async def set_vip(session: AsyncSession, contact_id: int, vip: bool) -> None:
    await session.execute(update(ContactRow).where(ContactRow.id == contact_id).values(vip=vip))


async def get_contact(session: AsyncSession, contact_id: int) -> Contact | None:
    row = await session.get(ContactRow, contact_id)
    return to_contact(row) if row else None


async def is_unreachable(session: AsyncSession, platform: str, platform_user_id: str) -> bool:
    return bool(await session.scalar(select(IdentityRow.unreachable).where(
        IdentityRow.platform == platform, IdentityRow.platform_user_id == platform_user_id)))


async def identities_of(session: AsyncSession, contact_id: int) -> list[Identity]:
    rows = await session.scalars(select(IdentityRow).where(IdentityRow.contact_id == contact_id)
                                 .order_by(IdentityRow.platform, IdentityRow.id))
    return [Identity(r.platform, r.platform_user_id, r.handle, r.unreachable) for r in rows.all()]


async def list_contacts(session: AsyncSession, search: str | None = None, limit: int = 200) -> list[ContactSummary]:
    """Most recently seen first; `search` matches the name or any handle."""
    query = select(ContactRow).order_by(ContactRow.last_seen.desc(), ContactRow.id.desc()).limit(limit)
    if search:
        pattern = f"%{search.lower().lstrip('@')}%"
        handles = select(IdentityRow.contact_id).where(func.lower(IdentityRow.handle).like(pattern))
        query = query.where(or_(func.lower(ContactRow.display_name).like(pattern), ContactRow.id.in_(handles)))
    return [await _summary(session, row) for row in (await session.scalars(query)).all()]


async def _summary(session: AsyncSession, row: ContactRow) -> ContactSummary:
    messages = await session.scalar(
        select(func.count(MessageRow.id)).join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
        .where(ConversationRow.contact_id == row.id, MessageRow.direction == "in"))
    return ContactSummary(to_contact(row), tuple(await identities_of(session, row.id)), int(messages or 0))


async def summary(session: AsyncSession, contact_id: int) -> ContactSummary | None:
    row = await session.get(ContactRow, contact_id)
    return await _summary(session, row) if row else None


_PHONE = re.compile(r"\+[\d\s().-]{6,}\d")


async def find_contact(session: AsyncSession, ref: str) -> Contact | None:
    """A contact by id ("12"), by identity ("telegram:123456789"), by handle ("x:@priyashah", "@priyashah"),
    by phone number ("+44 7700 900111", WhatsApp's) or by email address."""
    ref = ref.strip()
    if ref.isdigit():
        return await get_contact(session, int(ref))
    platform, _, who = ref.rpartition(":")
    query = select(IdentityRow.contact_id)
    if platform:
        query = query.where(IdentityRow.platform == platform)
    if _PHONE.fullmatch(who):
        # A phone number as people write it ("+44 7700 900111"): WhatsApp knows it by its digits.
        digits = re.sub(r"\D", "", who)
        query = query.where(or_(IdentityRow.platform_user_id == digits, IdentityRow.handle == f"+{digits}"))
    elif "@" in who.lstrip("@"):
        # An email address, in any case ("Ann@Customer.test").
        address = who.lstrip("@").lower()
        query = query.where(or_(func.lower(IdentityRow.platform_user_id) == address,
                                func.lower(IdentityRow.handle) == address))
    elif who.startswith("@"):
        query = query.where(func.lower(IdentityRow.handle) == who[1:].lower())
    else:
        query = query.where(IdentityRow.platform_user_id == who)
    found = list((await session.scalars(query.limit(2))).all())
    if len(set(found)) > 1:
        raise DataError(f"{ref!r} matches more than one contact: name the platform, e.g. telegram:{who}")
    return await get_contact(session, found[0]) if found else None


async def link(session: AsyncSession, keep_id: int, other_id: int) -> Contact:
    """Make `other` part of `keep`: its identities, conversations and RSVPs move over, then it is removed."""
    if keep_id == other_id:
        raise DataError("those are already the same contact")
    keep = await session.get(ContactRow, keep_id)
    other = await session.get(ContactRow, other_id)
    if keep is None or other is None:
        raise DataError(f"no contact {keep_id if keep is None else other_id}")
    for table in (IdentityRow, ConversationRow):
        await session.execute(update(table).where(table.contact_id == other_id).values(contact_id=keep_id))
    kept_events = select(RsvpRow.event_id).where(RsvpRow.contact_id == keep_id)
    await session.execute(delete(RsvpRow).where(RsvpRow.contact_id == other_id, RsvpRow.event_id.in_(kept_events)))
    await session.execute(update(RsvpRow).where(RsvpRow.contact_id == other_id).values(contact_id=keep_id))
    keep.first_seen, keep.last_seen = min(keep.first_seen, other.first_seen), max(keep.last_seen, other.last_seen)
    keep.vip = keep.vip or other.vip
    keep.notes = "\n".join(n for n in (keep.notes, other.notes) if n)
    await session.flush()
    await session.execute(delete(ContactRow).where(ContactRow.id == other_id))
    await session.refresh(keep)
    return to_contact(keep)


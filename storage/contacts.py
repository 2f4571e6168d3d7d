"""Contact and identity updates."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.conversations import to_contact
from storage.models import ContactRow, IdentityRow
from storage.records import Contact


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

"""Examples the owner confirmed (approved drafts, corrections, "this was out of scope")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import LabelledExample
from storage.models import OwnerExampleRow


async def add(session: AsyncSession, *, text: str, intent: str | None, source: str, now: datetime) -> None:
    session.add(OwnerExampleRow(text=text, intent=intent, source=source, created_at=now))


async def all_examples(session: AsyncSession) -> list[LabelledExample]:
    rows = (await session.scalars(select(OwnerExampleRow).order_by(OwnerExampleRow.id))).all()
    return [LabelledExample(row.text, row.intent) for row in rows]


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(OwnerExampleRow.id))) or 0)

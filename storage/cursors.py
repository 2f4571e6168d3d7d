"""Persistent positions such as X's since_id or Telegram's update offset."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CursorRow


async def get(session: AsyncSession, key: str) -> str | None:
    row = await session.get(CursorRow, key)
    return row.value if row else None


async def put(session: AsyncSession, key: str, value: str, now: datetime) -> None:
    row = await session.get(CursorRow, key)
    if row is None:
        session.add(CursorRow(key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now

"""The audit log: who did what, when. Written in the same transaction as the action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditRow
from storage.records import AuditEntry


async def record(session: AsyncSession, *, at: datetime, actor: str, action: str, subject: str,
                 detail: dict[str, Any] | None = None) -> None:
    session.add(AuditRow(at=at, actor=actor, action=action, subject=subject, detail=detail or {}))


async def entries(session: AsyncSession, subject: str | None = None) -> list[AuditEntry]:
    query = select(AuditRow).order_by(AuditRow.id)
    if subject is not None:
        query = query.where(AuditRow.subject == subject)
    return [AuditEntry(r.at, r.actor, r.action, r.subject, dict(r.detail)) for r in (await session.scalars(query)).all()]

"""Drafts: what the bot would say, why it held it, and what the owner decided."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Action, Decision, Draft, DraftStatus, Intent
from storage.conversations import identity_on
from storage.engine import core_scalar
from storage.models import ContactRow, ConversationRow, DraftRow, MessageRow
from storage.records import DraftRecord, DraftView

# A merged draft was held soon after another one still waiting on its card: shown on that card, settled with it.
PENDING, MERGED = DraftStatus.PENDING, DraftStatus.MERGED
_INSERT_DRAFT = insert(DraftRow.__table__).returning(DraftRow.__table__.c.id)


def to_draft(row: DraftRow) -> DraftRecord:
    return DraftRecord(
        row.id, row.message_id, row.conversation_id, row.action, tuple(row.reasons), row.intent,
        row.confidence, row.template, row.text, row.status, row.final_text, row.decided_by,
        row.decided_at, row.owner_card, row.created_at,
    )


async def add_draft(session: AsyncSession, *, message_id: int, conversation_id: int, intent: Intent,
                    decision: Decision, draft: Draft, status: str, now: datetime) -> DraftRecord:
    values = dict(
        message_id=message_id, conversation_id=conversation_id, action=decision.action.value,
        reasons=list(decision.reasons), intent=intent.name, confidence=intent.confidence,
        template=draft.template, text=draft.text, status=status, created_at=now,
    )
    values.update(final_text=None, decided_by=None, decided_at=None, owner_card=None)
    draft_id = await core_scalar(session, _INSERT_DRAFT, values)
    assert draft_id is not None
    return DraftRecord(draft_id, message_id, conversation_id, decision.action.value, decision.reasons, intent.name,
                       intent.confidence, draft.template, draft.text, status, None, None, None, None, now)


async def get_draft(session: AsyncSession, draft_id: int) -> DraftRecord | None:
    row = await session.get(DraftRow, draft_id)
    return to_draft(row) if row else None


async def decide(session: AsyncSession, draft_id: int, *, status: str, actor: str, now: datetime,
                 final_text: str | None = None) -> bool:
    """Move a pending draft to `status`. False when it was already decided: two clicks, one effect."""
    result = await session.execute(
        update(DraftRow).where(DraftRow.id == draft_id, DraftRow.status == PENDING)
        .values(status=status, decided_by=actor, decided_at=now, final_text=final_text)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


async def burst_card(session: AsyncSession, conversation_id: int, since: datetime, before_id: int,
                     cards: int) -> DraftRecord | None:
    """The latest draft of the conversation still waiting on a card posted since `since`, once at least
    `cards` such drafts wait (fewer: each message still deserves a card of its own)."""
    query = (select(DraftRow).where(DraftRow.conversation_id == conversation_id, DraftRow.status == PENDING,
                                    DraftRow.owner_card.is_not(None), DraftRow.created_at >= since,
                                    DraftRow.id < before_id)
             .order_by(DraftRow.id.desc()).limit(cards))
    waiting = list((await session.scalars(query)).all())
    return to_draft(waiting[0]) if len(waiting) >= cards else None


async def merge_into(session: AsyncSession, draft_id: int, head: DraftRecord, now: datetime) -> int:
    """Show a pending draft on `head`'s card instead of its own; how many drafts that card now adds."""
    await session.execute(update(DraftRow).where(DraftRow.id == draft_id, DraftRow.status == PENDING)
                          .values(status=MERGED, owner_card=head.owner_card, decided_by="socialdesk", decided_at=now)
                          .execution_options(synchronize_session=False))
    query = select(func.count()).select_from(DraftRow).where(
        DraftRow.conversation_id == head.conversation_id, DraftRow.status == MERGED,
        DraftRow.owner_card == head.owner_card)
    return int((await session.scalar(query)) or 0)


async def set_owner_card(session: AsyncSession, draft_id: int, card_ref: str) -> None:
    await session.execute(update(DraftRow).where(DraftRow.id == draft_id).values(owner_card=card_ref))


async def supersede_pending(session: AsyncSession, conversation_id: int, now: datetime, actor: str) -> list[int]:
    """Close every pending draft of a conversation (a human answered it another way)."""
    ids = list((await session.scalars(select(DraftRow.id).where(
        DraftRow.conversation_id == conversation_id, DraftRow.status == PENDING))).all())
    if ids:
        await session.execute(update(DraftRow).where(DraftRow.id.in_(ids))
                              .values(status=DraftStatus.SUPERSEDED, decided_by=actor, decided_at=now))
    return ids


async def draft_view(session: AsyncSession, draft_id: int) -> DraftView | None:
    query = (
        select(DraftRow, MessageRow, ConversationRow)
        .join(MessageRow, MessageRow.id == DraftRow.message_id)
        .join(ConversationRow, ConversationRow.id == DraftRow.conversation_id)
        .where(DraftRow.id == draft_id)
    )
    found = (await session.execute(query)).first()
    if found is None:
        return None
    draft, message, conversation = found
    # The identity that wrote this message: a contact may have two on one platform.
    identity = await identity_on(session, conversation.contact_id, conversation.platform, message.identity_id)
    if identity is None:
        return None
    contact = await session.get_one(ContactRow, conversation.contact_id)
    return DraftView(
        to_draft(draft), message.text, contact.display_name, identity.handle, conversation.platform,
        conversation.thread_key, message.link, message.external_id, conversation.state, identity.platform_user_id,
    )


async def pending_drafts(session: AsyncSession, limit: int = 50) -> list[DraftRecord]:
    query = select(DraftRow).where(DraftRow.status == PENDING).order_by(DraftRow.created_at, DraftRow.id).limit(limit)
    return [to_draft(row) for row in (await session.scalars(query)).all()]


async def hold_for_owner(session: AsyncSession, draft_id: int, reason: str) -> DraftRecord | None:
    """Turn an automatic reply that could not go out into a pending draft for the owner, with the
    reason added. None when the draft was not automatic (the owner already decided it)."""
    row = await session.get(DraftRow, draft_id)
    if row is None:
        return None
    result = await session.execute(
        update(DraftRow).where(DraftRow.id == draft_id, DraftRow.status == "auto")
        .values(status=PENDING, action=Action.APPROVE, reasons=[*row.reasons, reason])
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    await session.refresh(row)
    return to_draft(row)

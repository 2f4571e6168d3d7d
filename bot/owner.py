"""What the owner can do with a held draft or a conversation, whatever desk they click in.

Every action is one transaction: the draft's status changes only if it was still pending (so two
clicks, or two owners at once, have one effect), the reply is queued in the outbox, the
conversation state moves, and the audit log records who did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.errors import NotAllowed
from bot.platforms import escape_for, plain_text
from bot.messages import ConversationState, DraftStatus
from storage import audit, conversations, desk_stats, drafts, examples, outbox
from storage.engine import Database
from storage.outbox_rows import OwnerCard, OwnerNote, Reply, card_key, note_key, owner_reply_key, reply_key
from storage.records import Conversation, DraftRecord, OutboxItem


@dataclass(frozen=True, slots=True)
class Outcome:
    done: bool
    message: str
    draft: DraftRecord | None = None


async def hold_automatic_reply(session: AsyncSession, item: OutboxItem, reason: str, action: str,
                               now: datetime) -> bool:
    """An automatic reply the platform would not take (too long, over budget, refused) becomes a pending
    draft with `reason`, on a card for the owner. Its outbox row is retired so the reply the owner approves
    is queued under the same key. False when the row's draft was not an automatic one."""
    held = await drafts.hold_for_owner(session, item.draft_id, reason) if item.draft_id is not None else None
    if held is None:
        return False
    await outbox.retire(session, item.id, f"held for the owner: {reason}")
    await outbox.queue(session, card_key(held.id), OwnerCard(held.id), now=now, draft_id=held.id)
    await conversations.set_state(session, held.conversation_id, ConversationState.AWAITING_OWNER, now)
    await audit.record(session, at=now, actor="socialdesk", action=action,
                       subject=f"draft:{held.id}", detail={"platform": item.platform, "reason": reason})
    return True


class Approvals:
    def __init__(self, db: Database, clock: Clock, approvers: list[str] | None = None) -> None:
        self._db, self._clock = db, clock
        # None means "anyone at this desk" (the local console); a list restricts to those ids.
        self._approvers = set(approvers) if approvers is not None else None

    def check(self, actor: str) -> None:
        if self._approvers is not None and actor not in self._approvers:
            raise NotAllowed("only approvers can do this (ask the owner to add your id to owner.approvers)")

    async def waiting(self, limit: int = 15) -> list[desk_stats.WaitingDraft]:
        """Drafts still waiting for the owner, oldest first."""
        async with self._db.session() as session:
            return await desk_stats.waiting_drafts(session, limit)

    async def send(self, draft_id: int, actor: str, edited_text: str | None = None) -> Outcome:
        """Approve a draft as it is, or with the owner's edit, and queue it to the customer."""
        self.check(actor)
        now = self._clock.now()
        async with self._db.session() as session:
            view = await drafts.draft_view(session, draft_id)
            if view is None:
                return Outcome(False, f"draft {draft_id} not found")
            # The owner edits plain words (the edit box shows the draft plain): unchanged words send the
            # draft as drafted; changed ones are escaped for the platform's markup.
            edited = (edited_text or "").strip()
            changed = bool(edited) and edited not in (view.draft.text, plain_text(view.platform, view.draft.text))
            text = escape_for(view.platform, edited) if changed else view.draft.text
            status = DraftStatus.EDITED if changed else DraftStatus.APPROVED
            if not text:
                return Outcome(False, "there is no draft text to send: use edit with a reply")
            if not await drafts.decide(session, draft_id, status=status, actor=actor, now=now, final_text=text):
                return Outcome(False, _already(await drafts.get_draft(session, draft_id)))
            await outbox.queue(session, reply_key(draft_id),
                               Reply(view.thread_key, text, view.message_external_id, view.recipient_id,
                                     view.draft.conversation_id),
                               platform=view.platform, now=now, draft_id=draft_id)
            if view.draft.intent is not None and status == DraftStatus.APPROVED:
                # Only a draft sent as it was confirms its intent: an edit may mean the draft answered the wrong
                # question, so it teaches nothing until the owner says which intent it was (teach).
                await examples.add(session, text=view.customer_text, intent=view.draft.intent, source=status, now=now)
            await conversations.set_state(session, view.draft.conversation_id, ConversationState.BOT, now)
            await audit.record(session, at=now, actor=actor, action=status, subject=f"draft:{draft_id}",
                               detail={"edited": status == DraftStatus.EDITED})
            return Outcome(True, f"{'edited and sent' if status == 'edited' else 'sent'} by {actor}",
                           await drafts.get_draft(session, draft_id))

    async def reject(self, draft_id: int, actor: str) -> Outcome:
        self.check(actor)
        now = self._clock.now()
        async with self._db.session() as session:
            decided = await drafts.decide(session, draft_id, status=DraftStatus.REJECTED, actor=actor, now=now)
            draft = await drafts.get_draft(session, draft_id)
            if not decided or draft is None:
                return Outcome(False, _already(draft))
            await conversations.set_state(session, draft.conversation_id, ConversationState.BOT, now)
            await audit.record(session, at=now, actor=actor, action="rejected", subject=f"draft:{draft_id}")
            return Outcome(True, f"rejected by {actor}", draft)

    async def take_over(self, conversation_id: int, actor: str) -> Outcome:
        """A person owns the conversation: the bot stays silent and pending drafts are closed."""
        self.check(actor)
        now = self._clock.now()
        async with self._db.session() as session:
            await conversations.set_state(session, conversation_id, ConversationState.HUMAN, now, taken_by=actor)
            closed = await drafts.supersede_pending(session, conversation_id, now, actor)
            await audit.record(session, at=now, actor=actor, action="take_over",
                               subject=f"conversation:{conversation_id}", detail={"closed_drafts": closed})
            # Said out loud: a draft the owner had not seen yet must not vanish without a word.
            closed_note = (f"; closed the waiting draft{'s' if len(closed) > 1 else ''} "
                           f"{', '.join(f'#{draft_id}' for draft_id in closed)}") if closed else ""
            return Outcome(True, f"{actor} took over; the bot stays quiet until handed back{closed_note}")

    async def hand_back(self, conversation_id: int, actor: str) -> Outcome:
        self.check(actor)
        now = self._clock.now()
        async with self._db.session() as session:
            await conversations.set_state(session, conversation_id, ConversationState.BOT, now)
            await audit.record(session, at=now, actor=actor, action="hand_back", subject=f"conversation:{conversation_id}")
            return Outcome(True, f"{actor} handed the conversation back to the bot")

    async def reply(self, conversation_id: int, actor: str, text: str, reply_key: str | None = None) -> Outcome:
        """An owner's own words to the customer, on the customer's platform."""
        self.check(actor)
        now = self._clock.now()
        async with self._db.session() as session:
            conversation = await conversations.get_conversation(session, conversation_id)
            recipient = await conversations.recipient_of(session, conversation)
            words = Reply(conversation.thread_key, escape_for(conversation.platform, text), None, recipient,
                          conversation_id)
            queued = await outbox.queue(session, owner_reply_key(reply_key or uuid4().hex), words,
                                        platform=conversation.platform, now=now)
            if not queued:  # the same reply delivered twice (a retried webhook): one effect
                return Outcome(False, "that reply was already queued")
            await drafts.supersede_pending(session, conversation_id, now, actor)
            await audit.record(session, at=now, actor=actor, action="reply", subject=f"conversation:{conversation_id}")
            return Outcome(True, f"reply from {actor} queued")

    async def teach(self, draft_id: int, actor: str, intent: str | None) -> Outcome:
        """The owner says which intent a message was (None: out of scope); the next training uses it."""
        self.check(actor)
        now = self._clock.now()
        async with self._db.session() as session:
            view = await drafts.draft_view(session, draft_id)
            if view is None:
                return Outcome(False, f"draft {draft_id} not found")
            await examples.add(session, text=view.customer_text, intent=intent, source="teach", now=now)
            await audit.record(session, at=now, actor=actor, action="teach", subject=f"draft:{draft_id}",
                               detail={"intent": intent})
            return Outcome(True, f"noted: that was {intent or 'out of scope'}")

    async def return_quiet_conversations(self, quiet: timedelta) -> list[Conversation]:
        """Hand back conversations a person took over and then left quiet for `quiet`, and tell the
        owner in each conversation's thread (through the outbox, so the notice survives a restart)."""
        now = self._clock.now()
        note = f"Back with the bot after {quiet_words(quiet)} of quiet"
        async with self._db.session() as session:
            due = await conversations.quiet_human_conversations(session, now - quiet)
            for conversation in due:
                await conversations.set_state(session, conversation.id, ConversationState.BOT, now)
                await outbox.queue(session, note_key("hand-back", conversation.id, now.isoformat()),
                                   OwnerNote(note, conversation.id), now=now)
                await audit.record(session, at=now, actor="socialdesk", action="hand_back",
                                   subject=f"conversation:{conversation.id}", detail={"reason": "quiet period"})
            return due


def quiet_words(quiet: timedelta) -> str:
    """"2 hours", "1 hour", "90 minutes": how the owner reads a quiet period."""
    minutes = int(quiet.total_seconds() // 60)
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _already(draft: DraftRecord | None) -> str:
    if draft is None:
        return "that draft does not exist"
    return f"already {draft.status} by {draft.decided_by or 'the bot'}"

"""The router: one inbound message → record, understand, decide, draft, and queue, in one transaction."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.drafting.context import EventBrief, reply_context
from bot.drafting.drafter import Drafter, over_limit_reason
from bot.drafting.facts import with_facts
from bot.drafting.names import greeting_name
from bot.errors import Duplicate
from bot.group_commit import WriteLanes
from bot.logs import fingerprint
from bot.messages import Action, ConversationState, Decision, Draft, DraftStatus, Inbound, Intent, LabelledExample
from bot.platforms import traits_of
from bot.policy import Rules, Signals, decide
from bot.profile.model import BusinessProfile
from bot.understanding import Classifier
from storage import conversations, drafts, events, outbox
from storage.batch import Batch
from storage.engine import Database
from storage.outbox_rows import OwnerCard, Reply, acknowledgement_key, card_key, reply_key
from storage.records import RecordedInbound

log = logging.getLogger(__name__)
FALLBACK_TEMPLATE = "fallback"
ACKNOWLEDGEMENT_TEMPLATE = "held_ack"
_PUNCTUATION = re.compile(r"[^\w\s]")


@dataclass(frozen=True, slots=True)
class Handled:
    """What the router did with one inbound message."""

    duplicate: bool
    intent: Intent | None = None
    decision: Decision | None = None
    draft_id: int | None = None
    conversation_id: int | None = None
    reply: str | None = None  # the text sent alone, if any (a button's confirmation, shown on the button too)


class Step(Protocol):
    """A feature's chance to answer a message itself, in the router's transaction (the events feature
    answers RSVPs and RSVP buttons). None lets the router carry on as usual."""

    async def __call__(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound, intent: Intent,
                       decision: Decision) -> tuple[Decision, Draft] | None: ...


class Router:
    def __init__(self, db: Database, profile: BusinessProfile, classifier: Classifier, drafter: Drafter,
                 clock: Clock, steps: Sequence[Step] = (), on_queued: Callable[[], None] | None = None,
                 learned: Sequence[LabelledExample] = ()) -> None:
        self._db, self._profile, self._classifier = db, profile, classifier
        self._drafter, self._clock = drafter, clock
        self._rules = Rules.from_profile(profile, learned)
        self._steps = list(steps)
        # Called once a message's rows are committed, so the outbox worker sends them at once
        # instead of at its next idle poll.
        self._on_queued = on_queued
        self._commits: WriteLanes[tuple[Inbound, Intent], Handled] = WriteLanes(
            db, self._write, key=lambda item: f"{item[0].platform}:{item[0].thread_key}", count=db.write_lanes)

    @property
    def rules(self) -> Rules:
        """The policy's rules for this profile, as the router holds them now (built once: they cost a
        vocabulary of every intent's words)."""
        return self._rules

    def add_step(self, step: Step) -> None:
        self._steps.append(step)

    def use_classifier(self, classifier: Classifier, learned: Sequence[LabelledExample] | None = None) -> None:
        """Swap in a retrained classifier (after the owner teaches it or the profile changes); `learned`, the
        examples it was trained with, lets their intents answer the words they use."""
        self._classifier = classifier
        if learned is not None:
            self._rules = Rules.from_profile(self._profile, learned)

    async def handle(self, inbound: Inbound) -> Handled:
        # Understanding is pure and needs no database: do it before the transaction opens.
        # A button press carries the button's value, not words to classify.
        inbound = _without_nul(inbound)
        is_button = inbound.kind == "callback"
        intent = Intent(None, 0.0, "none") if is_button else self._classifier.classify(inbound.text)
        try:
            # Messages arriving together are written in one transaction, each in its own savepoint.
            handled = await self._commits.submit((inbound, intent))
        except Duplicate:
            # A webhook retry or a second delivery of the same message. The whole unit of work
            # rolled back, so nothing was recorded or queued twice. Any other failure is raised.
            log.info("duplicate inbound", extra={"platform": inbound.platform, "inbound": fingerprint(inbound.external_id)})
            return Handled(duplicate=True)
        if self._on_queued is not None and handled.decision is not None and handled.decision.action is not Action.SILENT:
            self._on_queued()
        return handled

    async def _write(self, batch: Batch, item: tuple[Inbound, Intent], alone: bool) -> Handled:
        """One message's unit of work; a duplicate raises, so its writes are undone with it."""
        inbound, intent = item
        async with batch.unit(savepoint=not alone) as session:
            return await self._handle_new(session, inbound, intent)

    async def _handle_new(self, session: AsyncSession, inbound: Inbound, intent: Intent) -> Handled:
        now = self._clock.now()
        recorded = await conversations.record_inbound(session, inbound, now)
        signals = await self._signals(session, inbound, recorded)
        decision = decide(inbound.text, intent, signals, self._rules)
        answered = await self._step(session, inbound, recorded, intent, decision)
        if answered is not None:
            decision, draft = answered
        else:
            draft = await self._draft(session, inbound, intent, decision)
        decision = _account_for_draft(decision, draft, inbound.platform)
        record = await drafts.add_draft(
            session, message_id=recorded.message_id, conversation_id=recorded.conversation.id, intent=intent,
            decision=decision, draft=draft, status=_draft_status(decision, signals), now=now)
        await self._queue(session, inbound, recorded, decision, draft, record.id)
        log.info("handled inbound", extra={"platform": inbound.platform, "intent": intent.name,
                                           "confidence": round(intent.confidence, 3), "action": decision.action.value})
        reply = draft.text if decision.action is Action.AUTO else None
        return Handled(False, intent, decision, record.id, recorded.conversation.id, reply)

    async def _step(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound, intent: Intent,
                    decision: Decision) -> tuple[Decision, Draft] | None:
        for step in self._steps:
            answered = await step(session, inbound, recorded, intent, decision)
            if answered is not None:
                return answered
        if inbound.kind == "callback":
            return Decision(Action.SILENT, ("a button press no feature handles",)), Draft("", None)
        return None

    async def _signals(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound) -> Signals:
        window = timedelta(minutes=self._profile.policy.repeat_window_minutes)
        earlier = await conversations.recent_inbound_texts(
            session, recorded.conversation.id, inbound.received_at - window, recorded.message_id)
        normalised = _normalise(inbound.text)
        repeats = sum(1 for text in earlier if _normalise(text) == normalised)
        return Signals(recorded.conversation.state, recorded.contact.vip, inbound.has_attachment, repeats,
                       inbound.sender.display_name)

    async def _draft(self, session: AsyncSession, inbound: Inbound, intent: Intent, decision: Decision) -> Draft:
        if decision.action is Action.SILENT:
            return Draft("", None)
        spec = self._profile.active_intents().get(intent.name or "")
        template = (spec.template if spec and spec.template else None) or FALLBACK_TEMPLATE
        if intent.out_of_scope:
            template = FALLBACK_TEMPLATE
        needs_event = self._drafter.uses(template, inbound.platform, "next_event")
        context = reply_context(self._profile, self._clock.now(), customer_name=greeting_name(inbound.sender.display_name, public=inbound.kind != "dm"),
                                message=inbound.text, platform=inbound.platform,
                                next_event=await self._next_event(session) if needs_event else None)
        return self._drafter.render(template, inbound.platform, with_facts(context, self._profile))

    async def _next_event(self, session: AsyncSession) -> EventBrief | None:
        found = await events.upcoming(session, self._clock.now(), limit=1)
        if not found:
            return None
        event, zone = found[0], self._profile.zone
        spaces = None if event.capacity is None else max(0, event.capacity - event.going)
        return EventBrief(event.id, event.title, event.starts_at.astimezone(zone),
                          event.ends_at.astimezone(zone) if event.ends_at else None,
                          event.place or self._profile.business.address or self._profile.business.name,
                          event.description, spaces)

    async def _queue(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound,
                     decision: Decision, draft: Draft, draft_id: int) -> None:
        now = self._clock.now()
        if decision.action is Action.AUTO:
            await outbox.queue(session, reply_key(draft_id), reply_row(recorded, inbound.external_id, draft.text),
                               platform=inbound.platform, now=now, draft_id=draft_id)
        elif decision.action in (Action.APPROVE, Action.ESCALATE):
            await outbox.queue(session, card_key(draft_id), OwnerCard(draft_id), now=now, draft_id=draft_id)
            if recorded.conversation.state == ConversationState.BOT:
                await conversations.set_state(session, recorded.conversation.id, ConversationState.AWAITING_OWNER, now)
                await self._acknowledge(session, inbound, recorded, draft_id)

    async def _acknowledge(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound,
                           draft_id: int) -> None:
        """Tell a held customer, once per wait, that the owner will answer (and when the business opens)."""
        if not self._profile.owner.acknowledge_held or not traits_of(inbound.platform).acknowledges_held:
            return
        context = reply_context(self._profile, self._clock.now(),
                                customer_name=greeting_name(inbound.sender.display_name, public=inbound.kind != "dm"),
                                message=inbound.text, platform=inbound.platform)
        ack = self._drafter.render(ACKNOWLEDGEMENT_TEMPLATE, inbound.platform, context)
        if ack.error:  # the owner still gets the card; a broken acknowledgement only loses the courtesy
            log.warning("acknowledgement not sent", extra={"platform": inbound.platform, "reason": ack.error})
            return
        now = self._clock.now()
        await outbox.queue(session, acknowledgement_key(draft_id), reply_row(recorded, inbound.external_id, ack.text),
                           platform=inbound.platform, now=now)


def reply_row(recorded: RecordedInbound, reply_to: str | None, text: str) -> Reply:
    conversation = recorded.conversation
    return Reply(conversation.thread_key, text, reply_to, recorded.recipient_id, conversation.id)


def _account_for_draft(decision: Decision, draft: Draft, platform: str) -> Decision:
    """A broken template escalates; a reply too long for the platform waits for the owner."""
    if draft.error:
        return Decision(Action.ESCALATE, (*decision.reasons, draft.error))
    too_long = over_limit_reason(platform, draft.text) if draft.text else None
    if too_long and decision.action is Action.AUTO:
        return Decision(Action.APPROVE, (too_long,))
    if too_long:
        return replace(decision, reasons=(*decision.reasons, too_long))
    return decision


def _draft_status(decision: Decision, signals: Signals) -> str:
    if decision.action is Action.AUTO:
        return DraftStatus.AUTO
    if decision.action is Action.SILENT:
        return DraftStatus.SILENT
    if signals.conversation_state == ConversationState.HUMAN:
        return DraftStatus.FORWARDED
    return DraftStatus.PENDING


def _without_nul(inbound: Inbound) -> Inbound:
    """NUL is never meant (and Postgres text columns refuse it): drop it from what the customer typed."""
    sender = inbound.sender
    if "\x00" not in inbound.text + sender.display_name + (sender.handle or ""):
        return inbound
    sender = replace(sender, display_name=sender.display_name.replace("\x00", ""),
                     handle=sender.handle.replace("\x00", "") if sender.handle else sender.handle)
    return replace(inbound, text=inbound.text.replace("\x00", ""), sender=sender)


def _normalise(text: str) -> str:
    return " ".join(_PUNCTUATION.sub("", text.lower()).split())

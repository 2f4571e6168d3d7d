"""The router's RSVP step: a button press or RSVP words become an RSVP and its confirmation.

The router calls this after recording and classifying a message, inside its transaction. It answers
button presses (Going / Maybe / Can't go) and messages classified as `rsvp`; anything else, or an RSVP
it cannot place, goes back to the router's usual flow. So does a question about an event ("is it still
on?"), and an RSVP the policy would hold (a VIP, a link, a long or upset message, two questions at once):
the RSVP step answers alone only what any other message could be answered alone.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import BrokenTemplate
from bot.events.model import GOING, MAYBE, NOT_GOING, SCHEDULED, WAITLISTED
from bot.events.notices import EventsContext, first_name
from bot.events.render import event_view
from bot.events.rsvp import answer, confirmation
from bot.events.words import asks_about_event, is_clearly_rsvp, mentioned_events, read_button, read_words
from bot.messages import Action, Decision, Draft, Inbound, Intent
from bot.policy import Rules, Signals, decide
from storage import events as store
from storage.events import EventRecord
from storage.records import RecordedInbound

Answer = tuple[Decision, Draft]
RSVP_INTENT = "rsvp"


class RsvpStep:
    def __init__(self, ctx: EventsContext, rules: Rules) -> None:
        self._ctx, self._threshold = ctx, rules.threshold
        # The RSVP's own confirmation is what the step sends alone; everything else is the usual policy.
        self._rules = replace(rules, auto_send_intents=rules.auto_send_intents | {RSVP_INTENT})

    async def __call__(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound, intent: Intent,
                       decision: Decision) -> Answer | None:
        try:
            return await self._answer(session, inbound, recorded, intent, decision)
        except BrokenTemplate as exc:
            # The RSVP stands; the owner sees why its confirmation could not be written.
            reason = "the RSVP was recorded but its confirmation could not be written"
            return Decision(Action.ESCALATE, (reason,)), Draft("", None, str(exc))

    async def _answer(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound, intent: Intent,
                      decision: Decision) -> Answer | None:
        if inbound.kind == "callback":
            return await self._button(session, inbound, recorded)
        if decision.action in (Action.ESCALATE, Action.SILENT) or asks_about_event(inbound.text):
            return None
        if intent.name == RSVP_INTENT and intent.confidence >= self._threshold:
            as_rsvp, named_only = intent, False
        elif is_clearly_rsvp(inbound.text):
            # "Sorry, can't come to the tasting any more": RSVP words naming an event are an RSVP even
            # when the classifier is unsure.
            as_rsvp, named_only = Intent(RSVP_INTENT, 1.0, "keyword", intent.also), True
        else:
            return None
        if self._held(inbound, recorded, as_rsvp):
            return None
        return await self._words(session, inbound, recorded, named_only=named_only)

    def _held(self, inbound: Inbound, recorded: RecordedInbound, intent: Intent) -> bool:
        signals = Signals(recorded.conversation.state, recorded.contact.vip, inbound.has_attachment)
        return decide(inbound.text, intent, signals, self._rules).action is not Action.AUTO

    async def _button(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound) -> Answer | None:
        pressed = read_button(inbound.text)
        if pressed is None:
            return None
        event = await store.get_event(session, pressed[0])
        now = self._ctx.clock.now()
        if event is None or event.status != SCHEDULED or event.starts_at <= now:
            text = f"Sorry, {first_name(inbound.sender.display_name)}: that event is no longer taking RSVPs."
            return Decision(Action.AUTO, ("RSVP button for an event that is closed",)), Draft(text, None)
        return await self._record(session, inbound, recorded, event, pressed[1], None, "RSVP by button")

    async def _words(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound,
                     named_only: bool) -> Answer | None:
        said = read_words(inbound.text)
        candidates = await self._candidates(session, recorded.contact.id, said.status)
        named = mentioned_events(inbound.text, candidates)
        if named_only and not named:
            return None
        chosen = named if named else candidates
        if not chosen and said.status == NOT_GOING:
            # "I won't make it on the 5th" from someone with no RSVP may be about a table: only a
            # cancellation that names one of our events is answered alone.
            if not mentioned_events(inbound.text, await self._candidates(session, recorded.contact.id, GOING)):
                return None
            text = (f"We don't have you down for any upcoming event, {first_name(inbound.sender.display_name)}, "
                    "so there's nothing to cancel.")
            return Decision(Action.AUTO, ("RSVP cancellation without an RSVP",)), Draft(text, None)
        if not chosen:
            return None
        if len(chosen) > 1:
            return await self._which_one(session, inbound, chosen)
        event = chosen[0]
        if said.asks_about_guests:
            view = await self._ctx.view(session, event)
            text = self._ctx.texts.message("rsvp_guest", inbound.platform, view,
                                          customer_name=first_name(inbound.sender.display_name))
            return Decision(Action.ESCALATE, (f'asks about bringing guests to "{event.title}"',)), Draft(text, "rsvp_guest")
        return await self._record(session, inbound, recorded, event, said.status, said.party_size, "RSVP in words")

    async def _candidates(self, session: AsyncSession, contact_id: int, status: str) -> list[EventRecord]:
        now = self._ctx.clock.now()
        upcoming = await store.scheduled_after(session, now)
        if status != NOT_GOING:
            return upcoming
        answered = []
        for event in upcoming:
            rsvp = await store.get_rsvp(session, event.id, contact_id)
            if rsvp is not None and rsvp.status in (GOING, MAYBE, WAITLISTED):
                answered.append(event)
        return answered

    async def _which_one(self, session: AsyncSession, inbound: Inbound, events: list[EventRecord]) -> Answer:
        views = [event_view(e, self._ctx.profile, 0, None) for e in events]
        text = self._ctx.texts.message("rsvp_which_event", inbound.platform, views[0], events=views,
                                      customer_name=first_name(inbound.sender.display_name))
        return Decision(Action.AUTO, (f"RSVP could be for any of {len(events)} events: asked which",)), \
            Draft(text, "rsvp_which_event")

    async def _record(self, session: AsyncSession, inbound: Inbound, recorded: RecordedInbound, event: EventRecord,
                      status: str, party_size: int | None, how: str) -> Answer:
        outcome = await answer(session, self._ctx, event, contact_id=recorded.contact.id, platform=inbound.platform,
                               thread_key=inbound.thread_key, status=status, party_size=party_size,
                               now=self._ctx.clock.now())
        text = await confirmation(session, self._ctx, outcome, inbound.platform, inbound.sender.display_name)
        reason = f'{how}: {outcome.rsvp.status} for "{event.title}" (party of {outcome.rsvp.party_size})'
        return Decision(Action.AUTO, (reason,)), Draft(text, "rsvp_confirmation")

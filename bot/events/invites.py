"""Invites on a platform with no channel (WhatsApp, Messenger, Instagram): when the invite comes due, it
becomes one post per customer the platform's rules let us write to (bot/events/reach.py); the rest are
held, and the owner is told who and why. Each customer's post is an outbox row of its own, so a retry,
a rate limit or a failure touches that one customer only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.events.reach import Reach, names_of, reach, template_for
from bot.platforms import display_name
from bot.profile.model import BusinessProfile
from storage import audit, contacts, conversations, outbox
from storage import events as store
from storage.audience import CustomerThread, customers_on
from storage.events import EventRecord
from storage.outbox_rows import EventPost, OwnerNote, event_key, note_key

HELD = "event_invites_held"


async def reach_now(session: AsyncSession, profile: BusinessProfile, event: EventRecord, platform: str,
                    now: datetime) -> Reach:
    """Who an invite on `platform` would reach now: everyone who has written in there and not yet answered."""
    answered = {r.contact_id for r in await store.rsvps(session, event.id)}
    customers = [c for c in await customers_on(session, platform) if c.contact_id not in answered]
    return reach(platform, customers, now, template_for(profile, platform))


async def invite_each(session: AsyncSession, profile: BusinessProfile, event: EventRecord, platform: str, post: str,
                      key: str, now: datetime) -> Reach:
    """Queue the invite to each customer it may reach; tell the owner about those held."""
    found = await reach_now(session, profile, event, platform, now)
    for customer in found.invited:
        await outbox.queue(session, event_key(event.id, platform, customer.thread_key, post, version=event.sequence),
                           EventPost(event.id, post, customer.thread_key), platform=platform, now=now,
                           event_id=event.id)
    await audit.record(session, at=now, actor="socialdesk", action="event_invited_each", subject=f"event:{event.id}",
                       detail={"platform": platform, "direct": len(found.direct), "template": len(found.by_template),
                               "held": len(found.held)})
    if found.held:
        await hold(session, event, platform, found.held, found.held_reason, key, now)
    return found


async def still_reachable(session: AsyncSession, profile: BusinessProfile, event: EventRecord, platform: str,
                          thread_key: str, now: datetime, what: str = "the invite") -> bool:
    """Checked again as one customer's invite or reminder goes: a post that waited (a rate limit, the
    bot stopped) may have left the window since, and a customer outside it is held, never written to
    against the platform's rules."""
    conversation = await conversations.find_conversation(session, platform, thread_key)
    if conversation is None:
        return False
    customer = CustomerThread(conversation.contact_id, "", thread_key, conversation.last_message_at)
    found = reach(platform, [customer], now, template_for(profile, platform))
    if found.invited:
        return True
    contact = await contacts.get_contact(session, conversation.contact_id)
    named = CustomerThread(customer.contact_id, contact.display_name if contact else "a customer", thread_key,
                           customer.last_wrote_at)
    await hold(session, event, platform, (named,), found.held_reason, f"event:{event.id}:{platform}:{thread_key}:{what}",
               now, what)
    return False


async def hold(session: AsyncSession, event: EventRecord, platform: str, held: tuple[CustomerThread, ...],
               reason: str, key: str, now: datetime, what: str = "the invite") -> None:
    await audit.record(session, at=now, actor="socialdesk", action=HELD, subject=f"event:{event.id}",
                       detail={"platform": platform, "held": len(held), "names": [c.display_name for c in held],
                               "reason": reason, "what": what})
    people = f"{len(held)} customer{'s' if len(held) != 1 else ''}"
    note = (f"{what[:1].upper()}{what[1:]} for \"{event.title}\" was not sent to {people} on {display_name(platform)} "
            f"({names_of(held)}): {reason}.")
    await outbox.queue(session, note_key(key, "held"), OwnerNote(note, event_id=event.id), now=now, event_id=event.id)

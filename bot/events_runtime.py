"""Wiring the events feature into a running bot: the router's RSVP step and the outbox deliveries for
scheduled posts and notes to the owner."""

from __future__ import annotations

from bot.clock import Clock
from bot.drafting.drafter import Drafter
from bot.events.notices import EventsContext
from bot.events.posting import EventPoster
from bot.events.render import EventTexts
from bot.events.service import EventService
from bot.events.step import RsvpStep
from bot.outbox import OutboxWorker
from bot.policy import Rules
from bot.profile.model import BusinessProfile
from bot.router import Router
from bot.settings import Settings
from storage.engine import Database
from storage.outbox_rows import Kind


def install_events(*, settings: Settings, profile: BusinessProfile, db: Database, clock: Clock, drafter: Drafter,
                   router: Router, worker: OutboxWorker) -> EventService:
    """Teach the router RSVPs and the outbox event posts; returns the service the CLI, web and Slack use."""
    ctx = EventsContext(db, clock, profile, EventTexts(drafter, profile), settings.public_base_url)
    router.add_step(RsvpStep(ctx, Rules.from_profile(profile)))
    worker.register(Kind.EVENT_POST, EventPoster(ctx, worker.channels).deliver)
    return EventService(ctx)

"""Assemble one running socialdesk from settings and the business profile."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.clock import Clock, clock_starting_at
from bot.drafting.context import clock as clock_filter
from bot.drafting.drafter import Drafter
from bot.events.service import EventService
from bot.events_runtime import install_events
from bot.messages import LabelledExample
from bot.outbox import OutboxWorker
from bot.owner import Approvals
from bot.profile.load import default_not_offered, load_profile
from bot.profile.model import BusinessProfile
from bot.router import Router
from bot.settings import Settings
from bot.understanding import Classifier, IntentSpec, train_classifier
from storage import examples
from storage.engine import Database
from storage.migrate import require_current, upgrade

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    profile: BusinessProfile
    profile_path: Path
    db: Database
    clock: Clock
    drafter: Drafter
    router: Router
    approvals: Approvals
    worker: OutboxWorker
    events: EventService | None = None

    async def retrain(self) -> Classifier:
        """Train again with the owner's latest confirmed examples and put the result to work."""
        learned = await confirmed_examples(self.db)
        classifier = await train_for(self.profile, self.db, model_cache_dir(self.profile_path), learned)
        self.router.use_classifier(classifier, learned)
        return classifier

    async def close(self) -> None:
        await self.db.close()


def intent_specs(profile: BusinessProfile) -> list[IntentSpec]:
    return [IntentSpec(name, tuple(spec.examples), tuple(spec.keywords), tuple(spec.near_misses))
            for name, spec in profile.active_intents().items()]


def not_offered(profile: BusinessProfile) -> list[str]:
    return default_not_offered() + list(profile.understanding.not_offered)


def model_cache_dir(profile_path: Path) -> Path:
    """Trained models, keyed by a hash of their examples, next to the business profile."""
    return profile_path.parent / ".socialdesk-cache"


async def confirmed_examples(db: Database) -> list[LabelledExample]:
    async with db.session() as session:
        return await examples.all_examples(session)


async def train_for(profile: BusinessProfile, db: Database, cache_dir: Path | None = None,
                    confirmed: list[LabelledExample] | None = None) -> Classifier:
    if confirmed is None:
        confirmed = await confirmed_examples(db)
    understanding = profile.understanding
    # Training is CPU work (seconds for the embeddings backend): keep the event loop free meanwhile.
    return await asyncio.to_thread(train_classifier, intent_specs(profile), confirmed, backend=understanding.backend,
                                   cache_dir=cache_dir, model_name=understanding.model_name,
                                   not_answered=not_offered(profile))


def owner_templates_dir(profile: BusinessProfile, profile_path: Path) -> Path | None:
    if not profile.templates_dir:
        return None
    folder = Path(profile.templates_dir)
    return folder if folder.is_absolute() else profile_path.parent / folder


async def build_app(settings: Settings, *, profile_path: Path | None = None, clock: Clock | None = None,
                    migrate: bool = True, approvers_from_profile: bool = True, backend: str | None = None) -> App:
    """`backend`, when given, replaces the profile's understanding backend (for `socialdesk eval replies`)."""
    path = Path(profile_path or settings.socialdesk_config)
    profile = load_profile(path)
    if backend is not None:
        understanding = profile.understanding.model_copy(update={"backend": backend})
        profile = profile.model_copy(update={"understanding": understanding})
    db = Database(settings.database_url)
    if migrate:
        await upgrade(db.url)
    else:  # a shared database is upgraded by the release step: never start on a schema that is behind
        await db.ping()
        await require_current(db.url)
    clock = clock or clock_starting_at(settings.socialdesk_now)
    drafter = Drafter(owner_templates_dir(profile, path), filters={"clock": clock_filter})
    learned = await confirmed_examples(db)
    classifier = await train_for(profile, db, model_cache_dir(path), learned)
    worker = OutboxWorker(db, clock)
    router = Router(db, profile, classifier, drafter, clock, on_queued=worker.wake.set, learned=learned)
    approvers = list(profile.owner.approvers) if approvers_from_profile else None
    approvals = Approvals(db, clock, approvers)
    events = install_events(settings=settings, profile=profile, db=db, clock=clock, drafter=drafter, router=router,
                            worker=worker)
    return App(settings, profile, path, db, clock, drafter, router, approvals, worker, events)

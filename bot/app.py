"""Assemble one running socialdesk from settings and the business profile: the composition root. It
builds everything whole, the outbox worker with the channels and the owner's desk the command asks for,
and nothing is set on the App afterwards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.clock import Clock, clock_starting_at
from bot.drafting.context import clock as clock_filter
from bot.drafting.drafter import Drafter
from bot.events.notices import EventsContext
from bot.events.posting import EventPoster
from bot.events.render import EventTexts
from bot.events.service import EventService
from bot.events.step import RsvpStep
from bot.handlers.shell import ConsoleDesk, ShellChannel
from bot.handlers.slack.ports import DeskPorts
from bot.handlers.webchat.input import PLATFORM as WEBCHAT
from bot.messages import Inbound, LabelledExample
from bot.outbox import OutboxWorker
from bot.owner import Approvals
from bot.ports import Channel, Deliver, HandlerPorts, OwnerDesk
from bot.profile.load import default_not_offered, load_profile
from bot.profile.model import BusinessProfile
from bot.registry import ChannelStatus, customer_channels, slack_desk
from bot.router import Handled, Router
from bot.settings import Settings
from bot.understanding import Classifier, IntentSpec, train_classifier
from bot.understanding.vocabulary import profile_words
from storage import examples
from storage.engine import Database
from storage.migrate import require_current, upgrade
from storage.outbox_rows import Kind

if TYPE_CHECKING:
    from bot.handlers.slack.owner_desk import SlackDesk

log = logging.getLogger(__name__)
# A channel built from the handler ports, as every platform's is (the console's, a test's own).
ChannelFactory = Callable[[HandlerPorts], Channel]


@dataclass(frozen=True, slots=True)
class Outlets:
    """What this process's outbox worker sends through, as its command asks."""

    # The registry's platforms whose channels run here when on and set up; None: every one (`run`).
    platforms: tuple[str, ...] | None = ()
    # More channels: the console's, a test's own.
    channels: tuple[ChannelFactory, ...] = ()
    # The owner's desk; with slack_owner, only when Slack is not set up.
    owner: OwnerDesk | None = None
    # Slack is the owner's desk when SLACK_BOT_TOKEN is set.
    slack_owner: bool = False
    # Claim only the rows of this process's channels (the web process delivers only the web chat's).
    own_rows_only: bool = False

    @classmethod
    def for_run(cls, out: TextIO, *, console: bool) -> Outlets:
        """`socialdesk run` and `worker`: every platform, the console's channel, the owner's Slack or the
        console (without a terminal, `out` is the log stream and cards leave out the customer's words)."""
        return cls(platforms=None, channels=(_shell(out),), owner=ConsoleDesk(out, show_text=console),
                   slack_owner=True)

    @classmethod
    def for_serve(cls) -> Outlets:
        """`socialdesk serve`: the web chat only, whose waiting visitors hear at once."""
        return cls(platforms=(WEBCHAT,), own_rows_only=True)

    @classmethod
    def for_chat(cls, out: TextIO) -> Outlets:
        """`socialdesk chat`: the console is both the customer's channel and the owner's desk."""
        return cls(channels=(_shell(out),), owner=ConsoleDesk(out))


def _shell(out: TextIO) -> ChannelFactory:
    return lambda ports: ShellChannel(out, ports.profile.business.name)


@dataclass(frozen=True, slots=True)
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
    events: EventService | None
    # What handlers are given (never the App), and what the owner's Slack desk is given besides.
    ports: HandlerPorts
    desk: DeskPorts
    # The registry's platforms as this process found them (on, or off and why).
    statuses: tuple[ChannelStatus, ...] = ()
    # The owner's Slack, when it is the desk here (its Bolt app runs over Socket Mode in `run`).
    slack: SlackDesk | None = None

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
                                   not_answered=not_offered(profile),
                                   profile_words=profile_words(profile, profile.active_intents()))


def owner_templates_dir(profile: BusinessProfile, profile_path: Path) -> Path | None:
    if not profile.templates_dir:
        return None
    folder = Path(profile.templates_dir)
    return folder if folder.is_absolute() else profile_path.parent / folder


async def build_app(settings: Settings, *, profile_path: Path | None = None, clock: Clock | None = None,
                    migrate: bool = True, approvers_from_profile: bool = True, backend: str | None = None,
                    outlets: Outlets = Outlets()) -> App:
    """`backend`, when given, replaces the profile's understanding backend (for `socialdesk eval replies`).
    `outlets`: the channels and the owner's desk this process delivers through (none by default)."""
    path = Path(profile_path or settings.socialdesk_config)
    profile = _profile(path, backend)
    db = await _database(settings, migrate)
    clock = clock or clock_starting_at(settings.socialdesk_now)
    drafter = Drafter(owner_templates_dir(profile, path), filters={"clock": clock_filter})
    learned = await confirmed_examples(db)
    classifier = await train_for(profile, db, model_cache_dir(path), learned)
    wake = asyncio.Event()
    router = Router(db, profile, classifier, drafter, clock, on_queued=wake.set, learned=learned)
    approvals = Approvals(db, clock, list(profile.owner.approvers) if approvers_from_profile else None)
    events = EventsContext(db, clock, profile, EventTexts(drafter, profile), settings.public_base_url)
    router.add_step(RsvpStep(events, router.rules))
    ports = HandlerPorts(deliver=delivering(router, wake), wake=wake.set, db=db, clock=clock, settings=settings,
                         profile=profile)
    desk = DeskPorts(ports, approvals, EventService(events))
    statuses, worker, slack = _outbox_worker(desk, outlets, wake)
    worker.register(Kind.EVENT_POST, EventPoster(events, worker.running).deliver)
    return App(settings, profile, path, db, clock, drafter, router, approvals, worker, desk.events, ports, desk,
               statuses, slack)


def _profile(path: Path, backend: str | None) -> BusinessProfile:
    profile = load_profile(path)
    if backend is None:
        return profile
    understanding = profile.understanding.model_copy(update={"backend": backend})
    return profile.model_copy(update={"understanding": understanding})


async def _database(settings: Settings, migrate: bool) -> Database:
    db = Database(settings.database_url)
    if migrate:
        await upgrade(db.url)
    else:  # a shared database is upgraded by the release step: never start on a schema that is behind
        await db.ping()
        await require_current(db.url)
    return db


def _outbox_worker(desk: DeskPorts, outlets: Outlets,
                   wake: asyncio.Event) -> tuple[tuple[ChannelStatus, ...], OutboxWorker, SlackDesk | None]:
    """The worker with every channel and the owner's desk `outlets` asks for; the registry's platforms as
    found, and the owner's Slack when it is the desk."""
    ports = desk.ports
    statuses = tuple(customer_channels(ports, outlets.platforms)) if outlets.platforms != () else ()
    channels = {status.name: status.channel for status in statuses if status.channel is not None}
    channels.update({channel.platform: channel for channel in (make(ports) for make in outlets.channels)})
    slack = slack_desk(desk) if outlets.slack_owner else None
    owner = slack.desk if slack is not None else outlets.owner
    worker = OutboxWorker(ports.db, ports.clock, channels, owner, wake=wake,
                          only_platforms=tuple(channels) if outlets.own_rows_only else None)
    return statuses, worker, slack


def delivering(router: Router, wake: asyncio.Event) -> Deliver:
    """What every handler delivers a parsed message to: the router, then a wake for the outbox worker
    (a reply may be due now; a repeat of a message already handled queues nothing)."""
    async def deliver(inbound: Inbound) -> Handled:
        handled = await router.handle(inbound)
        if not handled.duplicate:
            wake.set()
        return handled

    return deliver

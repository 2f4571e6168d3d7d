"""`socialdesk run`: every channel, the outbox and the scheduler in one process, no public URL needed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.app import App
from bot.console import console_lines
from bot.events.profile_sync import sync_profile_events
from bot.handlers.shell import Console
from bot.outbox import OutboxWorker
from bot.owner import Approvals
from bot.ports import Channel, Deliver
from bot.profile.warnings import date_warnings
from bot.registry import ChannelStatus
from storage import examples

if TYPE_CHECKING:
    from bot.handlers.slack.bolt_app import SocketMode

log = logging.getLogger(__name__)


def console_history(profile_path: Path) -> Path:
    """The console's input history, kept beside the model cache (private to the bot, like it)."""
    return profile_path.parent / ".socialdesk-cache" / "console-history"

HAND_BACK_CHECK_SECONDS = 60.0
CHANNEL_RETRY_FIRST, CHANNEL_RETRY_MAX = 5.0, 300.0


def describe_channels(statuses: list[ChannelStatus], console: bool, out: TextIO) -> None:
    for status in statuses:
        print(f"  {status.name:<9} {status.note}", file=out)
    print(f"  {'console':<9} {'on: type below as a customer, /help for owner commands' if console else 'off: no terminal'}",
          file=out, flush=True)


async def run_bot(app: App, *, console: bool, out: TextIO = sys.stdout) -> None:
    """Run `app`, built with Outlets.for_run(out, console=console)."""
    stop = asyncio.Event()
    _stop_on_signals(stop)
    statuses = list(app.statuses)
    print(f"socialdesk for {app.profile.business.name}; channels:", file=out)
    describe_channels(statuses, console, out)
    for warning in date_warnings(app.profile, app.clock.now()):
        print(f"  warning   {app.profile_path.name}: {warning}", file=out)
    channels = [status.channel for status in statuses if status.channel is not None]
    socket = _owner_slack(app, out)
    if app.events is not None:
        await sync_profile_events(app.events, app.profile)
    tasks: list[asyncio.Task[None]] = []
    started: SocketMode | None = None
    try:
        for channel in channels:
            if not await _started(channel, app.ports.deliver):
                # Its replies wait in the outbox (not ready) until it connects, then go out.
                app.worker.connecting.add(channel.platform)  # /health on the web process shows it
                print(f"  {channel.platform:<9} cannot connect yet; the others run, and it keeps trying", file=out)
                tasks.append(asyncio.create_task(_keep_starting(channel, app.ports.deliver, stop, app.worker)))
        if socket is not None:
            await socket.start()
            started = socket
        tasks += _background(app, out, stop, console)
        await stop.wait()
    finally:
        stop.set()  # the loops end on this even if a cancellation went astray
        await _shut_down(channels, started, tasks)


async def _started(channel: Channel, deliver: Deliver) -> bool:
    """Start one channel; a platform that cannot be reached (or refuses the token) must not take the
    others down with it. One log line says why."""
    try:
        await channel.start(deliver)
    except Exception as exc:  # any SDK's network or auth error: this channel only
        log.warning("channel did not start", extra={"platform": channel.platform, "reason": _reason(exc)})
        with contextlib.suppress(Exception):
            await channel.stop()
        return False
    return True


async def _keep_starting(channel: Channel, deliver: Deliver, stop: asyncio.Event, worker: OutboxWorker) -> None:
    """Retry a channel that failed to start, backing off from CHANNEL_RETRY_FIRST to CHANNEL_RETRY_MAX."""
    delay = CHANNEL_RETRY_FIRST
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await stop.wait()
        if stop.is_set():
            return
        if await _started(channel, deliver):
            log.info("channel started", extra={"platform": channel.platform})
            worker.connecting.discard(channel.platform)
            return
        delay = min(delay * 2, CHANNEL_RETRY_MAX)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _background(app: App, out: TextIO, stop: asyncio.Event, console: bool) -> list[asyncio.Task[None]]:
    tasks = [asyncio.create_task(app.worker.run_forever(stop)), asyncio.create_task(_hand_back_loop(app, stop))]
    if console:
        tasks.append(asyncio.create_task(_console(app, out, stop)))
    return tasks


async def _shut_down(channels: list[Channel], socket: SocketMode | None, tasks: list[asyncio.Task[None]]) -> None:
    """Stop what was started, also when a channel failed to start (its error still reaches the owner)."""
    if socket is not None:
        await socket.stop()
    for channel in channels:
        await channel.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def web_deliveries(app: App) -> AsyncIterator[None]:
    """`socialdesk serve` delivers the replies of the channels it serves itself (the web chat), so a
    waiting visitor hears at once. It claims only those platforms' rows: everything else (Telegram, X,
    Slack, the owner's cards) stays with `socialdesk run` or `socialdesk worker`."""
    worker = app.worker  # built with Outlets.for_serve(): it claims only its own channels' rows
    if not worker.channels:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run_forever(stop))
    try:
        yield
    finally:
        stop.set()
        for channel in worker.channels.values():
            await channel.stop()
        await asyncio.gather(task, return_exceptions=True)


def _owner_slack(app: App, out: TextIO) -> SocketMode | None:
    """Slack is the owner's desk when SLACK_BOT_TOKEN is set (bot/app.py built it); Socket Mode when
    SLACK_APP_TOKEN is set too."""
    slack = app.slack
    if slack is None:
        return None
    token = app.settings.slack_app_token
    from bot.handlers.slack.bolt_app import SocketMode

    socket = SocketMode(slack, token.get_secret_value()) if token else None
    how = "socket mode" if socket else "clicks arrive through socialdesk serve at /slack/events"
    print(f"  {'owner':<9} Slack {app.profile.owner.slack_channel or '#socialdesk'} ({how})", file=out, flush=True)
    return socket


async def _console(app: App, out: TextIO, stop: asyncio.Event) -> None:
    console = Console(app.router, Approvals(app.db, app.clock, None), app.worker, app.clock, out,
                      intents=app.profile.active_intents(), retrain=app.retrain)
    await console.run(console_lines(console_history(app.profile_path)))
    stop.set()


async def _hand_back_loop(app: App, stop: asyncio.Event) -> None:
    """Once a minute: hand quiet conversations back to the bot, and learn what the owner taught."""
    quiet = timedelta(minutes=app.profile.owner.quiet_period_minutes)
    taught = await learn_from_owner(app, None)
    while not stop.is_set():
        try:
            for conversation in await app.approvals.return_quiet_conversations(quiet):
                log.info("conversation handed back after quiet period", extra={"conversation": conversation.id})
                app.worker.wake.set()  # the owner's note is in the outbox
            taught = await learn_from_owner(app, taught)
        except Exception:
            log.exception("hand-back check failed")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HAND_BACK_CHECK_SECONDS):
                await stop.wait()


async def learn_from_owner(app: App, known: int | None) -> int:
    """Retrain when the owner has confirmed or corrected examples since `known` (None: just count)."""
    async with app.db.session() as session:
        taught = await examples.count(session)
    if known is not None and taught != known:
        await app.retrain()
        log.info("retrained with the owner's examples", extra={"examples": taught})
    return taught


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)

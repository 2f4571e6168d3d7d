"""`socialdesk events ...`: create, list, change and cancel events; attendees as CSV; .ics files."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from bot.cli.common import ConfigOption, bot_migrates, command_settings, reported_errors
from bot.errors import DataError
from bot.settings import Settings
from storage.outbox_rows import EventPost, Kind, row_as

if TYPE_CHECKING:  # the bot itself is imported when a command runs, keeping `socialdesk --help` fast
    from bot.app import App
    from bot.clock import Clock
    from bot.events.service import EventService
    from bot.events.spec import EventSpec
    from bot.profile.model import BusinessProfile
    from storage.events import EventRecord, RsvpRecord
    from storage.records import OutboxItem

events_app = typer.Typer(help="Events: invites on every channel, RSVPs, reminders, calendars.", no_args_is_help=True)
T = TypeVar("T")
Channels = typer.Option(None, "--channel", help="Where to post: telegram:@chat, x, slack:#channel, shell; whatsapp, messenger, instagram invite each "
                        "customer who has written in, within Meta's rules (repeat).")


def run_with_app(ctx: typer.Context, config: Path | None, work: Callable[[App], Awaitable[T]]) -> T:
    """Build the bot (with the clock tests inject through the context), do the work, close it.
    Errors become one line on stderr and exit code 1."""
    clock: Clock | None = (ctx.obj or {}).get("clock") if isinstance(ctx.obj, dict) else None

    async def main(settings: Settings) -> T:
        from bot.app import build_app

        app = await build_app(settings, clock=clock, migrate=bot_migrates(settings))
        try:
            return await work(app)
        finally:
            await app.close()

    with reported_errors():
        return asyncio.run(main(command_settings(config, quiet=True)))


@events_app.command("add")
def add(ctx: typer.Context, title: str = typer.Option(..., help="The event's name."),
        start: str = typer.Option(..., help="Start, e.g. '2026-12-05 18:30' (business time zone)."),
        end: str | None = typer.Option(None, help="End time."),
        description: str = typer.Option("", help="A sentence or two about it."),
        place: str | None = typer.Option(None, help="Where (default: the business address)."),
        capacity: int | None = typer.Option(None, help="How many places (default: no limit)."),
        image: str | None = typer.Option(None, help="A link to an image."),
        channel: list[str] | None = Channels,
        announce: str | None = typer.Option(None, help="When to post the invite (default: now)."),
        reminders: str = typer.Option("7d,1d,2h", help="Reminder posts before the start, e.g. 7d,1d,2h."),
        attendee_reminder: str = typer.Option("1d", help="Direct reminder to those going ('' for none)."),
        draft: bool = typer.Option(False, "--draft", help="Save without posting anything yet."),
        config: Path | None = ConfigOption) -> None:
    """Create an event and schedule its invite and reminders."""
    def spec() -> EventSpec:
        from bot.events.spec import spec_from_fields

        form = spec_from_fields({"title": title, "start": start, "end": end, "description": description,
                                 "place": place, "capacity": None if capacity is None else str(capacity),
                                 "image_url": image, "channels": ",".join(channel or ()), "announce": announce,
                                 "reminders": reminders})
        return replace(form, attendee_reminder=attendee_reminder or None, status="draft" if draft else "scheduled")

    async def work(app: App) -> None:
        event = await _service(app).create_event(spec(), actor="cli")
        typer.echo(f"created event {event.id}: {event.title}")
        await _print_posts(app, event.id)
    run_with_app(ctx, config, work)


@events_app.command("list")
def list_events(ctx: typer.Context, all_: bool = typer.Option(False, "--all", help="Include past events."),
                config: Path | None = ConfigOption) -> None:
    """Upcoming events (with --all, past ones too)."""
    async def work(app: App) -> None:
        from bot.events.export import status_at

        found = await _service(app).list_events(include_past=all_)
        if not found:
            typer.echo("no events (socialdesk events add creates one)")
        for event in found:
            local = event.starts_at.astimezone(app.profile.zone)
            typer.echo(f"{event.id:>4}  {local:%a %d %b %Y %H:%M}  {status_at(event, app.clock.now()):<9}  {event.title}")
    run_with_app(ctx, config, work)


@events_app.command("show")
def show(ctx: typer.Context, event_id: int = typer.Argument(...), config: Path | None = ConfigOption) -> None:
    """One event: its details, its answers and its scheduled posts."""
    async def work(app: App) -> None:
        service = _service(app)
        event = await service.get(event_id)
        typer.echo(describe(event, app.profile, await service.attendees(event_id), app.settings.public_base_url))
        await _print_posts(app, event_id)
    run_with_app(ctx, config, work)


@events_app.command("edit")
def edit(ctx: typer.Context, event_id: int = typer.Argument(...), title: str | None = typer.Option(None),
         start: str | None = typer.Option(None), end: str | None = typer.Option(None),
         description: str | None = typer.Option(None), place: str | None = typer.Option(None),
         capacity: int | None = typer.Option(None), image: str | None = typer.Option(None),
         channel: list[str] | None = Channels, announce: str | None = typer.Option(None),
         reminders: str | None = typer.Option(None), publish: bool = typer.Option(False, "--publish",
                                                                                   help="Schedule a draft event."),
         config: Path | None = ConfigOption) -> None:
    """Change an event: a new time re-plans the posts not yet made and tells everyone who answered."""
    def changes() -> dict[str, Any]:
        from bot.events.spec import read_list, read_time

        found: dict[str, Any] = {"title": title, "starts_at": read_time(start), "ends_at": read_time(end),
                                 "description": description, "place": place, "capacity": capacity,
                                 "image_url": image, "channels": tuple(channel) if channel else None,
                                 "announce_at": read_time(announce), "reminders": read_list(reminders),
                                 "status": "scheduled" if publish else None}
        return {name: value for name, value in found.items() if value is not None}

    async def work(app: App) -> None:
        wanted = changes()
        if not wanted:
            raise DataError("nothing to change: give at least one option (see --help)")
        event = await _service(app).edit_event(event_id, actor="cli", **wanted)
        typer.echo(f"updated event {event.id}: {', '.join(sorted(wanted))} (calendar sequence {event.sequence})")
        await _print_posts(app, event.id)
    run_with_app(ctx, config, work)


@events_app.command("cancel")
def cancel(ctx: typer.Context, event_id: int = typer.Argument(...),
           reason: str | None = typer.Option(None, help="A sentence for the people who answered."),
           config: Path | None = ConfigOption) -> None:
    """Cancel an event: unsent posts are withdrawn and everyone who answered is told."""
    async def work(app: App) -> None:
        told = await _service(app).cancel_event(event_id, actor="cli", reason=reason)
        typer.echo(f"cancelled event {event_id}; {told} people will be told")
    run_with_app(ctx, config, work)


@events_app.command("attendees")
def attendees(ctx: typer.Context, event_id: int = typer.Argument(...),
              as_csv: bool = typer.Option(False, "--csv", help="CSV on standard output."),
              config: Path | None = ConfigOption) -> None:
    """Who answered: name, platform, party size and status."""
    async def work(app: App) -> None:
        from bot.events.export import attendee_rows, attendees_csv

        answers = await _service(app).attendees(event_id)
        if as_csv:
            sys.stdout.write(attendees_csv(answers))
            return
        if not answers:
            typer.echo("nobody has answered yet")
        for name, platform, size, status in attendee_rows(answers):
            typer.echo(f"{name:<28} {platform:<9} {size:>3}  {status}")
    run_with_app(ctx, config, work)


@events_app.command("ics")
def ics(ctx: typer.Context, event_id: int = typer.Argument(...),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write to a file instead of standard output."),
        config: Path | None = ConfigOption) -> None:
    """The event's calendar file (.ics)."""
    async def work(app: App) -> bytes:
        from bot.events.ics import event_ics

        event = await _service(app).get(event_id)
        return event_ics(event, app.profile, base_url=app.settings.public_base_url, now=app.clock.now())
    data = run_with_app(ctx, config, work)
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        output.write_bytes(data)
        typer.echo(f"wrote {output}")


def describe(event: EventRecord, profile: BusinessProfile, answers: list[RsvpRecord], base_url: str | None) -> str:
    from bot.events.render import ics_url

    zone = profile.zone
    start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone) if event.ends_at else None
    going = sum(r.party_size for r in answers if r.status == "going")
    waiting = sum(1 for r in answers if r.status == "waitlisted")
    lines = [f"#{event.id} {event.title}  [{event.status}]",
             f"  when:     {start:%A %d %B %Y, %H:%M}{end and f'–{end:%H:%M}' or ''} ({zone.key})",
             f"  where:    {event.place or profile.business.address or profile.business.name}",
             f"  places:   {going} going" + (f" of {event.capacity}" if event.capacity else "") + f", {waiting} waiting",
             f"  channels: {', '.join(event.plan.get('channels', [])) or '(none)'}",
             f"  calendar: {ics_url(base_url, event.id) or f'socialdesk events ics {event.id}'} (sequence {event.sequence})"]
    if event.description:
        lines.insert(1, f"  {event.description}")
    return "\n".join(lines)


def _service(app: App) -> EventService:
    if app.events is None:
        raise DataError("events are not available in this process")
    return app.events


async def _print_posts(app: App, event_id: int) -> None:
    from bot.platforms import traits_of

    service = _service(app)
    posts = [p for p in await service.posts(event_id) if p.kind == Kind.EVENT_POST]
    each = [p for p in posts if traits_of(p.platform).invites_each_customer]
    for post in posts:
        row = row_as(post, EventPost)
        if post in each and row.thread_key is not None:
            continue  # one customer's invite: counted under the platform's line
        local = post.due_at.astimezone(app.profile.zone)
        where = row.thread_key or ("each customer (direct messages)" if post in each else "attendees (direct messages)")
        typer.echo(f"  {local:%a %d %b %H:%M}  {post.platform:<8} {where:<28} {row.post:<14} {post.status}")
        if post in each:
            for line in await _each_customer(app, event_id, post.platform, post.status, each):
                typer.echo(f"{'':<20}{line}")


async def _each_customer(app: App, event_id: int, platform: str, status: str, each: list[OutboxItem]) -> list[str]:
    """Under an invite that goes to each customer: whom it reaches now (before it goes), or what became of it."""
    service = _service(app)
    if status == "pending":
        found = (await service.invite_reach(event_id)).get(platform)
        lines = found.summary() if found else []
        return [("if it went now: " if n == 0 else " " * 16) + line for n, line in enumerate(lines)]
    counts: dict[str, int] = {}
    receipts: dict[str, int] = {}
    for item in each:
        if item.platform == platform and row_as(item, EventPost).thread_key is not None:
            counts[item.status] = counts.get(item.status, 0) + 1
            if item.receipt in ("delivered", "read"):  # how far they got, where the platform says
                receipts[item.receipt] = receipts.get(item.receipt, 0) + 1
    seen = ", ".join(f"{n} {receipt}" for receipt, n in sorted(receipts.items()))
    invited = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) + (f" ({seen})" if seen else "")
    lines = [f"{sum(counts.values())} invited: {invited}" if counts else "nobody was invited"]
    return lines + (await service.held_invites(event_id)).get(platform, [])

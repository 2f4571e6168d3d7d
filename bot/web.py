"""`socialdesk serve`: the ASGI web process (Slack events and interactivity, Telegram webhook, web chat, health)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Route

from bot.app import App
from bot.events_web import event_routes
from bot.handlers.body_limits import BodyLimit
from bot.heartbeat import channels_down, unattended
from storage import conversations, queue_stats

# Each platform that receives over HTTP contributes routes: a function of the running App.
RouteProvider = Callable[[App], Sequence[BaseRoute]]


def create_web_app(app: App, providers: Sequence[RouteProvider] = ()) -> Starlette:
    async def health(_: Request) -> JSONResponse:
        try:
            async with app.db.session() as session:
                await session.execute(text("SELECT 1"))
            orphaned = await unattended(app.db, app.clock)
            down = await channels_down(app.db, app.clock)
        except Exception:
            return JSONResponse({"status": "unhealthy", "database": "unreachable"}, status_code=503)
        if orphaned is not None:  # cards and replies are queued but nothing will ever send them
            return JSONResponse({"status": "unhealthy", "outbox": "no worker alive", "problem": orphaned.explain(),
                                 "waiting": orphaned.waiting}, status_code=503)
        if down:  # the web process itself is fine (200); a channel of the worker's is not yet
            return JSONResponse({"status": "degraded", "business": app.profile.business.name, "channels_down": down,
                                 "problem": f"{', '.join(down)} cannot be reached yet: the worker keeps trying, and "
                                            "replies there wait in the outbox"})
        return JSONResponse({"status": "ok", "business": app.profile.business.name})

    async def metrics(_: Request) -> PlainTextResponse:
        return PlainTextResponse(await metrics_text(app), media_type="text/plain; version=0.0.4")

    routes: list[BaseRoute] = [Route("/health", health), Route("/metrics", metrics)]
    for provider in providers:
        routes.extend(provider(app))

    # No lifespan closes the database: uvicorn's shutdown runs while `serve`'s web chat worker may still be
    # mid-query, so the process that built the App closes it once its workers have stopped.
    return Starlette(routes=routes, middleware=[Middleware(BodyLimit, limits=body_limits())])


async def metrics_text(app: App) -> str:
    """Prometheus text: message counts, and gauges for the work in hand (the outbox queue per platform,
    how late its longest-waiting due row is, drafts waiting for the owner, and time to answer over
    the last hour, for replies the bot sent alone and for those the owner decided)."""
    now = app.clock.now()
    async with app.db.session() as session:
        inbound = await conversations.count_messages(session, "in")
        outbound = await conversations.count_messages(session, "out")
        depth = await queue_stats.queue_depth(session)
        oldest = await queue_stats.oldest_due(session, now)
        waiting = await queue_stats.drafts_waiting(session)
        answers = await queue_stats.answers_since(session, now - ANSWER_WINDOW)
        receipts = await queue_stats.receipts(session)
    lines = [f'socialdesk_messages_total{{direction="in"}} {inbound}',
             f'socialdesk_messages_total{{direction="out"}} {outbound}']
    lines += [f'socialdesk_outbox_queued{{platform="{platform}"}} {count}' for platform, count in depth.items()]
    lines.append(f"socialdesk_outbox_oldest_due_seconds {max((now - oldest).total_seconds(), 0.0) if oldest else 0.0:g}")
    lines.append(f"socialdesk_drafts_waiting {waiting}")
    # Where the platform reports it (WhatsApp), how far sent messages got: sent, delivered, read.
    lines += [f'socialdesk_outbox_receipts{{platform="{platform}",receipt="{receipt}"}} {count}'
              for (platform, receipt), count in receipts.items()]
    for by_owner, who in ((False, "bot"), (True, "owner")):
        seconds = sorted(a.seconds for a in answers if a.by_owner is by_owner)
        lines.append(f'socialdesk_answers_last_hour{{by="{who}"}} {len(seconds)}')
        for quantile in (0.5, 0.9, 0.99):
            value = seconds[min(int(quantile * len(seconds)), len(seconds) - 1)] if seconds else 0.0
            lines.append(f'socialdesk_time_to_answer_seconds{{by="{who}",quantile="{quantile}"}} {value:g}')
    return "\n".join(lines) + "\n"


# Time to answer is reported over this much of the recent past.
ANSWER_WINDOW = timedelta(hours=1)


def route_providers() -> list[RouteProvider]:
    """The HTTP routes of every platform that has them (their rows in bot/registry.py), and the events'."""
    from bot.registry import platform_routes

    return [*platform_routes(), event_routes]


def body_limits() -> dict[str, int]:
    """The most bytes each route that takes a body may receive (every other path: BodyLimit's default)."""
    from bot.registry import platform_body_limits

    return platform_body_limits()

"""`socialdesk serve`: the ASGI web process (Slack events and interactivity, Telegram webhook, web chat, health)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Route

from bot.app import App
from bot.events_web import event_routes
from bot.handlers.body_limits import BodyLimit
from storage import conversations

# Each platform that receives over HTTP contributes routes: a function of the running App.
RouteProvider = Callable[[App], Sequence[BaseRoute]]


def create_web_app(app: App, providers: Sequence[RouteProvider] = ()) -> Starlette:
    async def health(_: Request) -> JSONResponse:
        try:
            async with app.db.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unhealthy", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "business": app.profile.business.name})

    async def metrics(_: Request) -> PlainTextResponse:
        async with app.db.session() as session:
            inbound = await conversations.count_messages(session, "in")
            outbound = await conversations.count_messages(session, "out")
        body = (f"socialdesk_messages_total{{direction=\"in\"}} {inbound}\n"
                f"socialdesk_messages_total{{direction=\"out\"}} {outbound}\n")
        return PlainTextResponse(body, media_type="text/plain; version=0.0.4")

    routes: list[BaseRoute] = [Route("/health", health), Route("/metrics", metrics)]
    for provider in providers:
        routes.extend(provider(app))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await app.close()

    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(BodyLimit, limits=body_limits())])


def route_providers() -> list[RouteProvider]:
    """The HTTP routes of every platform that has them. Add a platform's provider here."""
    from bot.handlers.telegram.webhook import telegram_routes
    from bot.handlers.webchat.routes import webchat_routes

    return [slack_routes, telegram_routes, webchat_routes, event_routes]


def body_limits() -> dict[str, int]:
    """The most bytes each route that takes a body may receive (every other path: BodyLimit's default)."""
    from bot.handlers.slack.bolt_app import EVENTS_BODY_LIMIT, EVENTS_PATH
    from bot.handlers.telegram.channel import WEBHOOK_BODY_LIMIT, WEBHOOK_PATH
    from bot.handlers.webchat.input import MAX_BODY_BYTES, MESSAGES_PATH

    return {EVENTS_PATH: EVENTS_BODY_LIMIT, WEBHOOK_PATH: WEBHOOK_BODY_LIMIT, MESSAGES_PATH: MAX_BODY_BYTES}


def slack_routes(app: App) -> Sequence[BaseRoute]:
    """/slack/events, when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set."""
    from bot.handlers.slack.bolt_app import http_routes
    from bot.registry import slack_desk

    slack = slack_desk(app) if app.settings.configured("slack_signing_secret") else None
    return http_routes(slack) if slack is not None else []

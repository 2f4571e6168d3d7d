"""`GET /events/{id}.ics` on the web process: the calendar file the posts link to."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.clock import Clock
from bot.errors import DataError
from bot.events.ics import event_ics
from bot.events.service import EventService
from bot.profile.model import BusinessProfile

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"
LARGEST_ID = 2**63 - 1  # the database's integer: a larger id names no event, and would not fit a query


def event_routes(events: EventService | None, profile: BusinessProfile, clock: Clock,
                 base_url: str | None) -> Sequence[BaseRoute]:
    """`events` None: the feature is not running, and every calendar file is not found."""
    async def calendar_file(request: Request) -> Response:
        event_id = int(request.path_params["event_id"])
        if events is None or event_id > LARGEST_ID:
            return PlainTextResponse("events are not available", status_code=404)
        try:
            event = await events.get(event_id)
        except DataError:
            return PlainTextResponse("no such event", status_code=404)
        body = event_ics(event, profile, base_url=base_url, now=clock.now())
        headers = {"Content-Disposition": f'inline; filename="event-{event_id}.ics"', "Cache-Control": "no-cache"}
        return Response(body, media_type=ICS_MEDIA_TYPE, headers=headers)

    return [Route("/events/{event_id:int}.ics", calendar_file, methods=["GET"])]

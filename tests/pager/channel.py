"""The pager platform: a webhook that receives `{"id", "from", "name", "text"}` and a send API at
`{base}/send` that takes `{"to", "text", "key"}` and answers `{"id"}`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import aiohttp
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.errors import BadPayload, ChannelError
from bot.messages import Inbound, Outbound, Sender
from bot.platforms import Traits
from bot.ports import Deliver, HandlerPorts
from bot.registry import PlatformEntry

PLATFORM = "pager"
HOOK_PATH = "/pager/hook"
HOOK_BODY_LIMIT = 4096


def to_inbound(body: Mapping[str, Any], received_at: datetime) -> Inbound:
    try:
        sender = str(body["from"])
        return Inbound(platform=PLATFORM, kind="dm", external_id=str(body["id"]), thread_key=sender,
                       sender=Sender(sender, str(body.get("name") or sender)), text=str(body["text"]),
                       received_at=received_at, raw=dict(body))
    except (KeyError, TypeError) as exc:
        raise BadPayload(f"pager message is missing {exc}") from exc


class PagerChannel:
    platform = PLATFORM

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url

    async def start(self, deliver: Deliver) -> None:  # messages arrive at the webhook
        return None

    async def send(self, outbound: Outbound) -> str:
        body = {"to": outbound.thread_key, "text": outbound.text, "key": outbound.idempotency_key}
        async with aiohttp.ClientSession() as client, client.post(f"{self._base_url}/send", json=body) as response:
            if response.status != 200:
                raise ChannelError(f"the pager service answered {response.status}")
            return str((await response.json())["id"])

    async def stop(self) -> None:
        return None


def pager_routes(ports: HandlerPorts) -> Sequence[BaseRoute]:
    async def hook(request: Request) -> Response:
        try:
            inbound = to_inbound(await request.json(), ports.clock.now())
        except (ValueError, BadPayload) as exc:
            return PlainTextResponse(str(exc), status_code=400)
        await ports.deliver(inbound)
        return Response(status_code=200)

    return [Route(HOOK_PATH, hook, methods=["POST"])]


def rows(base_url: str) -> tuple[PlatformEntry, Traits]:
    """The registry row and the row of facts that make the pager a platform."""
    entry = PlatformEntry(PLATFORM, (), "", lambda ports: PagerChannel(base_url),
                          routes=lambda served: pager_routes(served.ports), body_limits=lambda: {HOOK_PATH: HOOK_BODY_LIMIT})
    return entry, Traits(PLATFORM, "Pager", direct_messages=True)

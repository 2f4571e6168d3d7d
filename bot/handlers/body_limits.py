"""Request bodies are read only up to a per-route limit, before any handler sees them.

A declared Content-Length above the limit is refused with 413 at once; a chunked body is counted
while it streams and refused the moment it passes the limit, so no route ever holds more than its
limit in memory. What was read is handed to the app as if it came straight from the client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Awaitable, Callable

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_LIMIT = 64 * 1024  # health, metrics, calendar files: nothing there takes a body


class BodyLimit:
    """ASGI middleware: `limits` maps a path to the most bytes its body may have."""

    def __init__(self, app: ASGIApp, limits: Mapping[str, int], default: int = DEFAULT_LIMIT) -> None:
        self._app, self._limits, self._default = app, dict(limits), default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        most = self._limits.get(scope["path"], self._default)
        declared = _content_length(scope)
        if declared is None:
            await _answer(send, 400, "Content-Length is not a number")
            return
        if declared > most:
            await _answer(send, 413, f"the request body is larger than {most} bytes")
            return
        first = await _read_up_to(receive, most)
        if first is None:
            await _answer(send, 413, f"the request body is larger than {most} bytes")
            return
        await self._app(scope, _replay(first, receive), send)


def _content_length(scope: Scope) -> int | None:
    """The declared length; 0 when none is declared; None when it is not a plain number."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) <= 18 else None
    return 0


async def _read_up_to(receive: Receive, most: int) -> Message | None:
    """The whole body as one message, or None as soon as it passes `most` bytes (the rest is never read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message  # the client went away: let the app see it
        body = message.get("body", b"")
        size += len(body)
        if size > most:
            return None
        chunks.append(body)
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


def _replay(first: Message, receive: Receive) -> Receive:
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _answer(send: Send, status: int, error: str) -> None:
    body = json.dumps({"error": error}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

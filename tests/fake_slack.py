"""A small Slack Web API on 127.0.0.1 that records every call, so the real slack-sdk can talk to it."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.waiting import eventually

BOT_USER, BOT_ID, TEAM = "U0BOT", "B0BOT", "T0CAFE"
CHANNELS = {"#socialdesk": "C0OWNER", "#events": "C0EVENTS"}


@dataclass
class Failure:
    status: int
    error: str
    retry_after: int | None = None


@dataclass
class FakeSlack:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    url: str = ""
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    hanging: set[str] = field(default_factory=set)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle)
        app.router.add_get("/api/{method}", self._handle)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"

    async def stop(self) -> None:
        self.released.set()
        for socket in self.sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail_next(self, method: str, status: int = 429, error: str = "ratelimited", retry_after: int | None = None) -> None:
        self.failures.setdefault(method, []).append(Failure(status, error, retry_after))

    def to(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    async def until(self, check: Callable[[], object], timeout: float = 5.0) -> None:
        """Wait for something the app does in the background after acknowledging Slack."""
        try:
            await eventually(check, timeout)
        except AssertionError:
            raise AssertionError(f"timed out; Slack saw {[name for name, _ in self.calls]}") from None

    async def push(self, kind: str, body: dict[str, Any]) -> str:
        """Send an envelope over Socket Mode, as Slack does ("events_api", "interactive", "slash_commands")."""
        envelope_id = f"env-{next(self._ts)}"
        await self.sockets[-1].send_json({"envelope_id": envelope_id, "type": kind, "payload": body,
                                          "accepts_response_payload": kind != "events_api", "retry_attempt": 0,
                                          "retry_reason": ""})
        return envelope_id

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0SOCIALDESK"},
                                "debug_info": {"host": "fake", "approximate_connection_time": 18060}})
        async for message in socket:
            self.acks.append(json.loads(message.data))
        return socket

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        self.calls.append((method, args))
        if method in self.hanging:
            self.hanging.discard(method)
            await self.released.wait()  # never answers while the test runs: the client times out
        pending = self.failures.get(method)
        if pending:
            failure = pending.pop(0)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return web.json_response({"ok": False, "error": failure.error}, status=failure.status, headers=headers)
        return web.json_response(self._answer(method, args))

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://cornerbean.slack.com/", "team": "Corner Bean", "user": "socialdesk",
                    "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}
        if method in ("chat.postMessage", "chat.update"):
            channel = CHANNELS.get(str(args.get("channel")), str(args.get("channel")))
            ts = args.get("ts") or f"1764064800.{next(self._ts):06d}"
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text"), "ts": ts}}
        if method == "users.info":
            user = str(args.get("user"))
            return {"ok": True, "user": {"id": user, "name": "jo", "real_name": "Jo Bloggs",
                                         "profile": {"display_name": "", "real_name": "Jo Bloggs"}}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://").replace("/api/", "/socket")}
        if method == "conversations.open":  # a DM channel per person, as Slack keeps one
            return {"ok": True, "channel": {"id": f"D{args['users']}"}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1764064900.{next(self._ts):06d}"}
        if method in ("views.open", "views.publish"):
            return {"ok": True, "view": {"id": "V0FAKE", **(args.get("view") or {})}}
        return {"ok": False, "error": "unknown_method"}


async def _arguments(request: web.Request) -> dict[str, Any]:
    """The call's arguments, wherever slack-sdk put them (some methods send them in the query string)."""
    if request.method == "GET":
        return dict(request.query)
    if request.content_type == "application/json":
        return dict(request.query) | dict(await request.json())
    form = await request.post()
    args: dict[str, Any] = dict(request.query)
    for key, value in form.items():
        text = str(value)
        try:
            args[key] = json.loads(text) if text[:1] in "[{" else text
        except ValueError:
            args[key] = text
    return args

"""A fake Telegram Bot API: getMe, getUpdates (with real offset semantics and long polling),
sendMessage, answerCallbackQuery, setWebhook and deleteWebhook. Errors can be queued per method,
e.g. a 429 with parameters.retry_after."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "7000001:AAFakeTokenForTests"
BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "Corner Bean", "username": "CornerBean_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
# Telegram's HTML: these tags, four named entities and numeric ones; everything else must be escaped.
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "tg-emoji",
         "code", "pre", "blockquote"}
_MARKUP = re.compile(r"<(/?)([A-Za-z][\w-]*)[^<>]*>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]")
_JSON_FIELDS = {"reply_parameters", "reply_markup", "allowed_updates", "offset", "timeout", "limit", "chat_id"}


@dataclass
class FakeBotApi:
    token: str = TOKEN
    updates: list[dict[str, Any]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    notices: list[str | None] = field(default_factory=list)  # the text shown on each answered button
    calls: list[str] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    confirmed_offset: int = 0
    delay: dict[str, float] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._arrived = asyncio.Event()
        self._ids = itertools.count(500)

    def push(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._arrived.set()

    def fail_next(self, method: str, status: int, body: dict[str, Any]) -> None:
        self.errors.setdefault(method, []).append((status, body))

    def drop_next(self, method: str) -> None:
        """The next call of `method` is carried out, then the connection is closed without an answer."""
        self.drops[method] = self.drops.get(method, 0) + 1

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(f"/bot{self.token}/{{method}}", self._dispatch)
        return app

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = _METHODS.get(request.match_info["method"].lower(), request.match_info["method"])
        self.calls.append(method)
        params = _params(await request.post())
        if self.errors.get(method):
            status, body = self.errors[method].pop(0)
            return web.json_response(body, status=status)
        if method in self.delay:  # a slow server: the client gives up, the server still does the work
            await asyncio.sleep(self.delay[method])
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        result = await handler(params)
        if self.drops.get(method):
            self.drops[method] -= 1
            assert request.transport is not None
            request.transport.close()  # done, but the client never hears so
        return web.json_response({"ok": True, "result": result})

    async def _getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        if offset:  # getUpdates with an offset confirms every earlier update: they are gone for good
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self.updates = _from_offset(self.updates, offset)
        if not self.updates:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), timeout=float(params.get("timeout") or 0))
            except TimeoutError:
                pass
        return _from_offset(self.updates, offset)[: int(params.get("limit") or 100)]

    async def _sendMessage(self, params: dict[str, Any]) -> Any:
        problem = html_problem(params["text"]) if params.get("parse_mode") == "HTML" else None
        if problem:  # what Telegram answers; the client raises BadRequest
            raise web.HTTPBadRequest(text=json.dumps({"ok": False, "error_code": 400, "description": problem}),
                                     content_type="application/json")
        self.sent.append(params)
        chat = {"id": int(params["chat_id"]), "type": "private" if int(params["chat_id"]) > 0 else "supergroup"}
        return {"message_id": next(self._ids), "date": int(time.time()), "chat": chat, "from": BOT_USER,
                "text": params["text"]}

    async def _answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        self.answered.append(params["callback_query_id"])
        self.notices.append(params.get("text"))
        return True

    async def _setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {}
        return True


# Bot API method names are case-insensitive: each spelling is recorded under its documented name.
_METHODS = {name.lower(): name for name in ("getMe", "getUpdates", "sendMessage", "answerCallbackQuery",
                                              "setWebhook", "deleteWebhook")}


def html_problem(text: str, limit: int = 4096) -> str | None:
    """Telegram's refusal for a parse_mode=HTML text, or None when it would be accepted."""
    stack: list[str] = []
    visible, position = 0, 0
    for found in _MARKUP.finditer(text):
        visible, position = visible + found.start() - position, found.end()
        opening, name = found.group(1) != "/", (found.group(2) or "").lower()
        if not name:
            if not found.group(3):
                return f"Bad Request: can't parse entities: Can't find end of the entity at byte offset {found.start()}"
            visible += 1
        elif name not in _TAGS:
            return f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset {found.start()}'
        elif opening:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return f"Bad Request: can't parse entities: Unmatched end tag at byte offset {found.start()}"
    if stack:
        return f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1]}"'
    if visible + len(text) - position > limit:
        return "Bad Request: message is too long"
    return None


def _from_offset(updates: list[dict[str, Any]], offset: int) -> list[dict[str, Any]]:
    """The queue from the first update at or after `offset` on. The queue is ordered, so an update with
    an odd id (tests push them) goes when an offset beyond it is confirmed."""
    for index, update in enumerate(updates):
        if isinstance(update["update_id"], int) and update["update_id"] >= offset:
            return updates[index:]
    return [] if offset else list(updates)


def _params(form: Any) -> dict[str, Any]:
    return {key: json.loads(value) if key in _JSON_FIELDS else value for key, value in form.items()}


def too_many_requests(retry_after: int) -> tuple[int, dict[str, Any]]:
    return 429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                 "parameters": {"retry_after": retry_after}}


def blocked() -> tuple[int, dict[str, Any]]:
    return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}

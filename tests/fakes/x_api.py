"""A fake X API v2: users/me, mentions (since_id, pagination), dm_events, posting and DMs, with
x-rate-limit headers, queued 429s, OAuth 1.0a signature checks against https://api.twitter.com, and
X's 403 for a post whose text the account has already posted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from oauthlib.oauth1.rfc5849 import signature, utils

from bot.clock import Clock

ME = {"id": "1500000000000000001", "name": "Corner Bean Café", "username": "cornerbeancafe"}
KEYS = {"consumer_key": "ck-test", "consumer_secret": "cs-test", "access_token": "at-test", "access_secret": "as-test"}


@dataclass
class FakeXApi:
    clock: Clock
    mentions: list[dict[str, Any]] = field(default_factory=list)
    dms: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=lambda: {ME["id"]: ME})
    posts: list[dict[str, Any]] = field(default_factory=list)
    sent_dms: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    errors: dict[str, list[tuple[int, dict[str, Any], int]]] = field(default_factory=dict)
    page_size: int = 100

    def __post_init__(self) -> None:
        self._ids = itertools.count(1861000000000000900)

    def mention(self, tweet_id: int, author: dict[str, Any], text: str) -> None:
        self.users[author["id"]] = author
        self.mentions.append({"id": str(tweet_id), "text": text, "author_id": author["id"],
                              "conversation_id": str(tweet_id), "edit_history_tweet_ids": [str(tweet_id)],
                              "created_at": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")})

    def dm(self, event_id: int, sender: dict[str, Any], text: str) -> None:
        self.users[sender["id"]] = sender
        self.dms.append({"id": str(event_id), "event_type": "MessageCreate", "text": text, "sender_id": sender["id"],
                         "dm_conversation_id": f"{ME['id']}-{sender['id']}",
                         "created_at": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")})

    def rate_limit_next(self, route: str, reset_in: timedelta) -> None:
        reset = int((self.clock.now() + reset_in).timestamp())
        self.errors.setdefault(route, []).append(
            (429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
             reset))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._oauth_and_headers])
        app.router.add_get("/2/users/me", self._me)
        app.router.add_get("/2/users/{id}/mentions", self._mentions)
        app.router.add_get("/2/dm_events", self._dm_events)
        app.router.add_post("/2/tweets", self._create_tweet)
        app.router.add_post("/2/dm_conversations/with/{participant_id}/messages", self._send_dm)
        return app

    @web.middleware
    async def _oauth_and_headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else request.path
        self.calls.append(f"{request.method} {route}")
        if not _signed_for_x(request):
            return web.json_response({"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}, status=401)
        reset = int((self.clock.now() + timedelta(minutes=15)).timestamp())
        if self.errors.get(route):
            status, body, reset = self.errors[route].pop(0)
            response: web.StreamResponse = web.json_response(body, status=status)
            remaining = 0
        else:
            response, remaining = await handler(request), 99
        response.headers.update({"x-rate-limit-limit": "100", "x-rate-limit-remaining": str(remaining),
                                 "x-rate-limit-reset": str(reset)})
        return response

    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response({"data": ME})

    async def _mentions(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since_id", "0"))
        newest_first = sorted((t for t in self.mentions if int(t["id"]) > since), key=lambda t: -int(t["id"]))
        start = int(request.query.get("pagination_token", "0"))
        size = min(int(request.query.get("max_results", "10")), self.page_size)
        page = newest_first[start:start + size]
        return web.json_response(self._page(page, [t["author_id"] for t in page], start + size, len(newest_first)))

    async def _dm_events(self, request: web.Request) -> web.Response:
        events = sorted(self.dms, key=lambda e: -int(e["id"]))[: int(request.query.get("max_results", "100"))]
        body = self._page(events, [e["sender_id"] for e in events], None, 0)
        body["meta"].pop("newest_id", None)
        body["meta"].pop("oldest_id", None)
        return web.json_response(body)

    def _page(self, items: list[dict[str, Any]], user_ids: list[str], next_start: int | None,
              total: int) -> dict[str, Any]:
        if not items:
            return {"meta": {"result_count": 0}}
        meta: dict[str, Any] = {"result_count": len(items), "newest_id": items[0]["id"], "oldest_id": items[-1]["id"]}
        if next_start is not None and next_start < total:
            meta["next_token"] = str(next_start)
        users = [self.users[u] for u in dict.fromkeys(user_ids) if u in self.users]
        return {"data": items, "includes": {"users": users}, "meta": meta}

    async def _create_tweet(self, request: web.Request) -> web.Response:
        body = await request.json()
        if any(post["text"] == body["text"] for post in self.posts):  # X refuses to post the same text twice
            return web.json_response({"detail": "You are not allowed to create a Tweet with duplicate content.",
                                      "type": "about:blank", "title": "Forbidden", "status": 403}, status=403)
        self.posts.append(body)
        post_id = str(next(self._ids))
        return web.json_response({"data": {"id": post_id, "edit_history_tweet_ids": [post_id], "text": body["text"]}},
                                 status=201)

    async def _send_dm(self, request: web.Request) -> web.Response:
        body = await request.json() | {"participant_id": request.match_info["participant_id"]}
        self.sent_dms.append(body)
        return web.json_response({"data": {"dm_conversation_id": f"{ME['id']}-{body['participant_id']}",
                                           "dm_event_id": str(next(self._ids))}}, status=201)


def _signed_for_x(request: web.Request) -> bool:
    """Check the OAuth 1.0a HMAC-SHA1 signature as X would: over https://api.twitter.com + path."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("OAuth "):
        return False
    oauth = dict(utils.parse_authorization_header(header))
    if oauth.get("oauth_consumer_key") != KEYS["consumer_key"] or oauth.get("oauth_token") != KEYS["access_token"]:
        return False
    params = signature.collect_parameters(uri_query=request.query_string, headers={"Authorization": header},
                                          exclude_oauth_signature=True)
    base = signature.signature_base_string(request.method, signature.base_string_uri(
        f"https://api.twitter.com{request.path}"), signature.normalize_parameters(params))
    key = f"{utils.escape(KEYS['consumer_secret'])}&{utils.escape(KEYS['access_secret'])}"
    expected = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(unquote(oauth.get("oauth_signature", "")), expected)

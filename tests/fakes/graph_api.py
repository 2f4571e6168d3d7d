"""A fake Graph API on 127.0.0.1: the Send API for WhatsApp (/{phone-number-id}/messages) and Messenger /
Instagram (/me/messages). It records every request and can answer the next one with a Graph error."""

from __future__ import annotations

from typing import Any

from aiohttp import web

TOKEN = "graph-test-token"


class FakeGraphApi:
    def __init__(self) -> None:
        # User profiles by id, as Messenger's and Instagram's user profile APIs answer them.
        self.profiles: dict[str, dict[str, Any]] = {}
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._errors: list[tuple[int, dict[str, Any]]] = []
        self._count = 0

    def fail_next(self, status: int, code: int, message: str, subcode: int | None = None) -> None:
        error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Az1"}
        if subcode is not None:
            error["error_subcode"] = subcode
        self._errors.append((status, {"error": error}))

    def app(self) -> web.Application:
        application = web.Application()
        application.router.add_post("/{version}/{node}/messages", self._messages)
        application.router.add_get("/{version}/{node}", self._profile)
        return application

    async def _profile(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": {"message": "Invalid OAuth access token", "code": 190}}, status=401)
        found = self.profiles.get(request.match_info["node"])
        if found is None:
            return web.json_response({"error": {"message": "Unsupported get request.", "code": 100,
                                                "error_subcode": 33}}, status=400)
        wanted = request.query.get("fields", "").split(",")
        return web.json_response({"id": request.match_info["node"], **{k: v for k, v in found.items() if k in wanted}})

    async def _messages(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": {"message": "Invalid OAuth access token", "code": 190}}, status=401)
        body = await request.json()
        self.sent.append((request.match_info["node"], body))
        if self._errors:
            status, error = self._errors.pop(0)
            return web.json_response(error, status=status)
        self._count += 1
        if request.match_info["node"] == "me":
            return web.json_response({"recipient_id": body["recipient"]["id"], "message_id": f"m_sent_{self._count}"})
        return web.json_response({"messaging_product": "whatsapp", "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                                  "messages": [{"id": f"wamid.sent{self._count}"}]})

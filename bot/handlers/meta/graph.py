"""The Graph API's Send API over httpx, and its errors as ours. GRAPH_API_URL points it elsewhere (tests)."""

from __future__ import annotations

from typing import Any

import httpx

from bot.errors import ChannelError, DeliveryUncertain, RateLimited, Unreachable
from bot.handlers.meta.window import WindowClosed

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
API_VERSION = "v21.0"
# Meta's documented error codes (Graph API error handling; WhatsApp Cloud API error codes).
_RATE_LIMITS = {4, 17, 32, 613, 80007, 130429, 131048, 131056}
_WINDOW = {131047}  # re-engagement message: more than 24 hours since the customer wrote
_UNREACHABLE = {131026, 551, 131030}  # undeliverable, the person is not available, not a WhatsApp user
_WINDOW_SUBCODES = {2018278}  # Messenger: sent outside the allowed window
RATE_LIMIT_WAIT = 60.0


class GraphClient:
    def __init__(self, token: str, base_url: str | None = None, timeout: float = 20.0) -> None:
        self._url = f"{(base_url or DEFAULT_GRAPH_URL).rstrip('/')}/{API_VERSION}"
        self._client = httpx.AsyncClient(timeout=timeout, headers={"Authorization": f"Bearer {token}"})

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(f"{self._url}/{path.lstrip('/')}", json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ChannelError(f"cannot reach the Graph API: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise DeliveryUncertain(f"the Graph API stopped answering; the message may have gone ({exc!r})") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code >= 400 or "error" in answer:
            raise translate_error(response.status_code, answer.get("error") or {})
        return answer if isinstance(answer, dict) else {}

    async def get(self, path: str, fields: str) -> dict[str, Any]:
        """A node's fields (a customer's name). Raises ChannelError when it cannot be read."""
        try:
            response = await self._client.get(f"{self._url}/{path.lstrip('/')}", params={"fields": fields})
            answer = response.json()
        except (httpx.TransportError, ValueError) as exc:
            raise ChannelError(f"cannot read {path} from the Graph API: {exc!r}") from exc
        if response.status_code >= 400 or not isinstance(answer, dict) or "error" in answer:
            raise translate_error(response.status_code, answer.get("error") or {} if isinstance(answer, dict) else {})
        return answer

    async def close(self) -> None:
        await self._client.aclose()


def translate_error(status: int, error: dict[str, Any]) -> ChannelError:
    code, subcode = error.get("code"), error.get("error_subcode")
    text = f"graph api {code}: {error.get('message', 'error')} (HTTP {status})"
    if code in _RATE_LIMITS or status == 429:
        return RateLimited(text, RATE_LIMIT_WAIT)
    if code in _WINDOW or subcode in _WINDOW_SUBCODES:
        return WindowClosed(f"{text}: outside the 24-hour customer-service window")
    if code in _UNREACHABLE:
        return Unreachable(text)
    return ChannelError(text)

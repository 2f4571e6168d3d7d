"""The aiohttp session tweepy's AsyncClient uses: X_API_URL rewriting and rate-limit header reading.

tweepy has no base-URL option. It signs each request (OAuth 1.0a) for https://api.twitter.com and
then hands the signed URL to `session.request`; our session's request class swaps the origin for
X_API_URL at that point, after signing, so the signature still covers the real API's URL (a
self-hosted proxy or a test server sees exactly what X would). A trace hook passes every
response's x-rate-limit-remaining / x-rate-limit-reset to a callback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import aiohttp
from aiohttp import ClientRequest
from yarl import URL

X_ORIGIN = "https://api.twitter.com"
_X_HOSTS = ("api.twitter.com", "api.x.com")
# (method, path, remaining, reset) for every response that carries the headers.
RateObserver = Callable[[str, str, int, datetime], None]


def rewritten(url: URL, base: URL) -> URL:
    """`url` with the scheme, host and port of `base` (and its path as a prefix), bytes untouched."""
    if url.host not in _X_HOSTS:
        return url
    return URL.build(scheme=base.scheme, host=base.raw_host or "", port=base.explicit_port,
                     path=base.raw_path.rstrip("/") + url.raw_path, query_string=url.raw_query_string, encoded=True)


def request_class_for(base_url: str | None) -> type[ClientRequest]:
    if not base_url or base_url.rstrip("/") == X_ORIGIN:
        return ClientRequest
    base = URL(base_url)

    class RewritingRequest(ClientRequest):
        def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
            super().__init__(method, rewritten(url, base), **kwargs)

    return RewritingRequest


def rate_limit_trace(observe: RateObserver) -> aiohttp.TraceConfig:
    async def on_end(_session: aiohttp.ClientSession, _ctx: SimpleNamespace,
                     params: aiohttp.TraceRequestEndParams) -> None:
        headers = params.response.headers
        remaining, reset = headers.get("x-rate-limit-remaining"), headers.get("x-rate-limit-reset")
        if remaining is not None and reset is not None and remaining.isdigit() and reset.isdigit():
            observe(params.method, params.url.path, int(remaining), datetime.fromtimestamp(int(reset), timezone.utc))

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_end)  # type: ignore[arg-type]
    return trace


def make_session(base_url: str | None, observe: RateObserver, timeout: float = 30.0) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(request_class=request_class_for(base_url), trace_configs=[rate_limit_trace(observe)],
                                 timeout=aiohttp.ClientTimeout(total=timeout))

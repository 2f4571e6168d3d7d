"""The web chat's page and widget script, read once from the package and filled with the business's name.

Values reach the script as JSON (with "<" escaped, so no text can close the <script> element) and the
page title through HTML escaping; the script itself only ever shows text with textContent.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import cache
from importlib import resources

from bot.handlers.webchat.input import MAX_TEXT_CHARS

GREETING = "Hi! Ask us anything: opening hours, bookings, events. We usually answer in a few minutes."
# The page runs one inline script (allowed by its hash) and may talk only to this server.
_PAGE_POLICY = ("default-src 'none'; script-src '{hash}'; style-src 'unsafe-inline'; connect-src 'self'; "
                "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")


@cache
def _asset(name: str) -> str:
    return resources.files("bot.handlers.webchat").joinpath("static", name).read_text(encoding="utf-8")


def _script(business: str, full_page: bool) -> str:
    config = {"business": business, "greeting": GREETING, "maxText": MAX_TEXT_CHARS,
              "endpoint": "webchat/messages", "fullPage": full_page}
    literal = json.dumps(config).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _asset("widget.js").replace("/*CONFIG*/{}", literal, 1)


def widget(business: str) -> str:
    """The embeddable script (it finds the server from its own src)."""
    return _script(business, full_page=False)


def page(business: str) -> tuple[str, dict[str, str]]:
    """The stand-alone chat page and its headers (a strict Content-Security-Policy)."""
    script = _script(business, full_page=True).replace("</", "<\\/")  # nothing may close the element early
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    head, _, rest = _asset("page.html").partition("__BUSINESS__")
    middle, _, tail = rest.partition("__WIDGET__")
    body = head + html.escape(business) + middle + script + tail
    headers = {"Content-Security-Policy": _PAGE_POLICY.format(hash=f"sha256-{digest}"),
               "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return body, headers

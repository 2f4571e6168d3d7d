"""Meta signs every webhook POST: X-Hub-Signature-256 is "sha256=" and the HMAC-SHA256 of the raw body
with the app secret. A request without the right one is not Meta's."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def signature_for(body: bytes, app_secret: str) -> str:
    return PREFIX + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def is_signed(body: bytes, header: str | None, app_secret: str) -> bool:
    if not header or not header.startswith(PREFIX) or not app_secret:
        return False
    return hmac.compare_digest(header.encode(), signature_for(body, app_secret).encode())


def verify_challenge(params: dict[str, str], verify_token: str) -> str | None:
    """The GET handshake Meta makes when the webhook URL is saved: echo hub.challenge when the token matches."""
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(params.get("hub.verify_token", "").encode(), verify_token.encode()):
        return None
    return params.get("hub.challenge")

"""Meta's webhook payloads → Inbound messages and WhatsApp delivery statuses (pure).

WhatsApp ("whatsapp_business_account"): entry[].changes[].value carries `messages` (text, a button
or list reply, media with or without a caption) and `statuses` (sent, delivered, read, failed).
Messenger ("page") and Instagram ("instagram"): entry[].messaging[] events carry a `message` (text,
a quick reply's payload, attachments) or a `postback` (a button's payload). Echoes of our own
messages, reactions, reads and deliveries are not customer messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from bot.errors import BadPayload
from bot.messages import Inbound, Sender

WHATSAPP, MESSENGER, INSTAGRAM = "whatsapp", "messenger", "instagram"
OBJECTS = {"whatsapp_business_account": WHATSAPP, "page": MESSENGER, "instagram": INSTAGRAM}
_WA_MEDIA = ("image", "video", "audio", "document", "sticker", "location", "contacts")


@dataclass(frozen=True, slots=True)
class Status:
    """A WhatsApp delivery report for one message we sent."""

    message_id: str
    status: str  # sent, delivered, read, failed
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    platform: str
    inbounds: tuple[Inbound, ...]
    statuses: tuple[Status, ...]


def read_delivery(payload: Mapping[str, Any]) -> Delivery:
    """One webhook body. Raises BadPayload when it is not a Meta payload at all."""
    platform = OBJECTS.get(str(payload.get("object")))
    entries = payload.get("entry")
    if platform is None or not isinstance(entries, list):
        raise BadPayload("not a Meta webhook payload (no known `object` and `entry` list)")
    try:
        if platform == WHATSAPP:
            return _whatsapp(entries)
        return Delivery(platform, tuple(i for e in entries for i in _messaging(platform, e)), ())
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise BadPayload(f"{platform} webhook payload is malformed: {exc!r}") from exc


def _whatsapp(entries: list[Any]) -> Delivery:
    inbounds: list[Inbound] = []
    statuses: list[Status] = []
    for entry in entries:
        for change in entry.get("changes", []):
            value = change.get("value") or {}
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name") for c in value.get("contacts", [])}
            phone_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
            inbounds += [i for m in value.get("messages", []) if (i := _wa_message(m, names, phone_id))]
            statuses += [_wa_status(s) for s in value.get("statuses", [])]
    return Delivery(WHATSAPP, tuple(inbounds), tuple(statuses))


def _wa_message(message: Mapping[str, Any], names: Mapping[Any, Any], phone_id: str) -> Inbound | None:
    kind = message.get("type")
    sender = str(message["from"])
    text, callback = None, False
    if kind == "text":
        text = (message.get("text") or {}).get("body")
    elif kind == "button":  # a quick-reply button on a template message
        text, callback = (message.get("button") or {}).get("payload"), True
    elif kind == "interactive":
        reply = (message.get("interactive") or {})
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        text, callback = chosen.get("id"), True
    elif kind in _WA_MEDIA:
        text = (message.get(kind) or {}).get("caption") or ""
    if text is None:
        return None  # reactions, system messages, unsupported types
    return Inbound(
        platform=WHATSAPP, kind="callback" if callback else "dm", external_id=str(message["id"]),
        thread_key=sender, sender=Sender(sender, names.get(sender) or f"+{sender}", f"+{sender}"), text=str(text).strip(),
        received_at=datetime.fromtimestamp(int(message["timestamp"]), timezone.utc),
        has_attachment=kind in _WA_MEDIA, raw={"message": dict(message), "phone_number_id": phone_id},
    )


def _wa_status(status: Mapping[str, Any]) -> Status:
    errors = status.get("errors") or []
    error = None
    if errors:
        first = errors[0]
        error = f"{first.get('code')}: {first.get('title') or first.get('message') or 'failed'}"
    return Status(str(status["id"]), str(status["status"]), error)


def _messaging(platform: str, entry: Mapping[str, Any]) -> list[Inbound]:
    page_id = str(entry.get("id", ""))
    found = []
    for event in entry.get("messaging", []):
        inbound = _messaging_event(platform, event, page_id)
        if inbound is not None:
            found.append(inbound)
    return found


def _messaging_event(platform: str, event: Mapping[str, Any], page_id: str) -> Inbound | None:
    sender = str((event.get("sender") or {}).get("id", ""))
    if not sender or sender == page_id:
        return None
    message, postback = event.get("message"), event.get("postback")
    if isinstance(postback, Mapping):
        text, callback, external = postback.get("payload"), True, postback.get("mid") or f"pb:{sender}:{event['timestamp']}"
        attachments: list[Any] = []
    elif isinstance(message, Mapping) and not message.get("is_echo"):
        quick = (message.get("quick_reply") or {}).get("payload")
        attachments = message.get("attachments") or []
        text, callback, external = quick or message.get("text") or ("" if attachments else None), bool(quick), message["mid"]
    else:
        return None  # echoes, reads, deliveries, reactions
    if text is None:
        return None
    return Inbound(
        platform=platform, kind="callback" if callback else "dm", external_id=str(external), thread_key=sender,
        sender=Sender(sender, "there"), text=str(text).strip(),  # the webhook carries no name
        received_at=datetime.fromtimestamp(int(event["timestamp"]) / 1000, timezone.utc),
        has_attachment=bool(attachments), raw={"event": dict(event)},
    )

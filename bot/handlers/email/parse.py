"""Email, the pure half: one RFC 5322 message → Inbound, or None when no one should answer it.

Never answered: our own mail, auto-replies and bounces (Auto-Submitted other than "no", Precedence
bulk/junk/list/auto_reply, X-Autoreply, delivery reports, the mailer-daemon or postmaster, an
empty Return-Path) and mailing lists (List-Id, List-Unsubscribe). A thread is named by its first
message: the first Message-ID in References, else In-Reply-To, else the message's own Message-ID.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import Any

from bot.errors import BadPayload
from bot.handlers.email.quotes import html_to_text, strip_quoted
from bot.messages import Inbound, Sender

PLATFORM = "email"
ID_LIMIT = 200  # the width of our id columns
_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply")
_AUTOMATIC_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-All", "List-Id", "List-Unsubscribe",
                      "Feedback-ID-Autoreply")


@dataclass(frozen=True, slots=True)
class ThreadHeaders:
    """What a reply needs to land in the customer's thread, kept with the inbound message."""

    message_id: str
    subject: str
    references: tuple[str, ...]
    reply_address: str

    def to_payload(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "subject": self.subject, "references": list(self.references),
                "reply_address": self.reply_address}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "ThreadHeaders | None":
        try:
            return cls(str(payload["message_id"]), str(payload["subject"]),
                       tuple(str(r) for r in payload["references"]), str(payload["reply_address"]))
        except (KeyError, TypeError):
            return None


def read_message(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage
    return message


def to_inbound(data: bytes, *, ours: frozenset[str], fallback_id: str, now: datetime) -> Inbound | None:
    """`ours`: the business's own addresses (lower case). `fallback_id` names a message without a Message-ID."""
    try:
        message = read_message(data)
        return _parse(message, ours, fallback_id, now)
    except (LookupError, ValueError, TypeError, AttributeError) as exc:  # a header or charset beyond repair
        raise BadPayload(f"email {fallback_id} is malformed: {exc!r}") from exc


def _parse(message: EmailMessage, ours: frozenset[str], fallback_id: str, now: datetime) -> Inbound | None:
    name, address = parseaddr(str(message.get("From", "")))
    address = address.strip().lower()
    if not address or "@" not in address or address in ours or is_automatic(message, address):
        return None
    headers = thread_headers(message, fallback_id, reply_address(message, address))
    body, attachments = body_and_attachments(message)
    text = strip_quoted(body)
    if headers.subject and not message.get("In-Reply-To") and headers.subject.lower() not in text.lower():
        text = f"{headers.subject}\n\n{text}".strip()  # a first message often asks in its subject alone
    return Inbound(
        platform=PLATFORM, kind="dm", external_id=headers.message_id,
        thread_key=(headers.references or (headers.message_id,))[0], sender=Sender(address, name.strip() or
                                                                                   address.split("@")[0], address),
        text=text, received_at=now, has_attachment=bool(attachments),
        raw={**headers.to_payload(), "date": str(message.get("Date", "")), "attachments": attachments},
    )


def is_automatic(message: EmailMessage, sender: str) -> bool:
    """An auto-reply, a bounce or a list message: answering it could start a loop or spam a list."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    if submitted and not submitted.startswith("no"):
        return True
    if str(message.get("Precedence", "")).strip().lower() in _AUTOMATIC_PRECEDENCE:
        return True
    if any(message.get(header) is not None for header in _AUTOMATIC_HEADERS):
        return True
    if message.get_content_type() == "multipart/report" or str(message.get("Return-Path", "")).strip() == "<>":
        return True
    return sender.split("@")[0] in _AUTOMATIC_SENDERS


def reply_address(message: EmailMessage, sender: str) -> str:
    found = [addr for _, addr in getaddresses([str(v) for v in message.get_all("Reply-To", [])]) if "@" in addr]
    return found[0].lower() if found else sender


def thread_headers(message: EmailMessage, fallback_id: str, reply_to: str) -> ThreadHeaders:
    own = _ids(str(message.get("Message-ID", "")))
    references = _ids(str(message.get("References", ""))) or _ids(str(message.get("In-Reply-To", "")))
    return ThreadHeaders(_fit(own[0] if own else f"<{fallback_id}@socialdesk.invalid>"),
                         " ".join(str(message.get("Subject", "")).split()),
                         tuple(_fit(r) for r in references), reply_to)


def _ids(header: str) -> list[str]:
    """Message ids as written, with their angle brackets: "<a@b> <c@d>" → ["<a@b>", "<c@d>"]."""
    return [f"<{piece.split('>', 1)[0].strip()}>" for piece in header.split("<")[1:] if ">" in piece]


def _fit(message_id: str) -> str:
    """An id longer than our columns is stored as its digest; it stays unique and stable."""
    if len(message_id) <= ID_LIMIT:
        return message_id
    return f"<sha256.{hashlib.sha256(message_id.encode()).hexdigest()}@long-id.invalid>"


def body_and_attachments(message: EmailMessage) -> tuple[str, list[str]]:
    """The plain-text body (else the HTML one as text), and the names of any attachments."""
    attachments = [part.get_filename() or part.get_content_type() for part in message.walk() if _is_attachment(part)]
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None and plain.get_content_disposition() != "attachment":
        return str(plain.get_content()), attachments
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return html_to_text(str(html.get_content())), attachments
    return "", attachments


def _is_attachment(part: EmailMessage) -> bool:
    """A file the customer sent. An image shown inside an HTML body by its Content-ID (a signature's logo)
    is not one; anything marked as an attachment, or any other non-text part, is."""
    if part.is_multipart():
        return False
    if part.get_content_disposition() == "attachment":
        return True
    if part.get_content_maintype() == "text":
        return False
    return not (part.get("Content-ID") and part.get_content_disposition() in (None, "inline"))

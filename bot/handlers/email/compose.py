"""Email, the outgoing half: one Outbound as a reply that lands in the customer's thread.

In-Reply-To names the customer's message and References carries the thread's ids with it, so every
mail client files the reply under the customer's own message. The subject is "Re: " and theirs: Gmail
starts a new conversation when the subject changes, whatever the headers say. A template's own subject
line ("Subject: Our opening hours") names a reply to a message that had no subject. The reply quotes nothing.
Its Message-ID comes from the outbox row's idempotency key: should a send be tried again, mail systems
see the same message, not a second one.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from bot.handlers.email.parse import ThreadHeaders
from bot.messages import Outbound

SUBJECT_PREFIX = "subject:"
# References may grow without end in a long thread; the first and the latest ids are what threading uses.
MAX_REFERENCES = 20


def split_subject(text: str) -> tuple[str | None, str]:
    """A template's own subject line ("Subject: ...", then the body), or None and the text as it is."""
    first, _, rest = text.lstrip().partition("\n")
    if first.lower().startswith(SUBJECT_PREFIX):
        return first[len(SUBJECT_PREFIX):].strip() or None, rest.strip()
    return None, text


def reply_subject(theirs: str) -> str:
    subject = theirs.strip()
    if not subject:
        return "Re: your message"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def message_id_for(idempotency_key: str, domain: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build_reply(outbound: Outbound, parent: ThreadHeaders | None, *, sender: str, sender_name: str,
                recipient: str, timestamp: float) -> EmailMessage:
    own_subject, body = split_subject(outbound.text)
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender))
    message["To"] = recipient
    theirs = parent.subject.strip() if parent else ""
    message["Subject"] = reply_subject(theirs) if theirs or not own_subject else own_subject
    message["Date"] = formatdate(timestamp, usegmt=True)
    message["Message-ID"] = message_id_for(outbound.idempotency_key, sender.rpartition("@")[2] or "localhost")
    if parent is not None:
        chain = [*parent.references, parent.message_id]
        if len(chain) > MAX_REFERENCES:
            chain = [chain[0], *chain[-(MAX_REFERENCES - 1):]]
        message["In-Reply-To"] = parent.message_id
        message["References"] = " ".join(chain)
    message.set_content(body)
    return message

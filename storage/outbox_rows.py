"""What an outbox row carries, typed both ways, and the idempotency keys rows are queued under.

A row's payload is JSON in the database. Nothing outside this module builds or reads those dicts: a
row is queued as one of the dataclasses below and read back with `row_of`.

Keys make queuing idempotent: a second enqueue with the same key adds nothing. One draft has one
reply key. When the worker holds an automatic reply back for the owner, it retires that row
(`storage.outbox.retire` renames its key), so the reply the owner approves later is queued under
the same key again and still goes out once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from storage.records import OutboxItem

# The platform of every row bound for the owner's desk (Slack or the console) rather than a customer.
OWNER = "owner"


class Kind(StrEnum):
    REPLY = "reply"
    OWNER_CARD = "owner_card"
    OWNER_NOTE = "owner_note"
    EVENT_POST = "event_post"


@dataclass(frozen=True, slots=True)
class Reply:
    """Words to a customer. `conversation_id` is set when the words belong to a stored conversation: only
    then is the sent reply recorded there, and the owner told if it does not go."""
    kind: ClassVar[Kind] = Kind.REPLY
    thread_key: str
    text: str
    reply_to: str | None = None
    recipient_id: str | None = None
    conversation_id: int | None = None


@dataclass(frozen=True, slots=True)
class OwnerCard:
    """A held draft or an escalation, shown to the owner with its buttons."""
    kind: ClassVar[Kind] = Kind.OWNER_CARD
    draft_id: int


@dataclass(frozen=True, slots=True)
class OwnerNote:
    """A line for the owner: in the conversation's thread when there is one; `or_desk` puts it on the
    desk itself when that conversation never reached the desk."""
    kind: ClassVar[Kind] = Kind.OWNER_NOTE
    text: str
    conversation_id: int | None = None
    or_desk: bool = False
    event_id: int | None = None


@dataclass(frozen=True, slots=True)
class EventPost:
    """One scheduled post of an event (invite, reminder, change) on one channel."""
    kind: ClassVar[Kind] = Kind.EVENT_POST
    event_id: int
    post: str
    thread_key: str | None = None


Row = Reply | OwnerCard | OwnerNote | EventPost
R = TypeVar("R", Reply, OwnerCard, OwnerNote, EventPost)


def to_payload(row: Row) -> dict[str, Any]:
    """The JSON stored for a row. Unset optional fields are left out."""
    return {name: value for name, value in asdict(row).items() if value is not None and value is not False}


def row_of(item: OutboxItem) -> Row:
    """The typed row behind an outbox item. A payload that does not fit its kind raises ValueError."""
    payload = item.payload
    try:
        match item.kind:
            case Kind.REPLY:
                return Reply(str(payload["thread_key"]), str(payload["text"]), _text_or_none(payload, "reply_to"),
                             _text_or_none(payload, "recipient_id"), _int_or_none(payload, "conversation_id"))
            case Kind.OWNER_CARD:
                return OwnerCard(int(payload["draft_id"]))
            case Kind.OWNER_NOTE:
                return OwnerNote(str(payload["text"]), _int_or_none(payload, "conversation_id"),
                                 bool(payload.get("or_desk")), _int_or_none(payload, "event_id"))
            case Kind.EVENT_POST:
                return EventPost(int(payload["event_id"]), str(payload["post"]), _text_or_none(payload, "thread_key"))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"outbox row {item.id} ({item.kind}) has a payload that does not fit: {exc}") from None
    raise ValueError(f"outbox row {item.id} has an unknown kind {item.kind!r}")


def row_as(item: OutboxItem, kind: type[R]) -> R:
    """The typed row behind an item that must be of one kind (a delivery registered for that kind)."""
    row = row_of(item)
    if not isinstance(row, kind):
        raise ValueError(f"outbox row {item.id} is a {item.kind}, not a {kind.kind}")
    return row


def _text_or_none(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return None if value is None else str(value)


def _int_or_none(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    return None if value is None else int(value)


# Keys, each built here and nowhere else.

def reply_key(draft_id: int) -> str:
    return f"reply:{draft_id}"


def card_key(draft_id: int) -> str:
    return f"card:{draft_id}"


def acknowledgement_key(draft_id: int) -> str:
    return f"ack:{draft_id}"


def owner_reply_key(reference: str) -> str:
    """An owner's own words; `reference` is the desk's id for the action, so a retried click is one reply."""
    return f"owner-reply:{reference}"


def note_key(*parts: object) -> str:
    return ":".join(("note", *map(str, parts)))

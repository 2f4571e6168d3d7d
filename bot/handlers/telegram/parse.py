"""Telegram, the pure half: Bot API updates → Inbound, and Outbound → sendMessage requests.

Private chats are always for us. In groups and supergroups (privacy mode on) only messages that
mention the bot, address a command to it, or reply to it are. Presses on our own inline buttons
arrive as callback queries. Edits, service messages (joins, pins, ...) and the bot's own messages
are ignored. The adapter that talks to the Bot API lives in bot/handlers/telegram/channel.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from bot.errors import BadPayload
from bot.handlers.telegram.html import split_html
from bot.messages import Inbound, Outbound, Sender
from bot.textlimits import TELEGRAM_MESSAGE_LIMIT

PLATFORM = "telegram"
GROUP_CHATS = ("group", "supergroup")
# Updates we ask the Bot API for; everything else (edits, channel posts, polls) never reaches us.
ALLOWED_UPDATES = ("message", "callback_query")
_MEDIA = ("photo", "document", "video", "voice", "audio", "sticker", "animation", "video_note", "location", "contact")


def to_inbound(update: Mapping[str, Any], bot_username: str, bot_id: int) -> Inbound | None:
    """One Bot API Update as our Inbound, or None when it is not a customer message for us.
    Raises BadPayload when the update lacks what the Bot API always sends."""
    try:
        return _parse(update, bot_username, bot_id)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:  # e.g. date 1e20
        raise BadPayload(f"telegram update {update.get('update_id')!r} is malformed: {exc!r}") from exc


def _parse(update: Mapping[str, Any], bot_username: str, bot_id: int) -> Inbound | None:
    if "callback_query" in update:
        return _callback(update["callback_query"], update)
    message = update.get("message")
    if not isinstance(message, Mapping):
        return None  # edited_message, channel_post, my_chat_member, ...
    sender = message.get("from") or {}
    text = message.get("text") or message.get("caption")
    if not sender or sender.get("is_bot") or sender.get("id") == bot_id or not isinstance(text, str):
        return None
    chat = message.get("chat") or {}
    kind = _kind(message, chat, bot_username, bot_id)
    if kind is None:
        return None
    if kind != "dm":
        text = _without_mention(text, bot_username)
    return Inbound(
        platform=PLATFORM, kind=kind, external_id=f"{chat['id']}:{message['message_id']}",
        thread_key=thread_key(chat, sender), sender=_sender(sender), text=text.strip(),
        received_at=datetime.fromtimestamp(int(message["date"]), timezone.utc),
        link=_link(chat, message["message_id"]), has_attachment=any(k in message for k in _MEDIA), raw=update,
    )


def _callback(query: Mapping[str, Any], update: Mapping[str, Any]) -> Inbound | None:
    sender = query.get("from") or {}
    data = query.get("data")
    if not sender or not isinstance(data, str):
        return None  # a game button or a press without data: not one of ours
    message = query.get("message") or {}
    sent = message.get("date") or 0
    # A press under an invite in a channel or group belongs to the person, not the chat: their own
    # private conversation, where the confirmation goes (never into the public chat).
    private = {"id": sender["id"], "type": "private"}
    return Inbound(
        platform=PLATFORM, kind="callback", external_id=f"cb:{query['id']}",
        thread_key=thread_key(private, sender), sender=_sender(sender), text=data,
        received_at=datetime.fromtimestamp(int(sent), timezone.utc), raw=update,
    )


def _kind(message: Mapping[str, Any], chat: Mapping[str, Any], bot_username: str, bot_id: int) -> str | None:
    if chat.get("type") == "private":
        return "dm"
    if chat.get("type") not in GROUP_CHATS:
        return None
    replied = (message.get("reply_to_message") or {}).get("from") or {}
    if replied.get("id") == bot_id:
        return "reply"
    return "mention" if _mentions(message, bot_username, bot_id) else None


def _mentions(message: Mapping[str, Any], bot_username: str, bot_id: int) -> bool:
    text = message.get("text") or message.get("caption") or ""
    entities = message.get("entities") or message.get("caption_entities") or []
    wanted = "@" + bot_username.lower()
    for entity in entities:
        piece = _utf16_slice(text, entity.get("offset", 0), entity.get("length", 0)).lower()
        if entity.get("type") == "mention" and piece == wanted:
            return True
        if entity.get("type") == "bot_command" and piece.endswith(wanted):
            return True
        if entity.get("type") == "text_mention" and (entity.get("user") or {}).get("id") == bot_id:
            return True
    return False


def _utf16_slice(text: str, offset: int, length: int) -> str:
    """Telegram entity offsets count UTF-16 code units, not Python characters."""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2:(offset + length) * 2].decode("utf-16-le", errors="ignore")


def _without_mention(text: str, bot_username: str) -> str:
    return re.sub(rf"@{re.escape(bot_username)}\b", "", text, flags=re.IGNORECASE).strip() or text


def _sender(user: Mapping[str, Any]) -> Sender:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or user.get("username") or "there"
    return Sender(platform_user_id=str(user["id"]), display_name=name, handle=user.get("username"))


def thread_key(chat: Mapping[str, Any], user: Mapping[str, Any]) -> str:
    """A private chat is one conversation; in a group each customer has their own conversation."""
    if chat.get("type") in GROUP_CHATS:
        return f"{chat['id']}:{user['id']}"
    return str(chat["id"])


def _link(chat: Mapping[str, Any], message_id: int) -> str | None:
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message_id}"
    return None


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One sendMessage call: the keyword arguments for telegram.Bot.send_message."""

    chat_id: int | str
    text: str
    reply_to_message_id: int | None
    buttons: tuple[tuple[str, str], ...] = ()


def chat_id_of(thread: str) -> int | str:
    """A numeric chat id, or "@channelusername" for a public channel the bot posts in."""
    chat = thread.split(":", 1)[0]
    return chat if chat.startswith("@") else int(chat)


def send_requests(outbound: Outbound, limit: int = TELEGRAM_MESSAGE_LIMIT) -> list[SendRequest]:
    """The sendMessage calls for one reply: split under Telegram's limit (each piece valid HTML), the
    first replying to the customer's message, any buttons on the last."""
    chat_id = chat_id_of(outbound.thread_key)
    reply_to = _message_id(outbound.reply_to, chat_id)
    pieces = split_html(outbound.text, limit) or [outbound.text]
    buttons = tuple((b.label, b.value) for b in outbound.buttons)
    return [SendRequest(chat_id, piece, reply_to if i == 0 else None, buttons if i == len(pieces) - 1 else ())
            for i, piece in enumerate(pieces)]


def _message_id(reply_to: str | None, chat_id: int | str) -> int | None:
    """Our external ids are "<chat_id>:<message_id>"; only a message in the same chat can be replied to."""
    if not reply_to or ":" not in reply_to:
        return None
    chat, _, message = reply_to.rpartition(":")
    if chat != str(chat_id) or not message.isdigit():
        return None
    return int(message)

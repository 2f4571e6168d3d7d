"""The facts about each platform, one row each: what the owner calls it, how long a reply may be and how
it is counted, its reply markup, and what it can do (buttons, direct messages, posts to a channel).

Every feature reads a platform's facts from here, so adding a platform is one row (`add`), not an edit
in every module that once kept its own list.

Drafts are stored in their platform's markup (a Telegram draft is HTML). Words the owner types are plain
text, so they are escaped once on the way out; a draft shown to the owner for editing is shown plain, so
an edit box never asks them to type `&amp;`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

X_URL_LENGTH = 23
META_WINDOW = timedelta(hours=24)  # Meta's customer-service window
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")


class Platform(StrEnum):
    """The platforms that ship with socialdesk; a deployment may add its own rows with `add`."""
    TELEGRAM = "telegram"
    X = "x"
    SLACK = "slack"
    WEBCHAT = "webchat"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    SHELL = "shell"


def x_length(text: str) -> int:
    """X counts each URL as 23 and wide characters (CJK, emoji) as 2."""
    without_urls = _URL.sub("", text)
    urls = len(_URL.findall(text))
    weighted = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in without_urls)
    return weighted + urls * X_URL_LENGTH


def _html_escape(text: str) -> str:
    return html.escape(text, quote=False)


def _html_plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_plain(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass(frozen=True, slots=True)
class Traits:
    """One platform's facts. `escape` and `plain` are None where the platform has no markup."""

    name: str
    display_name: str
    # A reply longer than this is held for the owner; None where long replies are split or have no limit.
    hard_limit: int | None = None
    count: Callable[[str], int] = len
    escape: Callable[[str], str] | None = None
    plain: Callable[[str], str] | None = None
    buttons: bool = False
    direct_messages: bool = False
    # Whether invites and reminders can be posted to a channel here; when not, `not_a_channel` says why.
    channel_posts: bool = False
    not_a_channel: str = ""
    # An invite here goes to the business's own timeline (X) or screen (the console), so it names no place.
    posts_without_place: bool = False
    # No channel to post to: an invite goes to each customer who has written in, one message each, within
    # `reply_window` of their last message (Meta's customer-service window); after it only through an
    # approved template where `writes_first_by_template`, else it is held and the owner is told why.
    invites_each_customer: bool = False
    reply_window: timedelta | None = None
    writes_first_by_template: bool = False
    # A held customer is told the owner will answer. Not on X: replies there are public, count against a
    # small write budget, and X refuses the same text twice, so a held X customer waits for the owner.
    acknowledges_held: bool = True
    # The send is a write to our own database committed with the row's "sent" (the web chat: visitors'
    # long polls read replies from the messages table, woken by NOTIFY). A worker that dies mid-send
    # there has sent nothing anyone saw, so the row is sent again instead of being marked uncertain.
    sent_by_commit: bool = False


_TABLE: dict[str, Traits] = {}


def add(traits: Traits) -> Traits:
    """Add (or replace) a platform's row; the table keeps the order rows were added in."""
    _TABLE[traits.name] = traits
    return traits


def remove(name: str) -> None:
    _TABLE.pop(name, None)


for _row in (
    Traits(Platform.TELEGRAM, "Telegram", escape=_html_escape, plain=_html_plain, buttons=True,
           direct_messages=True, channel_posts=True),
    Traits(Platform.X, "X", hard_limit=280, count=x_length, channel_posts=True, posts_without_place=True,
           acknowledges_held=False),
    Traits(Platform.SLACK, "Slack", escape=_slack_escape, plain=_slack_plain, buttons=True,
           direct_messages=True, channel_posts=True),
    Traits(Platform.WEBCHAT, "web chat", buttons=True, direct_messages=True, sent_by_commit=True,
           not_a_channel="the web chat only answers visitors who write to it, so no one would see an invite "
                         "there: announce the event on your website"),
    Traits(Platform.EMAIL, "email", direct_messages=True,
           not_a_channel="email has no channel everyone reads: send the invite from your own mail list"),
    # Meta's Send API refuses longer texts (WhatsApp 4,096 characters, Messenger 2,000, Instagram 1,000).
    # A business may write freely only within 24 hours of the customer's last message, so an invite goes
    # to each customer inside that window (WhatsApp: to the others through an approved template).
    Traits(Platform.WHATSAPP, "WhatsApp", hard_limit=4096, buttons=True, invites_each_customer=True,
           reply_window=META_WINDOW, writes_first_by_template=True),
    Traits(Platform.MESSENGER, "Messenger", hard_limit=2000, buttons=True, invites_each_customer=True,
           reply_window=META_WINDOW),
    Traits(Platform.INSTAGRAM, "Instagram", hard_limit=1000, buttons=True, invites_each_customer=True,
           reply_window=META_WINDOW),
    Traits(Platform.SHELL, "console", direct_messages=True, channel_posts=True, posts_without_place=True),
):
    add(_row)


def traits_of(platform: str) -> Traits:
    """The platform's row; a name with no row gets plain facts (no markup, no limit, no buttons)."""
    return _TABLE.get(platform) or Traits(platform, platform)


def names() -> tuple[str, ...]:
    return tuple(_TABLE)


def where(predicate: Callable[[Traits], bool]) -> tuple[str, ...]:
    """The names of the platforms whose row satisfies `predicate`, in table order."""
    return tuple(name for name, row in _TABLE.items() if predicate(row))


def display_name(platform: str) -> str:
    return traits_of(platform).display_name


def length_on(platform: str, text: str) -> int:
    return traits_of(platform).count(text)


def limit_of(platform: str) -> int | None:
    return traits_of(platform).hard_limit


def fits(platform: str, text: str) -> bool:
    limit = limit_of(platform)
    return limit is None or length_on(platform, text) <= limit


def too_long_reason(platform: str) -> str:
    """What the owner reads when a reply is over the platform's limit."""
    return f"reply is longer than {display_name(platform)}'s {limit_of(platform)} characters"


def escape_for(platform: str, text: str) -> str:
    """Plain words made safe in the platform's markup (unchanged where the platform has none)."""
    escape = traits_of(platform).escape
    return escape(text) if escape else text


def plain_text(platform: str, text: str) -> str:
    """A draft in the platform's markup, as the words a person reads (tags dropped, entities decoded)."""
    plain = traits_of(platform).plain
    return plain(text) if plain else text

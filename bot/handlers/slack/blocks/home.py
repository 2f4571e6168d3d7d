"""The App Home tab: what waits for the owner and how the day is going. Pure: figures in, blocks out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.platforms import display_name
from bot.handlers.slack.blocks.event_lists import EventLine, home_events
from bot.handlers.slack.blocks.kit import escape, header, section
from storage.desk_stats import OwnedConversation, WaitingDraft


@dataclass(frozen=True, slots=True)
class HomeFigures:
    now: datetime
    waiting: list[WaitingDraft]
    owned: list[OwnedConversation]
    today: dict[str, int]
    median_first_answer: timedelta | None
    events: Sequence[EventLine] = ()


def age(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"




def _platform(name: str) -> str:
    return display_name(name)


def _waiting_lines(figures: HomeFigures) -> str:
    if not figures.waiting:
        return "Nothing is waiting for you. :tada:"
    lines = []
    for item in figures.waiting:
        kind = "needs you" if item.action == "escalate" else "draft to approve"
        words = escape(item.customer_text[:80])
        lines.append(f"• *{escape(item.customer_name)}* on {_platform(item.platform)} ({kind}, waiting "
                     f"{age(figures.now - item.created_at)}): {words}")
    return "\n".join(lines)


def _owned_lines(figures: HomeFigures) -> str:
    if not figures.owned:
        return "None: the bot is answering everyone."
    return "\n".join(f"• *{escape(c.customer_name)}* on {_platform(c.platform)}, taken by "
                     f"{f'<@{c.taken_by}>' if c.taken_by else 'someone'} {age(figures.now - c.since)} ago"
                     for c in figures.owned)


def _traffic(figures: HomeFigures) -> str:
    counts = ", ".join(f"{_platform(p)}: {n}" for p, n in figures.today.items()) or "no messages yet"
    median = "not enough answers yet" if figures.median_first_answer is None else age(figures.median_first_answer)
    return f"*Today's messages:* {counts}\n*Median time to first answer this week:* {median}"


def home_view(figures: HomeFigures) -> dict[str, Any]:
    return {"type": "home", "blocks": [
        header(f"Waiting for you ({len(figures.waiting)})"), section(_waiting_lines(figures)),
        {"type": "divider"},
        header(f"Conversations people own ({len(figures.owned)})"), section(_owned_lines(figures)),
        {"type": "divider"},
        section(_traffic(figures)),
        {"type": "divider"},
        *home_events(figures.events),
    ]}


def visitor_home(business: str) -> dict[str, Any]:
    """What anyone who is not an approver sees: how to ask, and nothing about other customers."""
    return {"type": "home", "blocks": [
        header(f"{business} on Slack"[:150]),
        section("Mention me in a channel or send me a direct message with your question, and I'll answer "
                 "here or pass it to the team."),
    ]}

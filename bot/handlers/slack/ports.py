"""What the owner's Slack desk works with beyond a handler's ports: the owner's actions and the events."""

from __future__ import annotations

from dataclasses import dataclass

from bot.events.service import EventService
from bot.owner import Approvals
from bot.ports import HandlerPorts


@dataclass(frozen=True, slots=True)
class DeskPorts:
    ports: HandlerPorts
    approvals: Approvals
    # None when the events feature is not running: /event and App Home's events then say nothing.
    events: EventService | None

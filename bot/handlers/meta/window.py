"""The customer-service window, a rule of Meta's: a business may write freely only within 24 hours of
the customer's last message. After that:
- WhatsApp: only an approved template message (the owner names it in channels.whatsapp.template);
- Messenger and Instagram: a person's reply, tagged HUMAN_AGENT, within 7 days;
otherwise nothing may be sent, and the reply goes to the owner with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.errors import Refused
from bot.platforms import META_WINDOW

WINDOW = META_WINDOW
HUMAN_AGENT_WINDOW = timedelta(days=7)


class SendMode(StrEnum):
    FREE = "free"  # inside the 24-hour window
    TEMPLATE = "template"  # WhatsApp, after it: the owner's approved template
    HUMAN_AGENT = "human_agent"  # Messenger / Instagram, within 7 days


class WindowClosed(Refused):
    """Meta allows no free message to this customer now; the owner decides what to do."""

    fix = "Answer the customer another way, or wait until they write again."


@dataclass(frozen=True, slots=True)
class WindowRule:
    platform: str
    template: str | None = None  # WhatsApp's approved template, when the owner has one

    def mode(self, last_inbound: datetime | None, now: datetime) -> SendMode:
        """How a message may go now, or WindowClosed saying why not."""
        if last_inbound is not None and now - last_inbound < WINDOW:
            return SendMode.FREE
        if self.platform == "whatsapp":
            if self.template:
                return SendMode.TEMPLATE
            raise WindowClosed("whatsapp: the customer last wrote more than 24 hours ago, so WhatsApp allows only an "
                               "approved template message: set channels.whatsapp.template to one")
        if last_inbound is not None and now - last_inbound < HUMAN_AGENT_WINDOW:
            return SendMode.HUMAN_AGENT
        raise WindowClosed(f"{self.platform}: the customer last wrote more than 7 days ago; Meta allows no message "
                           "until they write again")

"""Who an event invite can reach on a platform with no channel to post to (WhatsApp, Messenger,
Instagram), within Meta's rules. Pure: the customers, the time and the owner's template in, a plan out.

Inside the customer-service window (24 hours from the customer's last message) the invite goes as a
message of its own, with RSVP buttons. After it, WhatsApp lets a business write first only with a
template Meta has approved (channels.whatsapp.template); Messenger and Instagram not at all (their
HUMAN_AGENT tag is for a person's answer to the customer's question, not for news). Anyone else is held:
not written to, and the owner is told who and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.platforms import display_name, traits_of
from bot.profile.model import BusinessProfile
from storage.audience import CustomerThread

NAMES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Reach:
    platform: str
    direct: tuple[CustomerThread, ...] = ()  # inside their window: the invite itself, with buttons
    by_template: tuple[CustomerThread, ...] = ()  # outside it: through the owner's approved template
    held: tuple[CustomerThread, ...] = ()
    template: str | None = None

    @property
    def invited(self) -> tuple[CustomerThread, ...]:
        return self.direct + self.by_template

    @property
    def held_reason(self) -> str:
        name = display_name(self.platform)
        if traits_of(self.platform).writes_first_by_template:
            return (f"they last wrote more than 24 hours ago, and {name} lets a business write first only with an "
                    f"approved template: set channels.{self.platform}.template in business.yaml to one")
        return (f"they last wrote more than 24 hours ago, and {name} allows no invite after that "
                "(reach them another way, or tell them when they next write)")

    def summary(self) -> list[str]:
        """What the schedule says about this platform's invites."""
        if not (self.direct or self.by_template or self.held):
            return [f"nobody has written in on {display_name(self.platform)} yet, so nobody is invited there"]
        lines = []
        if self.direct:
            lines.append(f"{_people(len(self.direct))} wrote in the last 24 hours: invited directly, with RSVP buttons")
        if self.by_template:
            lines.append(f"{_people(len(self.by_template))} through your approved template \"{self.template}\"")
        if self.held:
            lines.append(f"{_people(len(self.held))} held ({names_of(self.held)}): {self.held_reason}")
        return lines


def reach(platform: str, customers: Iterable[CustomerThread], now: datetime, template: str | None) -> Reach:
    traits = traits_of(platform)
    window = traits.reply_window
    template = template if traits.writes_first_by_template else None
    direct, by_template, held = [], [], []
    for customer in customers:
        if window is None or now - customer.last_wrote_at < window:
            direct.append(customer)
        elif template:
            by_template.append(customer)
        else:
            held.append(customer)
    return Reach(platform, tuple(direct), tuple(by_template), tuple(held), template)


def template_for(profile: BusinessProfile, platform: str) -> str | None:
    """The owner's approved template on `platform`, where the platform writes first with one."""
    config = getattr(profile.channels, platform, None)
    return getattr(config, "template", None) or None


def names_of(customers: tuple[CustomerThread, ...]) -> str:
    shown = ", ".join(c.display_name for c in customers[:NAMES_SHOWN])
    more = len(customers) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _people(count: int) -> str:
    return f"{count} customer{'s' if count != 1 else ''}"

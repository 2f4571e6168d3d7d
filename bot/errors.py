"""The one error hierarchy. Each error says what went wrong and how to fix it."""

from __future__ import annotations


class SocialdeskError(Exception):
    """Root of every error socialdesk raises on purpose."""


class ConfigError(SocialdeskError):
    """The business profile or the environment is wrong; the message names the file and key."""


class BrokenTemplate(SocialdeskError):
    """A reply template is missing or failed to render. (Named apart from Jinja's own BrokenTemplate.)"""


class StorageError(SocialdeskError):
    """The database is unreachable or its schema is out of date."""


class Duplicate(StorageError):
    """This inbound message (same platform and external id) is already recorded: a webhook retry or a
    second delivery. Nothing new was stored."""


class ChannelError(SocialdeskError):
    """A platform refused or failed a request. Retrying later may work."""


class ChannelNotRunning(ChannelError):
    """The channel a row is for is not running (not configured, or still connecting): the outbox tries again later."""


class RateLimited(ChannelError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(ChannelError):
    """The recipient cannot be reached (blocked the bot, left the chat): do not retry."""


class DeliveryUncertain(ChannelError):
    """The request may have gone through (a timeout after sending): never repeat it blindly."""


class Refused(ChannelError):
    """The platform refuses this text as it stands, though the customer can still be reached, so no
    retry can send it. An automatic reply is held for the owner to change; anything else fails at once,
    with this as the reason and `fix` as what the owner can do."""

    fix = "Change it and send again."


class TooLong(Refused):
    """The reply is longer than the platform allows."""

    fix = "Shorten it and send again."


class DuplicateContent(Refused):
    """X refuses a post whose text the account has already posted (a second customer asking the same)."""

    fix = "Reword it and send again."


class BadPayload(SocialdeskError):
    """An incoming platform payload is malformed."""


class DataError(SocialdeskError):
    """A data file given to a command (an evaluation set, an export) is malformed."""


class OverBudget(RateLimited):
    """Our own quota for a platform (X's cheap API tiers) is spent until `retry_after`. An automatic
    reply is held for the owner instead of waiting; a reply the owner already approved waits."""


class NotAllowed(SocialdeskError):
    """The person acting is not one of the business profile's approvers."""

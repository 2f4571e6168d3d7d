"""Customers' names on Messenger and Instagram. Their webhooks carry only an id, so the name is read once
from the Graph API's user profile (Messenger: first and last name; Instagram: name and @username) and kept
in memory (a client for each look-up: they are rare, and nothing is left open). Without it the owner's cards would read "there needs you"; when it cannot be read (a permission
the app lacks, the API away), the message goes on as before, greeting "there"."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace

from bot.errors import ChannelError
from bot.handlers.meta.graph import GraphClient
from bot.handlers.meta.parse import INSTAGRAM, MESSENGER
from bot.messages import Inbound, Sender

log = logging.getLogger(__name__)
_FIELDS = {MESSENGER: "first_name,last_name", INSTAGRAM: "name,username"}
REMEMBERED = 4096


class SenderNames:
    def __init__(self, graphs: Mapping[str, Callable[[], GraphClient]]) -> None:
        self._graphs = dict(graphs)
        self._known: OrderedDict[tuple[str, str], Sender] = OrderedDict()

    async def named(self, inbound: Inbound) -> Inbound:
        graph = self._graphs.get(inbound.platform)
        if graph is None:
            return inbound
        key = (inbound.platform, inbound.sender.platform_user_id)
        sender = self._known.get(key)
        if sender is None:
            sender = await self._look_up(graph, inbound.platform, inbound.sender)
            if sender is None:
                return inbound
            self._known[key] = sender
            while len(self._known) > REMEMBERED:
                self._known.popitem(last=False)
        return replace(inbound, sender=sender)

    async def _look_up(self, connect: Callable[[], GraphClient], platform: str, sender: Sender) -> Sender | None:
        graph = connect()
        try:
            found = await graph.get(sender.platform_user_id, _FIELDS[platform])
        except ChannelError as exc:
            log.info("customer name not available", extra={"platform": platform, "error": str(exc)})
            return None
        finally:
            await graph.close()
        if platform == INSTAGRAM:
            username = str(found.get("username") or "").strip()
            name = str(found.get("name") or "").strip() or username
            return Sender(sender.platform_user_id, name, f"@{username}" if username else None) if name else None
        name = " ".join(str(found.get(part) or "").strip() for part in ("first_name", "last_name")).strip()
        return Sender(sender.platform_user_id, name, sender.handle) if name else None

"""One Meta platform's channel: sends through the Send API within the window rule. Receiving is the
webhook's job (bot/handlers/meta/webhook.py, in `socialdesk serve`), so start and stop do little."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.clock import Clock
from bot.handlers.meta.graph import GraphClient
from bot.handlers.meta.parse import WHATSAPP
from bot.handlers.meta.window import SendMode, WindowRule
from bot.messages import Outbound
from bot.ports import Deliver
from storage import inbound_raw
from storage.engine import Database

WHATSAPP_BUTTONS, BUTTON_TITLE = 3, 20  # WhatsApp: at most 3 reply buttons, titles of 20 characters
QUICK_REPLIES = 13  # Messenger and Instagram
INTERACTIVE_BODY = 1024  # WhatsApp: the most characters a message with reply buttons may carry


@dataclass(frozen=True, slots=True)
class MetaAccount:
    platform: str
    path: str  # "{phone-number-id}/messages" for WhatsApp, "me/messages" for Messenger and Instagram
    template_language: str = "en_US"


class MetaChannel:
    def __init__(self, account: MetaAccount, graph: GraphClient, rule: WindowRule, db: Database, clock: Clock) -> None:
        self.platform = account.platform
        self._account, self._graph, self._rule, self._db, self._clock = account, graph, rule, db, clock

    async def start(self, deliver: Deliver) -> None:
        return None  # messages arrive at the web process's webhook

    async def stop(self) -> None:
        await self._graph.close()

    async def send(self, outbound: Outbound) -> str:
        async with self._db.session() as session:
            last = await inbound_raw.latest_inbound_at(session, self.platform, outbound.thread_key)
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=timezone.utc)
        mode = self._rule.mode(last, self._clock.now())  # WindowClosed: the outbox holds it for the owner
        answer = await self._graph.post(self._account.path, request_body(outbound, mode, self._rule.template,
                                                                         self._account.template_language))
        if self.platform == WHATSAPP:
            return str(answer["messages"][0]["id"])
        return str(answer["message_id"])


def request_body(outbound: Outbound, mode: SendMode, template: str | None, language: str) -> dict[str, Any]:
    if outbound.platform == WHATSAPP:
        return _whatsapp(outbound, mode, template, language)
    body: dict[str, Any] = {"recipient": {"id": outbound.thread_key}, "message": {"text": outbound.text}}
    if mode is SendMode.HUMAN_AGENT:
        body |= {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    else:
        body["messaging_type"] = "RESPONSE"
    if outbound.buttons:
        body["message"]["quick_replies"] = [{"content_type": "text", "title": b.label[:BUTTON_TITLE], "payload": b.value}
                                            for b in outbound.buttons[:QUICK_REPLIES]]
    return body


def _whatsapp(outbound: Outbound, mode: SendMode, template: str | None, language: str) -> dict[str, Any]:
    base: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": outbound.thread_key}
    if mode is SendMode.TEMPLATE:
        # The owner's approved template carries the reply as its one body variable ({{1}}). WhatsApp refuses a
        # variable with a new line, a tab or more than four spaces in a row (error 132018): one line it is.
        value = " ".join(outbound.text.split())
        return base | {"type": "template", "template": {
            "name": template, "language": {"code": language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": value}]}]}}
    if outbound.buttons and len(outbound.text) <= INTERACTIVE_BODY:  # longer: words alone, answered in words
        buttons = [{"type": "reply", "reply": {"id": b.value, "title": b.label[:BUTTON_TITLE]}}
                   for b in outbound.buttons[:WHATSAPP_BUTTONS]]
        return base | {"type": "interactive", "interactive": {"type": "button", "body": {"text": outbound.text},
                                                              "action": {"buttons": buttons}}}
    if outbound.reply_to:
        base["context"] = {"message_id": outbound.reply_to}
    return base | {"type": "text", "text": {"body": outbound.text, "preview_url": False}}

"""The owner's Slack: held drafts and escalations become cards in the owner channel, one thread per
conversation, updated in place when someone acts.

`SlackOwnerDesk` is the outbox's owner desk (it posts cards through the Web API); `SlackDesk` bundles it
with the Bolt app that receives clicks, modals, thread replies and App Home, over Socket Mode (inside
`socialdesk run`) or HTTP at /slack/events (inside `socialdesk serve`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.errors import ChannelError, Unreachable
from bot.handlers.slack.api import MessageRef, call
from bot.handlers.slack.blocks import cards
from bot.messages import DraftStatus
from storage import conversations, cursors, drafts
from storage.engine import Database
from storage.records import DraftView

log = logging.getLogger(__name__)
CHANNEL_CURSOR = "slack:owner_channel"
BURST_WINDOW = timedelta(minutes=10)
CARDS_BEFORE_BURST = 2  # a second question is a card of its own; a third one waiting is a burst


class SlackOwnerDesk:
    """Posts cards to the owner channel and keeps one thread per customer conversation."""

    def __init__(self, client: AsyncWebClient, db: Database, clock: Clock, channel: str,
                 intents: Sequence[str]) -> None:
        self.client, self._db, self._clock = client, db, clock
        self._channel, self._intents = channel, tuple(intents)
        # The channel's id: given in the profile, or learnt from Slack's answer to our first card
        # (the profile may name it "#socialdesk") and remembered across restarts.
        self._channel_id: str | None = channel if channel[:1] in ("C", "G") and channel.isalnum() else None

    async def is_owner_channel(self, channel_id: str | None) -> bool:
        if channel_id is None:
            return False
        if self._channel_id is None:
            async with self._db.session() as session:
                self._channel_id = await cursors.get(session, CHANNEL_CURSOR)
        return channel_id == self._channel_id

    async def post_draft(self, view: DraftView) -> str:
        async with self._db.session() as session:
            conversation = await conversations.get_conversation(session, view.draft.conversation_id)
        thread = MessageRef.parse(conversation.owner_thread)
        if view.draft.status == DraftStatus.FORWARDED:
            text, blocks = f"{cards.escape(view.customer_name)} wrote again", cards.forwarded(view)
        else:
            merged = await self._into_burst(view)
            if merged is not None:
                return merged
            text, blocks = cards.notification(view), cards.card(view, self._intents)
        ref = await self.post(text, blocks, thread, broadcast=view.draft.status != DraftStatus.FORWARDED)
        if thread is None:
            async with self._db.session() as session:
                await conversations.set_owner_thread(session, conversation.id, str(ref))
        return str(ref)

    async def _into_burst(self, view: DraftView) -> str | None:
        """A message held while two cards of the conversation still wait (a burst, a flood): the latest
        card says "N more messages" instead of a new card each. Its reference, or None for a new card."""
        now = self._clock.now()
        async with self._db.session() as session:
            head = await drafts.burst_card(session, view.draft.conversation_id, now - BURST_WINDOW, view.draft.id,
                                           CARDS_BEFORE_BURST)
            if head is None:
                return None
            more = await drafts.merge_into(session, view.draft.id, head, now)
            head_view = await drafts.draft_view(session, head.id)
        ref = MessageRef.parse(head.owner_card)
        if head_view is None or ref is None:
            return None
        burst = cards.Burst(more, view.customer_text)
        await call(self.client.chat_update(channel=ref.channel, ts=ref.ts, text=cards.notification(head_view),
                                           blocks=cards.card(head_view, self._intents, burst)))
        return str(ref)

    async def post_note(self, text: str, conversation_id: int | None = None) -> str | None:
        """A notice in the conversation's thread (nothing when the conversation never reached Slack),
        or in the owner channel when it concerns no conversation."""
        if conversation_id is None:
            return str(await self.post(cards.escape(text), cards.note(cards.escape(text))))
        async with self._db.session() as session:
            conversation = await conversations.get_conversation(session, conversation_id)
        thread = MessageRef.parse(conversation.owner_thread)
        if thread is None:
            return None
        return str(await self.post(cards.escape(text), cards.note(cards.escape(text)), thread))

    async def post(self, text: str, blocks: list[dict[str, object]], thread: MessageRef | None = None,
                   broadcast: bool = False) -> MessageRef:
        """Post to the owner channel, or into a conversation's thread (also shown in the channel if broadcast)."""
        extra: dict[str, object] = {}
        if thread is not None:
            extra = {"thread_ts": thread.ts, "reply_broadcast": broadcast}
        try:
            response = await call(self.client.chat_postMessage(
                channel=thread.channel if thread else self._channel, text=text, blocks=blocks, **extra))
        except Unreachable as exc:
            # The bot is not in the owner channel yet: keep the card and retry once the owner invites it.
            raise ChannelError(f"{exc} (owner channel {self._channel})") from None
        await self._learn_channel(str(response["channel"]))
        return MessageRef(str(response["channel"]), str(response["ts"]))

    async def _learn_channel(self, channel_id: str) -> None:
        if channel_id != self._channel_id:
            self._channel_id = channel_id
            async with self._db.session() as session:
                await cursors.put(session, CHANNEL_CURSOR, channel_id, self._clock.now())

    async def update_card(self, draft_id: int, outcome: str, clicked: MessageRef | None = None) -> None:
        """Replace a card's buttons with what happened to it (the clicked card, or the one we posted)."""
        async with self._db.session() as session:
            view = await drafts.draft_view(session, draft_id)
        ref = clicked or MessageRef.parse(view.draft.owner_card if view else None)
        if view is None or ref is None:
            return
        await call(self.client.chat_update(channel=ref.channel, ts=ref.ts, text=cards.notification(view),
                                           blocks=cards.closed_card(view, outcome)))

    async def tell(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        """A message only `user` sees (a refusal, a hint)."""
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        await call(self.client.chat_postEphemeral(channel=channel, user=user, text=text, **extra))


@dataclass(frozen=True)
class SlackDesk:
    """Everything Slack in one process: the owner desk (Web API) and the Bolt app that receives."""

    bolt: AsyncApp
    desk: SlackOwnerDesk

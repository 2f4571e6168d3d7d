"""What happens when an owner clicks, submits a modal or replies in a thread in the owner's Slack.

Every listener acknowledges first (Slack wants an answer within 3 seconds) and then does the work.
Approvals decides who may act and makes two clicks have one effect; this module only translates.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.clock import Clock
from bot.errors import ChannelError, NotAllowed
from bot.handlers.slack.api import MessageRef
from bot.handlers.slack.blocks import cards
from bot.handlers.slack.owner_desk import SlackOwnerDesk
from bot.platforms import plain_text
from bot.messages import DraftStatus
from bot.owner import Approvals, Outcome
from storage import conversations, desk_stats, drafts
from storage.engine import Database

log = logging.getLogger(__name__)
ONLY_APPROVERS = "Only approvers can do this. Ask the owner to add your Slack user id to owner.approvers."
NOTE_PREFIX = "note:"
Body = Mapping[str, Any]
Ack = Callable[..., Awaitable[Any]]


def contained(listener: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Log a listener's failure instead of raising it: Slack already has its answer, and an error
    raised after ack() would make Bolt drop that answer."""

    @functools.wraps(listener)
    async def run(*args: Any, **kwargs: Any) -> None:
        try:
            await listener(*args, **kwargs)
        except Exception:
            log.exception("Slack listener %s failed", getattr(listener, "__name__", listener))

    return run


class OwnerListeners:
    def __init__(self, desk: SlackOwnerDesk, approvals: Approvals, db: Database, clock: Clock,
                 wake: Callable[[], None] | None = None) -> None:
        self._desk, self._approvals, self._db, self._clock, self._wake = desk, approvals, db, clock, wake

    def register(self, bolt: AsyncApp) -> None:
        for action_id, listener in ((cards.SEND, self.send), (cards.REJECT, self.reject), (cards.EDIT, self.open_edit),
                                    (cards.REPLY, self.open_reply), (cards.TAKE_OVER, self.take_over),
                                    (cards.TEACH, self.teach), (cards.HAND_BACK, self.hand_back)):
            bolt.action(action_id)(contained(listener))
        bolt.view(cards.EDIT_MODAL)(contained(self.edit_submitted))
        bolt.view(cards.REPLY_MODAL)(contained(self.reply_submitted))

    async def send(self, ack: Ack, body: Body) -> None:
        await ack()
        draft_id = _value(body)
        await self._on_draft(body, draft_id, lambda user: self._approvals.send(draft_id, user))

    async def reject(self, ack: Ack, body: Body) -> None:
        await ack()
        draft_id = _value(body)
        await self._on_draft(body, draft_id, lambda user: self._approvals.reject(draft_id, user))

    async def take_over(self, ack: Ack, body: Body) -> None:
        await ack()
        draft_id, user = _value(body), body["user"]["id"]
        async with self._db.session() as session:
            draft = await drafts.get_draft(session, draft_id)
        if draft is None:
            return
        others = [d for d in await self._pending(draft.conversation_id) if d != draft_id]
        if await self._allowed(body, lambda: self._approvals.take_over(draft.conversation_id, user)):
            line = f":raising_hand: Taken over by <@{user}> {cards.when(self._clock.now())}"
            await self._desk.update_card(draft_id, line, _clicked_card(body))
            await self._close_cards(others, line)
            await self._post_in_thread(draft.conversation_id, "taken over", cards.taken_over(draft.conversation_id, user))

    async def hand_back(self, ack: Ack, body: Body) -> None:
        await ack()
        conversation_id, user = _value(body), body["user"]["id"]
        if await self._allowed(body, lambda: self._approvals.hand_back(conversation_id, user)):
            await self._post_in_thread(conversation_id, "handed back", cards.note(
                f":robot_face: <@{user}> handed this conversation back to the bot {cards.when(self._clock.now())}."))

    async def teach(self, ack: Ack, body: Body) -> None:
        await ack()
        draft_id, _, intent = str(body["actions"][0]["selected_option"]["value"]).partition(":")
        chosen = None if intent == cards.OUT_OF_SCOPE else intent
        user = body["user"]["id"]
        outcome = await self._allowed(body, lambda: self._approvals.teach(int(draft_id), user, chosen))
        if outcome:
            await self._tell(body, f":mortar_board: {outcome.message}. The bot learns it at the next training.")

    async def open_edit(self, ack: Ack, body: Body) -> None:
        await ack()
        draft_id = _value(body)
        async with self._db.session() as session:
            view = await drafts.draft_view(session, draft_id)
        if view is not None:
            await self._open_modal(body, cards.text_modal(cards.EDIT_MODAL, "Edit & send", "Send", {"draft_id": draft_id},
                                                          plain_text(view.platform, view.draft.text)))

    async def open_reply(self, ack: Ack, body: Body) -> None:
        await ack()
        await self._open_modal(body, cards.text_modal(cards.REPLY_MODAL, "Reply", "Send", {"draft_id": _value(body)}))

    async def edit_submitted(self, ack: Ack, body: Body, view: Body) -> None:
        text = await _submitted_text(ack, view)
        if text is None:
            return
        draft_id = int(json.loads(view["private_metadata"])["draft_id"])
        await self._on_draft(body, draft_id, lambda user: self._approvals.send(draft_id, user, text))

    async def reply_submitted(self, ack: Ack, body: Body, view: Body) -> None:
        text = await _submitted_text(ack, view)
        if text is None:
            return
        draft_id, user = int(json.loads(view["private_metadata"])["draft_id"]), body["user"]["id"]
        async with self._db.session() as session:
            draft = await drafts.get_draft(session, draft_id)
        if draft is None:
            return
        reply = lambda: self._approvals.reply(draft.conversation_id, user, text, reply_key=f"slack-view:{view['id']}")
        if await self._allowed(body, reply):
            await self._desk.update_card(draft_id, f":speech_balloon: Answered by <@{user}> "
                                                   f"{cards.when(self._clock.now())}:\n{cards.escape(text)}")

    async def thread_reply(self, event: Body) -> bool:
        """A message in the owner channel. True when it was in a conversation's thread (and so handled here)."""
        thread_ts, channel, user = event.get("thread_ts"), event.get("channel"), event.get("user")
        if not thread_ts or thread_ts == event.get("ts") or not user or event.get("subtype") or event.get("bot_id"):
            return False
        async with self._db.session() as session:
            conversation = await conversations.find_by_owner_thread(session, f"{channel}:{thread_ts}")
        if conversation is None:
            return False
        text = str(event.get("text") or "").strip()
        if text and not text.lower().startswith(NOTE_PREFIX):
            await self._answer_in_thread(conversation.id, event, text)
        return True

    async def _answer_in_thread(self, conversation_id: int, event: Body, text: str) -> None:
        user, channel = str(event["user"]), str(event["channel"])
        waiting = await self._pending(conversation_id)
        try:
            outcome = await self._approvals.reply(conversation_id, user, text, reply_key=f"slack:{channel}:{event['ts']}")
        except NotAllowed:
            await self._desk.tell(channel, user, ONLY_APPROVERS, thread_ts=str(event["thread_ts"]))
            return
        self._woken()
        if outcome.done:
            await self._close_cards(waiting, f":speech_balloon: Answered in the thread by <@{user}> {cards.when(self._clock.now())}")

    async def _pending(self, conversation_id: int) -> list[int]:
        async with self._db.session() as session:
            return await desk_stats.pending_draft_ids(session, conversation_id)

    async def _close_cards(self, draft_ids: list[int], line: str) -> None:
        for draft_id in draft_ids:
            await self._desk.update_card(draft_id, line)

    async def _on_draft(self, body: Body, draft_id: int, act: Callable[[str], Awaitable[Outcome]]) -> None:
        user = body["user"]["id"]
        outcome = await self._allowed(body, lambda: act(user))
        if outcome is None:
            return
        async with self._db.session() as session:
            draft = await drafts.get_draft(session, draft_id)
        if draft is not None and draft.status != DraftStatus.PENDING:
            await self._desk.update_card(draft_id, cards.status_line(draft), _clicked_card(body))
        if not outcome.done:
            await self._tell(body, f"Nothing done: {outcome.message}.")

    async def _allowed(self, body: Body, act: Callable[[], Awaitable[Outcome]]) -> Outcome | None:
        """Run an owner action; refuse non-approvers with a message only they see."""
        try:
            outcome = await act()
        except NotAllowed:
            await self._tell(body, ONLY_APPROVERS)
            return None
        self._woken()
        return outcome

    async def _open_modal(self, body: Body, modal: dict[str, Any]) -> None:
        try:
            self._approvals.check(body["user"]["id"])
        except NotAllowed:
            await self._tell(body, ONLY_APPROVERS)
            return
        await self._desk.client.views_open(trigger_id=body["trigger_id"], view=modal)

    async def _post_in_thread(self, conversation_id: int, text: str, blocks: list[dict[str, Any]]) -> None:
        async with self._db.session() as session:
            conversation = await conversations.get_conversation(session, conversation_id)
        await self._desk.post(text, blocks, MessageRef.parse(conversation.owner_thread))

    async def _tell(self, body: Body, text: str) -> None:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        try:
            if channel:
                await self._desk.tell(channel, body["user"]["id"], text)
        except ChannelError:
            log.warning("could not show a message to the owner", exc_info=True)

    def _woken(self) -> None:
        if self._wake is not None:
            self._wake()


async def _submitted_text(ack: Ack, view: Body) -> str | None:
    """The text typed in a reply modal, acknowledged; None (the modal shows why) when it is empty."""
    text = cards.modal_text(view.get("state", {}))
    if not text:
        await ack(response_action="errors", errors={cards.TEXT_BLOCK: "Write the reply to send."})
        return None
    await ack()
    return text


def _value(body: Body) -> int:
    return int(body["actions"][0]["value"])


def _clicked_card(body: Body) -> MessageRef | None:
    """The message whose button was clicked (None for a modal submission)."""
    container = body.get("container") or {}
    if container.get("type") != "message" or not container.get("message_ts"):
        return None
    return MessageRef(str(container["channel_id"]), str(container["message_ts"]))

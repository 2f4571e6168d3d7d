"""Block Kit for the owner's Slack: draft and escalation cards, modals. Pure: data in, blocks out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.handlers.slack.blocks.kit import Block, button, context, escape, section
from bot.platforms import display_name, plain_text
from bot.messages import DraftStatus
from storage.records import DraftRecord, DraftView

SEND, EDIT, REJECT, TAKE_OVER = "sd_send", "sd_edit", "sd_reject", "sd_take_over"
REPLY, TEACH, HAND_BACK = "sd_reply", "sd_teach", "sd_hand_back"
EDIT_MODAL, REPLY_MODAL, TEXT_BLOCK, TEXT_INPUT = "sd_edit_modal", "sd_reply_modal", "sd_text", "sd_text_input"
OUT_OF_SCOPE = "__out_of_scope__"





def draft_text(platform: str, text: str) -> str:
    """A draft as mrkdwn. Slack drafts are rendered escaped already; Telegram drafts are HTML, shown as the
    customer will read them; every other platform's draft is plain text."""
    if platform == "slack":
        return text
    return escape(plain_text(platform, text))


def notification(view: DraftView) -> str:
    """The message's `text`: Slack shows it in notifications and parses it as mrkdwn too."""
    return escape(title(view))


def when(moment: datetime) -> str:
    """A time every viewer sees in their own zone."""
    stamp = int(moment.timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{moment.isoformat(timespec='minutes')}>"





def _who(view: DraftView) -> str:
    name = escape(view.customer_name)
    handle = f" ({escape(view.customer_handle)})" if view.customer_handle else ""
    where = display_name(view.platform)
    said = f"<{view.message_link}|said>" if view.message_link else "said"
    return f"*{name}*{handle} on {where} {said}:"


def _summary(view: DraftView) -> list[Block]:
    draft = view.draft
    intent = f"{draft.intent} ({draft.confidence:.0%})" if draft.intent else "out of scope"
    reasons = "; ".join(escape(r) for r in draft.reasons) or "no reason recorded"
    blocks = [section(f"{_who(view)}\n>{escape(view.customer_text)}"),
              context(f"Intent: {intent} · Held because: {reasons}")]
    if draft.text:
        blocks.append(section(f"*Draft reply:*\n{draft_text(view.platform, draft.text)}"))
    return blocks


def title(view: DraftView) -> str:
    if view.draft.action == "escalate":
        return f"{view.customer_name} needs you ({display_name(view.platform)})"
    return f"Draft reply to {view.customer_name} waiting for approval"


@dataclass(frozen=True, slots=True)
class Burst:
    """Messages held soon after the card's own, shown on it instead of on cards of their own."""

    more: int
    latest: str


def card(view: DraftView, intents: Sequence[str], burst: Burst | None = None) -> list[Block]:
    """The card for a held draft (Send / Edit & send / Reject / Take over) or an escalation."""
    value = str(view.draft.id)
    if view.draft.action == "escalate":
        buttons = [button("Reply", REPLY, value, "primary"), button("Take over", TAKE_OVER, value),
                   _teach_select(value, intents)]
    else:
        buttons = [button("Send", SEND, value, "primary"), button("Edit & send", EDIT, value),
                   button("Reject", REJECT, value, "danger"), button("Take over", TAKE_OVER, value)]
    extra = [_burst(burst)] if burst else []
    return [section(f":speech_balloon: *{escape(title(view))}*"), *_summary(view), *extra,
            {"type": "actions", "block_id": f"draft:{value}", "elements": buttons}]


def _burst(burst: Burst) -> Block:
    plural = "message" if burst.more == 1 else "messages"
    return section(f":heavy_plus_sign: *{burst.more} more {plural}* from them since, the latest:\n"
                    f">{escape(burst.latest[:300])}\nReply or Take over to answer them all.")


def _teach_select(value: str, intents: Sequence[str]) -> Block:
    options = [{"text": {"type": "plain_text", "text": name[:75]}, "value": f"{value}:{name}"} for name in intents]
    options.append({"text": {"type": "plain_text", "text": "out of scope"}, "value": f"{value}:{OUT_OF_SCOPE}"})
    return {"type": "static_select", "action_id": TEACH, "options": options[:100],
            "placeholder": {"type": "plain_text", "text": "Teach: it was…"}}


def closed_card(view: DraftView, outcome: str) -> list[Block]:
    """The card after someone acted: what happened, by whom, when; no buttons left."""
    return [section(f"*{escape(title(view))}*"), *_summary(view), context(outcome)]


def forwarded(view: DraftView) -> list[Block]:
    """A new message in a conversation a person owns: shown in its thread, no draft."""
    return [section(f"{_who(view)}\n>{escape(view.customer_text)}"),
            context("You have this conversation: reply in this thread to answer (start with `note:` to keep it internal).")]


def note(text: str) -> list[Block]:
    return [section(text)]


def taken_over(conversation_id: int, actor: str) -> list[Block]:
    return [section(f"<@{actor}> took this conversation over; the bot stays quiet. Reply in this thread to answer "
                     "the customer (start with `note:` to keep a message internal)."),
            {"type": "actions", "block_id": f"conversation:{conversation_id}",
             "elements": [button("Hand back to the bot", HAND_BACK, str(conversation_id))]}]


def text_modal(callback_id: str, title_text: str, submit: str, metadata: dict[str, Any], initial: str = "") -> Block:
    """A modal with one multi-line text box (Edit & send, Reply)."""
    element: Block = {"type": "plain_text_input", "action_id": TEXT_INPUT, "multiline": True}
    if initial:
        element["initial_value"] = initial[:3000]
    return {"type": "modal", "callback_id": callback_id, "private_metadata": json.dumps(metadata),
            "title": {"type": "plain_text", "text": title_text[:24]},
            "submit": {"type": "plain_text", "text": submit}, "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": [{"type": "input", "block_id": TEXT_BLOCK, "element": element,
                        "label": {"type": "plain_text", "text": "Message to the customer"}}]}


def modal_text(view_state: dict[str, Any]) -> str:
    """The text typed into a text_modal, from a view_submission's `view.state`."""
    values = view_state.get("values", {}).get(TEXT_BLOCK, {}).get(TEXT_INPUT, {})
    return str(values.get("value") or "").strip()


_VERBS = {DraftStatus.APPROVED: ":white_check_mark: Sent", DraftStatus.EDITED: ":pencil2: Edited and sent",
          DraftStatus.REJECTED: ":no_entry_sign: Rejected",
          DraftStatus.SUPERSEDED: ":raising_hand: Answered another way",
          DraftStatus.MERGED: ":heavy_plus_sign: Shown on the conversation's earlier card",
          DraftStatus.FORWARDED: ":raising_hand: Forwarded", DraftStatus.AUTO: ":robot_face: Sent by the bot"}


def status_line(draft: DraftRecord) -> str:
    """What happened to a draft, by whom and when, for a closed card."""
    verb = _VERBS.get(draft.status, f"Now {draft.status}")
    who = f" by <@{draft.decided_by}>" if draft.decided_by and draft.decided_by != "socialdesk" else ""
    at = f" {when(draft.decided_at)}" if draft.decided_at else ""
    line = f"{verb}{who}{at}"
    if draft.status == DraftStatus.EDITED and draft.final_text:
        line += f"\n*Sent instead:* {escape(draft.final_text)}"  # what the owner typed: raw text
    return line

"""The console: talk to the bot as a customer, and act as the owner on held drafts, in one terminal.

`socialdesk chat` (and `socialdesk run` when no other owner desk is set up) uses it. Everything goes
through the router, the database and the outbox exactly as on any other platform.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Collection
from typing import TextIO

from bot.clock import Clock
from bot.messages import DraftStatus, Inbound, Outbound, Sender
from bot.outbox import OutboxWorker
from bot.platforms import display_name
from bot.owner import Approvals, Outcome
from bot.router import Router
from storage.records import DraftView

HELP = """commands: /drafts  /approve [#id]  /edit [#id] <text>  /reject [#id]  (no id: the oldest waiting draft)
          /label [#id] <intent|out-of-scope>  /reply [#conversation] <text>  /takeover [#conversation]
          /handback [#conversation]  /help  /quit
anything else is a message from you, the customer"""
OUT_OF_SCOPE_LABELS = ("out-of-scope", "out_of_scope", "oos", "none")


class ShellChannel:
    """The customer side: replies are printed."""

    platform = "shell"

    def __init__(self, out: TextIO, business_name: str) -> None:
        self._out, self._name = out, business_name
        self._ids = itertools.count(1)

    async def start(self, deliver: object) -> None:
        return None

    async def send(self, outbound: Outbound) -> str:
        print(f"{self._name}: {outbound.text}", file=self._out, flush=True)
        return f"shell-out-{time.time_ns()}-{next(self._ids)}"

    async def stop(self) -> None:
        return None


class ConsoleDesk:
    """The owner side when Slack is not set up: held drafts and escalations are printed as cards.

    Without a terminal (`socialdesk worker`, a Procfile), the output is the log stream: cards then name
    the draft and who wrote, never the customer's words, and point to `socialdesk chat`."""

    def __init__(self, out: TextIO, *, show_text: bool = True) -> None:
        self._out, self._show_text = out, show_text

    async def post_draft(self, view: DraftView) -> str:
        draft = view.draft
        if not self._show_text:
            print(f"  [owner] draft #{draft.id} waits for you: {view.customer_name} on {display_name(view.platform)} "
                  f"({draft.intent or 'out of scope'}); see it with /drafts in `socialdesk chat`", file=self._out, flush=True)
            return f"console:{draft.id}"
        if draft.status == DraftStatus.FORWARDED:
            print(f"  [owner] {view.customer_name} wrote again (you have this conversation): {view.customer_text}",
                  file=self._out, flush=True)
            return f"console:{draft.id}"
        label = "needs your approval" if draft.action == "approve" else "needs you"
        intent = f"{draft.intent} ({draft.confidence:.2f})" if draft.intent else "out of scope"
        lines = [
            f"  [owner] draft #{draft.id} {label}: {view.customer_name} on {display_name(view.platform)}",
            f"          they said: {view.customer_text}",
            f"          intent: {intent}",
            f"          why held: {'; '.join(draft.reasons)}",
            f"          draft: {draft.text or '(none)'}",
            f"          /approve {draft.id}, /edit #{draft.id} <text>, /reject {draft.id} or /takeover {draft.conversation_id}",
        ]
        print("\n".join(lines), file=self._out, flush=True)
        return f"console:{draft.id}"

    async def post_note(self, text: str, conversation_id: int | None = None) -> str | None:
        """A notice that needs no decision: about one conversation, or for the owner in general."""
        where = f"conversation #{conversation_id}" if conversation_id is not None else "note"
        print(f"  [owner] {where}: {text}", file=self._out, flush=True)
        return f"console-note:{time.time_ns()}"


class Console:
    """A conversation in the terminal: customer lines go to the router, /commands are owner actions."""

    def __init__(self, router: Router, approvals: Approvals, worker: OutboxWorker, clock: Clock, out: TextIO,
                 *, customer: str = "Alex", intents: Collection[str] = (),
                 retrain: Callable[[], Awaitable[object]] | None = None) -> None:
        self._router, self._approvals, self._worker = router, approvals, worker
        self._clock, self._out, self._customer = clock, out, customer
        self._intents, self._retrain = frozenset(intents), retrain
        self._run_id = f"{time.time_ns():x}"
        self._counter = itertools.count(1)
        self._last_answer: int | None = None  # any draft, sent alone or held: what /label corrects
        self._conversation: int | None = None

    async def run(self, lines: AsyncIterable[str]) -> None:
        async for line in lines:
            if not await self.say(line):
                return

    async def say(self, line: str) -> bool:
        """Handle one line; False when the user asked to quit."""
        text = line.strip()
        if not text:
            return True
        if text.startswith("/"):
            return await self._command(text)
        handled = await self._router.handle(self._inbound(text))
        self._last_answer = handled.draft_id or self._last_answer
        self._conversation = handled.conversation_id or self._conversation
        await self._worker.drain()
        return True

    def _inbound(self, text: str) -> Inbound:
        number = next(self._counter)
        return Inbound(platform="shell", kind="dm", external_id=f"{self._run_id}-{number}",
                       thread_key=f"console:{self._customer}", sender=Sender(f"console:{self._customer}", self._customer.title()),
                       text=text, received_at=self._clock.now())

    async def _command(self, text: str) -> bool:
        name, _, argument = text.partition(" ")
        argument = argument.strip()
        if name in ("/quit", "/exit"):
            return False
        if name == "/help":
            self._print(HELP)
            return True
        if name == "/drafts":
            await self._list_drafts()
            return True
        outcome = await self._owner_action(name, argument)
        self._print(f"  [owner] {outcome.message}")
        await self._worker.drain()
        return True

    async def _owner_action(self, name: str, argument: str) -> Outcome:
        actor = "console"
        if name in ("/takeover", "/handback"):
            conversation = _number(argument) or self._conversation
            if conversation is None:
                return Outcome(False, f"usage: {name} #conversation (the number /drafts shows)")
            action = self._approvals.take_over if name == "/takeover" else self._approvals.hand_back
            return await action(conversation, actor)
        if name == "/reply":
            which, text = _draft_and_text(argument)
            conversation = _number(which or "") or self._conversation
            if conversation is None or not text:
                return Outcome(False, "usage: /reply [#conversation] <your words to the customer>")
            return await self._approvals.reply(conversation, actor, text)
        if name == "/edit":
            which, text = _draft_and_text(argument)
            if not text:
                return Outcome(False, "usage: /edit [#id] <the reply to send>")
            return await self._on_draft(which, lambda d: self._approvals.send(d, actor, text))
        if name == "/approve":
            return await self._on_draft(argument, lambda d: self._approvals.send(d, actor))
        if name == "/reject":
            return await self._on_draft(argument, lambda d: self._approvals.reject(d, actor))
        if name == "/label":
            return await self._label(argument, actor)
        return Outcome(False, f"unknown command {name}; /help lists them")

    async def _label(self, argument: str, actor: str) -> Outcome:
        """`/label contact` or `/label #3 out-of-scope`: what the last (or named) message really was."""
        which, label = _draft_and_text(argument)
        if not label:
            return Outcome(False, "usage: /label [#id] <intent|out-of-scope>")
        intent = None if label.lower() in OUT_OF_SCOPE_LABELS else label
        if intent is not None and self._intents and intent not in self._intents:
            return Outcome(False, f"no intent called {intent}; one of: {', '.join(sorted(self._intents))}, out-of-scope")
        draft_id = int(which.lstrip("#")) if which else self._last_answer
        if draft_id is None:
            return Outcome(False, "no message to label yet")
        outcome = await self._approvals.teach(draft_id, actor, intent)
        if outcome.done and self._retrain is not None:
            await self._retrain()
            return Outcome(True, f"{outcome.message}; learnt it")
        return outcome

    async def _on_draft(self, argument: str | None, action: Callable[[int], Awaitable[Outcome]]) -> Outcome:
        """The draft named, or else the oldest one waiting: the first line /drafts shows."""
        draft_id = _number(argument or "")
        if draft_id is None:
            waiting = await self._approvals.waiting(limit=1)
            draft_id = waiting[0].draft_id if waiting else None
        if draft_id is None:
            return Outcome(False, "no draft is waiting")
        return await action(draft_id)

    async def _list_drafts(self) -> None:
        waiting = await self._approvals.waiting()
        if not waiting:
            self._print("  [owner] no drafts waiting")
        for draft in waiting:
            self._print(f"  [owner] #{draft.draft_id} {draft.customer_name} on {display_name(draft.platform)} "
                        f"(conversation #{draft.conversation_id}): {draft.customer_text}")

    def _print(self, text: str) -> None:
        print(text, file=self._out, flush=True)


def _number(argument: str) -> int | None:
    """ "#12" or "12" → 12; anything else → None."""
    text = argument.strip().lstrip("#")
    return int(text) if text.isdigit() else None


def _draft_and_text(argument: str) -> tuple[str | None, str]:
    """`/edit #12 the reply` names draft 12; `/edit the reply` means the draft shown last."""
    first, _, rest = argument.partition(" ")
    if first.startswith("#") and first[1:].isdigit():
        return first, rest.strip()
    return None, argument

"""`socialdesk eval replies`: the owner's own regression test of what the bot would do with real messages.

Each case is a message and what should happen to it: an intent name (the bot should answer it alone with
that intent), `hold` (it must reach the owner), or the name of a silent intent such as `spam` (it should be
ignored). Every message goes through the real router, with the business profile, as a new customer on the
console channel, against a throwaway SQLite file. Shares are percentages 0–100 of all messages.
"""

from __future__ import annotations

import csv
import itertools
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.app import App, build_app
from bot.clock import Clock
from bot.errors import DataError
from bot.events.profile_sync import sync_profile_events
from bot.messages import Action, Inbound, Sender
from bot.settings import Settings
from storage import drafts

HOLD = "hold"
RIGHT, WRONG, HELD, SILENCED = "right", "wrong", "held", "silenced"


@dataclass(frozen=True, slots=True)
class ReplyCase:
    text: str
    expected: str


@dataclass(frozen=True, slots=True)
class ReplyResult:
    text: str
    expected: str
    action: str
    intent: str | None
    confidence: float
    reply: str
    verdict: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplyReport:
    results: tuple[ReplyResult, ...]
    unknown_expected: tuple[str, ...] = ()

    def share(self, verdict: str, rows: Sequence[ReplyResult] | None = None) -> float:
        rows = self.results if rows is None else rows
        return round(100.0 * sum(r.verdict == verdict for r in rows) / len(rows), 2) if rows else 0.0

    @property
    def mistakes(self) -> list[ReplyResult]:
        return [r for r in self.results if r.verdict != RIGHT]

    def as_dict(self) -> dict[str, object]:
        routine = [r for r in self.results if r.expected != HOLD]
        holds = [r for r in self.results if r.expected == HOLD]
        return {
            "messages": len(self.results),
            "unknown_expected": list(self.unknown_expected),
            "answered_right": self.share(RIGHT),
            "answered_wrong": self.share(WRONG),
            "held": self.share(HELD),
            "silenced": self.share(SILENCED),
            "routine_answered_right": self.share(RIGHT, routine),
            "holds_kept": self.share(RIGHT, holds),
            "results": [asdict(r) for r in self.results],
        }


def load_cases(path: Path) -> list[ReplyCase]:
    """Rows of `text,expected`; a blank or missing column names the file and line."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"text", "expected"} <= set(reader.fieldnames):
                raise DataError(f"{path}: needs the columns text,expected")
            cases = []
            for line, row in enumerate(reader, start=2):
                text, expected = (row.get("text") or "").strip(), (row.get("expected") or "").strip()
                if not text or not expected:
                    raise DataError(f"{path}:{line}: both text and expected are needed")
                cases.append(ReplyCase(text, expected))
    except FileNotFoundError:
        raise DataError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read: {exc}") from None
    if not cases:
        raise DataError(f"{path}: no cases")
    return cases


def unknown_expected(cases: Sequence[ReplyCase], known: set[str]) -> tuple[str, ...]:
    """Expected names that are neither `hold` nor an intent of the profile (a typo, or an intent not yet added):
    their messages can only be held or answered wrong."""
    return tuple(sorted({c.expected for c in cases} - known - {HOLD}))


def verdict(expected: str, action: Action, intent: str | None, silent_intents: set[str]) -> str:
    if expected == HOLD:
        if action in (Action.APPROVE, Action.ESCALATE):
            return RIGHT
        return WRONG if action is Action.AUTO else SILENCED
    if expected in silent_intents:
        if action is Action.SILENT:
            return RIGHT
        return WRONG if action is Action.AUTO else HELD
    if action is Action.AUTO:
        return RIGHT if intent == expected else WRONG
    return SILENCED if action is Action.SILENT else HELD


async def evaluate_replies(cases: Sequence[ReplyCase], profile_path: Path, *, backend: str | None = None,
                           clock: Clock | None = None, progress: Callable[[], None] | None = None) -> ReplyReport:
    """Run every case through a freshly built bot on a throwaway database."""
    with tempfile.TemporaryDirectory(prefix="socialdesk-eval-") as folder:
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{Path(folder) / 'eval.db'}",
                            socialdesk_config=str(profile_path), log_level="WARNING")
        app = await build_app(settings, profile_path=profile_path, clock=clock, backend=backend)
        try:
            unknown = unknown_expected(cases, set(app.profile.active_intents()))
            if app.events is not None:
                await sync_profile_events(app.events, app.profile)
            results = [await _one(app, case, index, progress) for index, case in enumerate(cases)]
        finally:
            await app.close()
    return ReplyReport(tuple(results), unknown)


_ids = itertools.count(1)


async def _one(app: App, case: ReplyCase, index: int, progress: Callable[[], None] | None) -> ReplyResult:
    customer = f"eval:{index}:{next(_ids)}"  # a new customer every time: no history, no repeats
    inbound = Inbound(platform="shell", kind="dm", external_id=customer, thread_key=customer,
                      sender=Sender(customer, "Alex Customer", None), text=case.text, received_at=app.clock.now())
    handled = await app.router.handle(inbound)
    assert handled.decision is not None and handled.draft_id is not None  # a new external id is never a duplicate
    async with app.db.session() as session:
        record = await drafts.get_draft(session, handled.draft_id)
    intent = handled.intent
    silent = {name for name, spec in app.profile.active_intents().items() if spec.silent}
    name = intent.name if intent else None
    if progress is not None:
        progress()
    return ReplyResult(case.text, case.expected, handled.decision.action.value, name,
                       round(intent.confidence, 3) if intent else 0.0, record.text if record else "",
                       verdict(case.expected, handled.decision.action, name, silent), handled.decision.reasons)

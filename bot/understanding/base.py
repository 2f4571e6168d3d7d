"""The classifier interface, its inputs, and what its confidence means.

Confidence, for the trained classifiers here, is a *rank*, not a raw probability. While
training, every example is scored by a model that did not see it (cross-validation); the
message's score is placed among those held-out scores, giving `rank` in [0, 1]: the
fraction of genuine in-scope messages the model was less sure about. Because the rank is
measured against the business's own examples, a threshold means the same whether an
intent has 10 examples or 100.

The rank is mapped to `confidence` so that the out-of-scope gate sits at exactly
`OUT_OF_SCOPE_BELOW` (0.5): below it the message is out of scope (`Intent.name` is None),
from it upwards the confidence rises linearly to 1.0. `DEFAULT_AUTO_THRESHOLD` (0.6) is
the policy's default bar for answering without the owner: with the shipped gates it lets
through roughly the most confident 60–75 % of genuine in-scope messages and very little
that is out of scope. Keyword rules give confidence 1.0, or just 0.5 when the model reads the
message as another intent (in scope, but for the owner to see first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.messages import Intent, LabelledExample

__all__ = ["Classifier", "IntentSpec", "LabelledExample"]

OUT_OF_SCOPE_BELOW = 0.5
DEFAULT_AUTO_THRESHOLD = 0.6
# Intents that ride along with a question ("hi, ... thanks!") rather than ask something of their own.
PLEASANTRIES = frozenset({"greeting", "thanks"})


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """One owner-defined intent: example phrases, keyword/regex rules that win where they match, and near
    misses: messages close to it that its reply does not answer ("change my booking" for booking)."""

    name: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()


class Classifier(Protocol):
    def classify(self, text: str) -> Intent: ...


def rank_to_confidence(rank: float, gate: float) -> float:
    """Map a held-out rank to a confidence whose out-of-scope gate is OUT_OF_SCOPE_BELOW."""
    rank = min(1.0, max(0.0, rank))
    if gate <= 0.0:
        return OUT_OF_SCOPE_BELOW + (1.0 - OUT_OF_SCOPE_BELOW) * rank
    if rank < gate:
        return OUT_OF_SCOPE_BELOW * rank / gate
    if gate >= 1.0:
        return 1.0
    return OUT_OF_SCOPE_BELOW + (1.0 - OUT_OF_SCOPE_BELOW) * (rank - gate) / (1.0 - gate)

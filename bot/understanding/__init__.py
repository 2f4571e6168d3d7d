"""Understanding: which intent a customer message has, with a calibrated confidence, or out of scope.

The public surface is small: `IntentSpec` and `LabelledExample` in, a `Classifier` out, whose
`classify(text)` returns our `Intent`. Policy, not the classifier, owns the auto-send threshold;
`DEFAULT_AUTO_THRESHOLD` is the default it may use (base.py says what confidence means).
"""

from bot.understanding.base import (
    DEFAULT_AUTO_THRESHOLD,
    OUT_OF_SCOPE_BELOW,
    Classifier,
    IntentSpec,
    LabelledExample,
)
from bot.understanding.classifier import IntentClassifier
from bot.understanding.training import BACKENDS, train_classifier

__all__ = [
    "BACKENDS",
    "DEFAULT_AUTO_THRESHOLD",
    "OUT_OF_SCOPE_BELOW",
    "Classifier",
    "IntentClassifier",
    "IntentSpec",
    "LabelledExample",
    "train_classifier",
]

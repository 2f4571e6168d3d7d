"""Understanding: which intent a customer message has, with a calibrated confidence, or out of scope.

The public surface is small: `IntentSpec` and `LabelledExample` in, a `Classifier` out, whose
`classify(text)` returns our `Intent`. Policy, not the classifier, owns the auto-send threshold.
"""

from bot.understanding.base import Classifier, IntentSpec, LabelledExample
from bot.understanding.training import train_classifier

__all__ = ["Classifier", "IntentSpec", "LabelledExample", "train_classifier"]

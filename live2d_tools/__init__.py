"""Live2D Cubism model tools: pure (no DB, no network, no printing).

``validate(path)`` checks a model folder, model3.json or zip against the rule table (``rules.RULES``) and
returns a :class:`Report`; ``generate_model`` writes a valid fixture model; ``resolve_emotions`` maps the
seven TinyTalk emotions to motions.
"""

from .emotions import EMOTIONS, EmotionEntry, EmotionMap, resolve_emotions
from .generate import build_zip, generate_model
from .report import VALIDATOR_VERSION, Finding, ModelInfo, Report
from .rules import RULES, Rule
from .validate import validate

__all__ = [
    "EMOTIONS",
    "RULES",
    "VALIDATOR_VERSION",
    "EmotionEntry",
    "EmotionMap",
    "Finding",
    "ModelInfo",
    "Report",
    "Rule",
    "build_zip",
    "generate_model",
    "resolve_emotions",
    "validate",
]

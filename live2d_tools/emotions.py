"""TinyTalk's seven emotions and how a Cubism model declares them (docs/live2d.md "Emotions").

A model declares an emotion in one of two ways, checked in this order:

1. a mapping file ``tinytalk.emotions.json`` beside the model3.json::

       {"idle": {"group": "Idle", "index": 0},
        "praise": {"group": "TapBody", "index": 1, "expression": "smile"},
        "thinking": "Thinking"}                       # a bare string = that group, index 0

2. a motion group named after the emotion, compared case-insensitively (``"Idle"``, ``"SPEAKING"``), index 0.

The mapping file wins where both exist, so an artist can re-point one emotion without renaming groups.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "EMOTIONS",
    "MAPPING_FILE",
    "EmotionEntry",
    "EmotionMap",
    "load_mapping",
    "resolve_emotions",
]

EMOTIONS: tuple[str, ...] = ("idle", "listening", "thinking", "speaking", "praise", "review", "error")
MAPPING_FILE = "tinytalk.emotions.json"


@dataclass(frozen=True)
class EmotionEntry:
    """Where one emotion's motion lives: ``Motions[group][index]`` (file as written in model3.json)."""

    emotion: str
    group: str
    index: int
    file: str
    expression: str | None = None
    source: str = "group"  # "group" (matched by name) or "mapping" (from tinytalk.emotions.json)

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "index": self.index,
            "file": self.file,
            "expression": self.expression,
            "source": self.source,
        }


@dataclass
class EmotionMap:
    """The resolved emotions plus, for each one that did not resolve, the reason in plain words."""

    entries: dict[str, EmotionEntry] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    mapping_file: str | None = None
    mapping_error: str | None = None

    @property
    def complete(self) -> bool:
        return all(e in self.entries for e in EMOTIONS)

    @property
    def missing(self) -> list[str]:
        return [e for e in EMOTIONS if e not in self.entries]

    def as_tuples(self) -> dict[str, tuple[str, int, str, str | None]]:
        return {e: (x.group, x.index, x.file, x.expression) for e, x in self.entries.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping_file": self.mapping_file,
            "mapping_error": self.mapping_error,
            "emotions": {e: (self.entries[e].to_dict() if e in self.entries else None) for e in EMOTIONS},
            "problems": dict(self.problems),
        }


def load_mapping(model_dir: Path) -> tuple[dict[str, Any] | None, str | None]:
    """Read ``tinytalk.emotions.json`` beside the model3.json: ``(mapping or None, error or None)``."""
    path = model_dir / MAPPING_FILE
    if not path.is_file():
        return None, None
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, f"{MAPPING_FILE} is not valid JSON ({exc})"
    if not isinstance(raw, dict):
        return None, f"{MAPPING_FILE} must be a JSON object mapping emotion names to motions"
    return raw, None


def _motions(model3: Mapping[str, Any]) -> dict[str, list[Any]]:
    refs = model3.get("FileReferences")
    motions = refs.get("Motions") if isinstance(refs, Mapping) else None
    if not isinstance(motions, Mapping):
        return {}
    return {str(k): v for k, v in motions.items() if isinstance(v, list)}


def _expressions(model3: Mapping[str, Any]) -> set[str]:
    refs = model3.get("FileReferences")
    exps = refs.get("Expressions") if isinstance(refs, Mapping) else None
    if not isinstance(exps, list):
        return set()
    return {e["Name"] for e in exps if isinstance(e, Mapping) and isinstance(e.get("Name"), str)}


def _entry_file(entry: Any) -> str | None:
    if isinstance(entry, Mapping) and isinstance(entry.get("File"), str):
        return str(entry["File"])
    return None


def resolve_emotions(
    model: Mapping[str, Any] | Path | str,
    *,
    mapping: Mapping[str, Any] | None = None,
    mapping_file: str | None = None,
) -> EmotionMap:
    """Resolve the seven emotions of a model.

    ``model`` is a parsed model3.json object, or the path of a model3.json (then the mapping file beside it
    is read unless ``mapping`` is given).
    """
    result = EmotionMap(mapping_file=mapping_file)
    if not isinstance(model, Mapping):
        path = Path(model)
        try:
            model3 = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError):
            model3 = {}
        if not isinstance(model3, dict):
            model3 = {}
        if mapping is None:
            mapping, result.mapping_error = load_mapping(path.parent)
            if mapping is not None or result.mapping_error:
                result.mapping_file = MAPPING_FILE
    else:
        model3 = dict(model)
    motions = _motions(model3)
    by_lower: dict[str, str] = {}
    for name in motions:
        by_lower.setdefault(name.lower(), name)
    expressions = _expressions(model3)
    mapping = mapping or {}
    lowered = {str(k).lower(): v for k, v in mapping.items()}
    for emotion in EMOTIONS:
        spec = lowered.get(emotion)
        if spec is not None:
            _resolve_mapped(result, emotion, spec, motions, expressions)
            continue
        group = by_lower.get(emotion)
        if group is None:
            result.problems[emotion] = f"no motion group named '{emotion}' (any case) and no entry in {MAPPING_FILE}"
            continue
        if not motions[group]:
            result.problems[emotion] = f"motion group '{group}' is empty"
            continue
        file = _entry_file(motions[group][0])
        if file is None:
            result.problems[emotion] = f"motion group '{group}' entry 0 has no File"
            continue
        result.entries[emotion] = EmotionEntry(emotion, group, 0, file, None, "group")
    return result


def _resolve_mapped(
    result: EmotionMap,
    emotion: str,
    spec: Any,
    motions: dict[str, list[Any]],
    expressions: set[str],
) -> None:
    if isinstance(spec, str):
        spec = {"group": spec}
    if not isinstance(spec, Mapping) or not isinstance(spec.get("group"), str):
        result.problems[emotion] = (
            f'{MAPPING_FILE}: \'{emotion}\' must be a group name or {{"group": ..., "index": ...}}'
        )
        return
    group = str(spec["group"])
    index = spec.get("index", 0)
    expression = spec.get("expression")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        result.problems[emotion] = f"{MAPPING_FILE}: '{emotion}'.index must be a whole number >= 0"
        return
    if group not in motions:
        result.problems[emotion] = (
            f"{MAPPING_FILE}: '{emotion}' points at motion group '{group}', which model3.json does not have"
        )
        return
    if index >= len(motions[group]):
        result.problems[emotion] = (
            f"{MAPPING_FILE}: '{emotion}' points at {group}[{index}] but the group has {len(motions[group])} motion(s)"
        )
        return
    if expression is not None and (not isinstance(expression, str) or expression not in expressions):
        result.problems[emotion] = (
            f"{MAPPING_FILE}: '{emotion}' uses expression {expression!r}, "
            "which model3.json Expressions does not declare"
        )
        return
    file = _entry_file(motions[group][index])
    if file is None:
        result.problems[emotion] = f"motion {group}[{index}] has no File"
        return
    result.entries[emotion] = EmotionEntry(emotion, group, index, file, expression, "mapping")

"""One verdict on a model, shared by ``live2d validate`` and ``live2d preview`` (docs/live2d.md "Preview").

An *error* is what :func:`live2d_tools.validate` (default options, i.e. ``tinytalk live2d validate``) reports
as an error, so the preview's summary card and ``validate`` always show the same count. Of those errors, the
ones that could crash or break the Cubism Core (an unreadable or inconsistent moc3, a file the Core loads
missing or malformed, a texture index past the texture list, ...) *block* rendering: the Core aborts on bad
input. Mapping problems (EMO-*: TinyTalk emotions not mapped yet) never block: an artist previews an export
precisely in order to map its emotions, so the preview renders what resolves and names what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .emotions import EMOTIONS
from .report import Finding, Report

__all__ = ["MAPPING_RULE_PREFIX", "Verdict", "verdict"]

MAPPING_RULE_PREFIX = "EMO-"


@dataclass(frozen=True)
class Verdict:
    """The validation report plus what the preview may give to the Core."""

    report: Report

    @property
    def errors(self) -> list[Finding]:
        """Every error, exactly as ``validate`` counts them."""
        return self.report.errors

    @property
    def blocking(self) -> list[Finding]:
        """Errors that keep the model away from the Core (all errors except emotion-mapping ones)."""
        return [f for f in self.report.errors if not f.rule_id.startswith(MAPPING_RULE_PREFIX)]

    @property
    def emotions(self) -> Mapping[str, tuple[str, int, str, str | None]]:
        """Resolved emotions: ``{emotion: (group, index, file, expression)}``."""
        return self.report.model.emotions

    @property
    def missing_emotions(self) -> list[str]:
        return [e for e in EMOTIONS if e not in self.report.model.emotions]

    @property
    def renderable(self) -> bool:
        m = self.report.model
        return not self.blocking and m.format == "cubism3" and bool(m.entry)

    @property
    def why_not(self) -> str | None:
        """None when renderable, else one line naming the first blocking problem."""
        if self.renderable:
            return None
        if self.report.model.format == "cubism2":
            return "a Cubism 2 model (model.json + .moc) cannot be rendered by the Cubism Core"
        if not self.blocking:
            return "no model3.json found"
        first = self.blocking[0]
        more = f" (and {len(self.blocking) - 1} more)" if len(self.blocking) > 1 else ""
        return f"{first.rule_id} in {first.file or 'the model'}: {first.message}{more}"

    def to_dict(self) -> dict[str, Any]:
        summary = self.report.summary()
        return {
            "errors": summary["error"],
            "warnings": summary["warning"],
            "infos": summary["info"],
            "blocking": [f.to_dict() for f in self.blocking],
            "renderable": self.renderable,
            "missing_emotions": self.missing_emotions,
        }


def verdict(path: Path | str, **validate_options: Any) -> Verdict:
    """Validate ``path`` with the same defaults as ``live2d validate`` and return the shared verdict."""
    from .validate import validate

    return Verdict(validate(path, **validate_options))

"""The validation result: findings (rule id, severity, file, JSON pointer, message, hint) and model facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .rules import RULES, SEVERITIES, Severity

__all__ = ["VALIDATOR_VERSION", "Finding", "ModelInfo", "Report"]

VALIDATOR_VERSION = "1.0.0"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


@dataclass(frozen=True)
class Finding:
    """One problem, in plain words: ``file`` (relative to the model folder) and ``pointer`` say where."""

    rule_id: str
    severity: Severity
    file: str
    pointer: str
    message: str
    hint: str

    def to_dict(self) -> dict[str, str]:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "file": self.file,
            "pointer": self.pointer,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class ModelInfo:
    """What the validator learned about the model (format, moc3, counts, textures, motions, emotions)."""

    format: str | None = None  # "cubism3" (model3.json + moc3) or "cubism2" (model.json + .moc)
    entry: str | None = None
    moc_version: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    textures: list[dict[str, Any]] = field(default_factory=list)
    motions: dict[str, list[str]] = field(default_factory=dict)
    expressions: list[str] = field(default_factory=list)
    emotions: dict[str, tuple[str, int, str, str | None]] = field(default_factory=dict)
    lipsync_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "entry": self.entry,
            "moc_version": self.moc_version,
            "counts": dict(self.counts),
            "textures": list(self.textures),
            "motions": {k: list(v) for k, v in self.motions.items()},
            "expressions": list(self.expressions),
            "emotions": {
                e: {"group": g, "index": i, "file": f, "expression": x} for e, (g, i, f, x) in self.emotions.items()
            },
            "lipsync_ids": list(self.lipsync_ids),
        }


@dataclass
class Report:
    """All findings for one model. ``ok``: no errors; ``ok_strict``: no errors and no warnings."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    model: ModelInfo = field(default_factory=ModelInfo)

    def _of(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self._of("error")

    @property
    def warnings(self) -> list[Finding]:
        return self._of("warning")

    @property
    def infos(self) -> list[Finding]:
        return self._of("info")

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def ok_strict(self) -> bool:
        return not self.errors and not self.warnings

    @property
    def rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.findings}

    def summary(self) -> dict[str, int]:
        return {s: len(self._of(s)) for s in SEVERITIES}

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "validator_version": VALIDATOR_VERSION,
            "ok": self.ok,
            "ok_strict": self.ok_strict,
            "summary": self.summary(),
            "model": self.model.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_sarif(self) -> dict[str, Any]:
        """SARIF 2.1.0, one run; file URIs are relative to the model folder (``originalUriBaseIds``)."""
        used = sorted(self.rule_ids)
        index = {rid: i for i, rid in enumerate(used)}
        rules = [
            {
                "id": rid,
                "name": rid.replace("-", ""),
                "shortDescription": {"text": RULES[rid].title},
                "fullDescription": {"text": f"{RULES[rid].title} (source: {RULES[rid].source})"},
                "defaultConfiguration": {"level": _SARIF_LEVEL[RULES[rid].severity]},
                "helpUri": "docs/live2d-rules.md",
            }
            for rid in used
        ]
        results = []
        for f in self.findings:
            location: dict[str, Any] = {
                "physicalLocation": {"artifactLocation": {"uri": f.file or ".", "uriBaseId": "MODELROOT"}}
            }
            if f.pointer:
                location["logicalLocations"] = [{"name": f.pointer, "kind": "member"}]
            results.append(
                {
                    "ruleId": f.rule_id,
                    "ruleIndex": index[f.rule_id],
                    "level": _SARIF_LEVEL[f.severity],
                    "message": {"text": f"{f.message} Fix: {f.hint}" if f.hint else f.message},
                    "locations": [location],
                    "properties": {"pointer": f.pointer, "hint": f.hint},
                }
            )
        return {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "tinytalk-live2d-validate",
                            "version": VALIDATOR_VERSION,
                            "informationUri": "https://docs.live2d.com/",
                            "rules": rules,
                        }
                    },
                    "originalUriBaseIds": {"MODELROOT": {"description": {"text": self.path}}},
                    "results": results,
                }
            ],
        }

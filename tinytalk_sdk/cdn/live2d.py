"""Validate → publish for Live2D models: the composition ``tinytalk live2d publish`` calls.

Publishing never ships a model with validation errors: :func:`publish_live2d` always runs
:func:`live2d_tools.validate.validate` first (``emotions=True`` when the caller will register the model)
and raises :class:`ValidationError` carrying every error finding. A ``.zip`` is extracted safely into a
temporary folder (the validator's zip rules) and published from there.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import PublishError, ValidationError
from ._base import Backend
from .publish import PublishProgress, PublishResult, publish

if TYPE_CHECKING:
    from live2d_tools.report import Report

__all__ = ["Live2DPublish", "character_code_for", "emotions_for_manifest", "publish_live2d"]


@dataclass
class Live2DPublish:
    result: PublishResult
    report: dict[str, Any]  # the validation report (Report.to_dict())

    def to_dict(self) -> dict[str, Any]:
        return {**self.result.to_dict(), "validation": self.report["summary"],
                "validator_version": self.report.get("validator_version")}


def character_code_for(model3: str) -> str:
    """``Hiyori.model3.json`` → ``hiyori``: the default character code."""
    name = Path(model3).name
    stem = name[: -len(".model3.json")] if name.lower().endswith(".model3.json") else Path(name).stem
    code = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem.lower()).strip("-_")
    return code or "character"


def emotions_for_manifest(report: Report, model_root: Path, entry: str) -> dict[str, dict[str, Any]]:
    """emotion → {group, index, file, expression, expression_file}, paths relative to the model folder."""
    model_file = model_root / entry
    entry_dir = Path(entry).parent.as_posix()
    prefix = "" if entry_dir in ("", ".") else entry_dir + "/"
    expression_files: dict[str, str] = {}
    try:
        model3 = json.loads(model_file.read_bytes().decode("utf-8-sig"))
        for exp in (model3.get("FileReferences") or {}).get("Expressions") or []:
            if isinstance(exp, dict) and isinstance(exp.get("Name"), str) and isinstance(exp.get("File"), str):
                expression_files[exp["Name"]] = exp["File"]
    except (OSError, ValueError, AttributeError):
        pass
    out: dict[str, dict[str, Any]] = {}
    for emotion, (group, index, file, expression) in report.model.emotions.items():
        exp_file = expression_files.get(expression) if expression else None
        out[emotion] = {
            "group": group,
            "index": index,
            "file": prefix + file,
            "expression": expression,
            "expression_file": prefix + exp_file if exp_file else None,
        }
    return out


def publish_live2d(
    backend: Backend,
    path: Path,
    *,
    character: str | None = None,
    require_emotions: bool = False,
    max_moc_version: int | None = None,
    version: str | None = None,
    dry_run: bool = False,
    verify: bool = False,
    max_workers: int = 4,
    progress: Callable[[PublishProgress], None] | None = None,
    wait: float | None = None,
) -> Live2DPublish:
    """Validate ``path`` (folder, model3.json or zip), refuse errors, then publish it to ``backend``."""
    from live2d_tools.validate import validate

    path = Path(path)
    try:
        report = validate(path, emotions=require_emotions, max_moc_version=max_moc_version)
    except FileNotFoundError as exc:
        raise ValidationError(str(exc)) from None
    data = report.to_dict()
    if not report.ok:
        first = report.errors[0]
        raise ValidationError(
            f"{path}: {len(report.errors)} validation error(s), nothing published "
            f"(first: {first.rule_id} {first.file}{first.pointer}: {first.message})",
            errors=[f.to_dict() for f in report.errors],
            hint=f"run `tinytalk live2d validate {path}{' --emotions' if require_emotions else ''}` for all of them",
        )
    entry = report.model.entry
    if not entry or report.model.format not in (None, "cubism3"):
        raise PublishError(f"{path}: only Cubism 3+ models (model3.json + moc3) are published")

    def run(root: Path) -> Live2DPublish:
        model_root = (root / entry).parent
        rel_entry = Path(entry).name
        emotions = emotions_for_manifest(report, model_root, rel_entry)
        result = publish(
            backend,
            model_root,
            character=character or character_code_for(rel_entry),
            version=version,
            name=rel_entry[: -len(".model3.json")] if rel_entry.lower().endswith(".model3.json") else None,
            model_file=rel_entry,
            moc_version=report.model.moc_version,
            emotions=emotions,
            validator_version=str(data.get("validator_version")),
            max_workers=max_workers,
            dry_run=dry_run,
            verify=verify,
            progress=progress,
            wait=wait,
        )
        return Live2DPublish(result, data)

    if path.is_dir():
        return run(path)
    if path.name.lower().endswith(".json"):
        return run(path.parent)
    from live2d_tools.ziputil import safe_extract

    with tempfile.TemporaryDirectory(prefix="tinytalk-publish-") as tmp:
        problems = safe_extract(path, Path(tmp))
        if problems:
            raise ValidationError(f"{path}: {problems[0].message}", errors=[p.__dict__ for p in problems])
        return run(Path(tmp))

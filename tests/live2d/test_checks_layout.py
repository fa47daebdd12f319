"""The Live2D checks by file kind: every kind module is under both import contracts, and validate keeps its names."""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path
from typing import Any

import live2d_tools.checks

ROOT = Path(__file__).resolve().parents[2]
KINDS = sorted(
    p.stem for p in Path(live2d_tools.checks.__file__).parent.glob("*.py") if not p.stem.startswith("_")
)


def _contracts() -> dict[str, dict[str, Any]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["type"] + ":" + c["name"]: c for c in data["tool"]["importlinter"]["contracts"]}


def test_every_kind_module_is_in_both_contracts() -> None:
    contracts = _contracts()
    independence = [c for k, c in contracts.items() if k.startswith("independence:Live2D checks")]
    layers = [c for k, c in contracts.items() if k.startswith("layers:") and "live2d_tools.checks._core" in c["layers"]]
    assert len(independence) == 1 and len(layers) == 1
    expected = {f"live2d_tools.checks.{k}" for k in KINDS}
    assert set(independence[0]["modules"]) == expected
    middle = layers[0]["layers"][1]
    assert {m.strip() for m in middle.split("|")} == expected
    assert layers[0]["layers"] == ["live2d_tools.validate", middle, "live2d_tools.checks._core"]


def test_each_kind_module_has_a_check_entry() -> None:
    assert len(KINDS) == 12
    for kind in KINDS:
        module = importlib.import_module(f"live2d_tools.checks.{kind}")
        assert callable(getattr(module, "check", None)), kind


def test_validate_keeps_its_public_names() -> None:
    from live2d_tools.validate import BOMB_PIXELS, MAX_FINDINGS_PER_RULE_AND_FILE, Finding, Report, validate

    validate_module = sys.modules["live2d_tools.validate"]
    assert validate_module.__all__ == ["Finding", "Report", "validate"]
    assert (MAX_FINDINGS_PER_RULE_AND_FILE, BOMB_PIXELS) == (50, 16384 * 16384)
    assert callable(validate) and Finding.__name__ == "Finding" and Report.__name__ == "Report"

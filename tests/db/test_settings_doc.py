"""docs/settings.md lists every known setting with its type, default and allowed values."""

from __future__ import annotations

from pathlib import Path

from tinytalk_sdk.settings import KNOWN_SETTINGS

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_every_known_setting_is_documented() -> None:
    rows = {
        line.split("|")[1].strip().strip("`"): [c.strip() for c in line.split("|")[2:5]]
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    }
    assert set(rows) == set(KNOWN_SETTINGS)
    for key, spec in KNOWN_SETTINGS.items():
        value_type, default, allowed = rows[key]
        stored = spec.dump(spec.default)
        assert value_type == spec.value_type, key
        assert default == (f"`{stored}`" if stored is not None else "(unset)"), key
        assert allowed.replace("\\|", "|") == spec.allowed(), key

"""How a model declares TinyTalk's seven emotions (groups named after them and/or tinytalk.emotions.json)."""

from __future__ import annotations

import json
from pathlib import Path

from live2d_tools import EMOTIONS, resolve_emotions, validate


def _model3(groups: list[str]) -> dict[str, object]:
    return {
        "FileReferences": {
            "Motions": {g: [{"File": f"{g}.motion3.json"}, {"File": f"{g}_b.motion3.json"}] for g in groups},
            "Expressions": [{"Name": "smile", "File": "s.exp3.json"}],
        }
    }


def test_groups_match_case_insensitively() -> None:
    emap = resolve_emotions(_model3(["IDLE", "listening", "Thinking", "SpeaKing", "praise", "Review", "ERROR"]))
    assert emap.complete and emap.missing == []
    assert emap.entries["speaking"].group == "SpeaKing" and emap.entries["speaking"].index == 0
    assert emap.entries["idle"].source == "group"


def test_mapping_file_wins_and_supports_index_expression_and_shorthand() -> None:
    mapping = {"Idle": {"group": "TapBody", "index": 1, "expression": "smile"}, "thinking": "TapBody"}
    emap = resolve_emotions(_model3(["Idle", "TapBody", "Thinking"]), mapping=mapping)
    assert emap.entries["idle"].to_dict() == {
        "group": "TapBody",
        "index": 1,
        "file": "TapBody_b.motion3.json",
        "expression": "smile",
        "source": "mapping",
    }
    assert emap.entries["thinking"].group == "TapBody" and emap.entries["thinking"].index == 0
    assert set(emap.missing) == {"listening", "speaking", "praise", "review", "error"}
    assert "no motion group named 'speaking'" in emap.problems["speaking"]


def test_unresolvable_mapping_entries_explain_why() -> None:
    mapping = {
        "idle": {"group": "Nope"},
        "listening": {"group": "Idle", "index": 5},
        "thinking": {"group": "Idle", "expression": "grin"},
        "speaking": {"group": "Idle", "index": -1},
        "praise": 42,
    }
    emap = resolve_emotions(_model3(["Idle"]), mapping=mapping)
    assert "does not have" in emap.problems["idle"]
    assert "has 2 motion(s)" in emap.problems["listening"]
    assert "'grin'" in emap.problems["thinking"]
    assert "whole number" in emap.problems["speaking"]
    assert "must be a group name" in emap.problems["praise"]


def test_resolve_from_path_reads_the_mapping_file(live2d_model: Path) -> None:
    emap = resolve_emotions(live2d_model)
    assert emap.mapping_file == "tinytalk.emotions.json" and list(emap.entries) == list(EMOTIONS)
    assert emap.to_dict()["emotions"]["error"]["expression"] == "frown"


def test_plain_validate_passes_any_correct_export_and_lists_emotions(live2d_model: Path) -> None:
    (live2d_model.parent / "tinytalk.emotions.json").unlink()
    m3 = json.loads(live2d_model.read_text())
    motions = m3["FileReferences"]["Motions"]
    m3["FileReferences"]["Motions"] = {"Idle": motions["Idle"], "TapBody": motions["Praise"] + motions["Error"]}
    live2d_model.write_text(json.dumps(m3))
    plain = validate(live2d_model.parent)
    assert plain.ok_strict
    info = next(f for f in plain.findings if f.rule_id == "EMO-005")
    assert "idle→Idle[0]" in info.message and "missing: listening, thinking, speaking" in info.message
    strict = validate(live2d_model.parent, emotions=True)
    missing = sorted(f.message.split("'")[1] for f in strict.errors if f.rule_id == "EMO-001")
    assert missing == sorted(["listening", "thinking", "speaking", "praise", "review", "error"])

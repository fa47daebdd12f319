"""validate → publish → register: refusal of invalid models, and the DB rows --register writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tinytalk_sdk import ValidationError
from tinytalk_sdk.cdn import open_backend, publish_live2d, read_manifest
from tinytalk_sdk.characters_registry import DEFAULT_PUBLIC_URL, register_published_character

if TYPE_CHECKING:
    from sqlalchemy import Engine

EMOTIONS = ("idle", "listening", "thinking", "speaking", "praise", "review", "error")


def test_publish_refuses_a_model_with_errors(model_dir: Path, tmp_path: Path) -> None:
    (model_dir / "Hiyori.moc3").unlink()
    backend = open_backend(f"file://{tmp_path / 'cdn'}")
    with pytest.raises(ValidationError) as info:
        publish_live2d(backend, model_dir)
    assert "nothing published" in str(info.value) and info.value.errors
    assert any(e["rule_id"] for e in info.value.errors)
    assert backend.list("") == []


def test_register_requires_all_emotions_when_asked(model_dir: Path, tmp_path: Path) -> None:
    model3 = model_dir / "Hiyori.model3.json"
    data = json.loads(model3.read_text())
    data["FileReferences"]["Motions"].pop("Review")
    model3.write_text(json.dumps(data))
    (model_dir / "tinytalk.emotions.json").unlink()
    (model_dir / "motions" / "review_00.motion3.json").unlink()
    backend = open_backend(f"file://{tmp_path / 'cdn'}")
    # a plain publish is fine (the Live2D package is valid) …
    done = publish_live2d(backend, model_dir, character="hiyori")
    assert done.result.pointer_changed
    # … but one that will be registered needs all seven emotions
    with pytest.raises(ValidationError):
        publish_live2d(backend, model_dir, character="other", require_emotions=True)
    with pytest.raises(ValidationError, match="review"):
        register_published_character(None, read_manifest(backend, "hiyori"))  # type: ignore[arg-type]


def test_register_writes_character_and_seven_emotions(engine: Engine, model_dir: Path, tmp_path: Path) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tinytalk_sdk.db.models import AiCharacter, CharacterEmotion

    backend = open_backend(f"file://{tmp_path / 'cdn'}")
    first = publish_live2d(backend, model_dir, require_emotions=True, verify=True)
    assert first.result.character == "hiyori"
    manifest = read_manifest(backend, "hiyori")
    assert manifest["emotions"]["praise"]["expression_file"] == "expressions/smile.exp3.json"
    char_id = register_published_character(engine, manifest, DEFAULT_PUBLIC_URL)

    base = f"http://127.0.0.1:8787/assets/live2d/hiyori/v/{first.result.version}"
    with Session(engine) as s:
        row = s.scalars(select(AiCharacter).where(AiCharacter.code == "hiyori")).one()
        assert row.id == char_id and row.name == "Hiyori"
        assert row.model_url == f"{base}/Hiyori.model3.json"
        assert row.manifest_url == f"{base}/manifest.json"
        assert row.model_version == first.result.version and row.moc_version == manifest["moc_version"]
        emotions = {e.emotion: e for e in s.scalars(select(CharacterEmotion).where(
            CharacterEmotion.character_id == char_id))}
    assert sorted(emotions) == sorted(EMOTIONS)
    assert emotions["speaking"].motion_url == f"{base}/motions/speaking_00.motion3.json"
    assert emotions["speaking"].motion_group == "Speaking" and emotions["speaking"].loop
    assert emotions["praise"].expression == "smile" and not emotions["praise"].loop
    assert emotions["praise"].expression_url == f"{base}/expressions/smile.exp3.json"
    # every URL names a file that was published
    for e in emotions.values():
        assert e.motion_url is not None
        assert backend.exists(e.motion_url.split("/assets/live2d/", 1)[1])

    # a new version re-registers in place: same ids, new URLs
    ids = {k: v.id for k, v in emotions.items()}
    (model_dir / "Hiyori.cdi3.json").write_text((model_dir / "Hiyori.cdi3.json").read_text() + " ")
    second = publish_live2d(backend, model_dir, require_emotions=True)
    assert register_published_character(engine, read_manifest(backend, "hiyori"), "https://cdn.example/a/") == char_id
    with Session(engine) as s:
        again = {e.emotion: e for e in s.scalars(select(CharacterEmotion).where(
            CharacterEmotion.character_id == char_id))}
        again_row = s.get(AiCharacter, char_id)
        assert again_row is not None and again_row.model_version == second.result.version
    assert {k: v.id for k, v in again.items()} == ids
    assert again["idle"].motion_url == (
        f"https://cdn.example/a/hiyori/v/{second.result.version}/motions/idle_00.motion3.json"
    )

"""`tinytalk live2d publish | versions | rollback | prune | lipsync | preview` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_publish_republish_register_versions_rollback_prune(
    model_dir: Path, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from tinytalk_sdk.db.models import AiCharacter, CharacterEmotion

    monkeypatch.setenv("TINYTALK_DATABASE_URL", db_url)
    # --to defaults to file://<data dir>/cdn
    code, out, err = _run("live2d", "publish", str(model_dir), "--register", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["character"] == "hiyori" and first["verified"] and first["uploaded_bytes"] > 0
    cdn = isolated_env / "data" / "cdn"
    assert json.loads((cdn / "hiyori" / "current.json").read_text())["version"] == first["version"]
    with Session(engine) as s:
        char = s.scalars(select(AiCharacter).where(AiCharacter.code == "hiyori")).one()
        assert char.id == first["character_id"]
        assert char.model_url == (
            f"http://127.0.0.1:8787/assets/live2d/hiyori/v/{first['version']}/Hiyori.model3.json"
        )
        assert len(s.scalars(select(CharacterEmotion).where(CharacterEmotion.character_id == char.id)).all()) == 7

    code, out, err = _run("live2d", "publish", str(model_dir))
    assert code == 0, err
    assert "uploaded 0 file(s), 0 B (0 bytes)" in err and "already current" in err
    assert out.strip() == f"hiyori\t{first['version']}"

    (model_dir / "Hiyori.cdi3.json").write_text((model_dir / "Hiyori.cdi3.json").read_text() + "\n")
    code, out, _ = _run("live2d", "publish", str(model_dir), "--dry-run", "--json")
    plan = json.loads(out)
    assert code == 0 and plan["dry_run"] and plan["uploaded_files"] == 1 and plan["copied_files"] > 0
    code, out, _ = _run("live2d", "publish", str(model_dir), "--json")
    second = json.loads(out)
    assert second["uploaded_files"] == 1 and second["previous_version"] == first["version"]

    code, out, _ = _run("live2d", "versions", "hiyori", "--json")
    listed = json.loads(out)
    assert [v["version"] for v in listed] == [second["version"], first["version"]] and listed[0]["current"]
    code, out, _ = _run("live2d", "versions", "hiyori", "--csv")
    assert out.splitlines()[0] == "version,created_at,files,bytes,moc_version,current"

    code, out, _ = _run("live2d", "rollback", "hiyori", first["version"], "--json")
    assert code == 0 and json.loads(out)["changed"]
    code, _, err = _run("live2d", "rollback", "hiyori", "nope")
    assert code == 5 and "nope" in err

    code, out, _ = _run("live2d", "prune", "hiyori", "--keep", "1", "--json")
    # the newest is kept and the current one (rolled back to the first) is never deleted
    assert code == 0 and json.loads(out)["deleted"] == []

    assert _run("live2d", "rollback", "hiyori", second["version"])[0] == 0
    code, _, err = _run("live2d", "prune", "hiyori", "--keep", "1")
    assert code == 13  # no TTY and no --yes: refused, nothing deleted
    assert len(json.loads(_run("live2d", "versions", "hiyori", "--json")[1])) == 2
    code, out, _ = _run("live2d", "prune", "hiyori", "--keep", "1", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["deleted"] == [first["version"]]
    code, out, _ = _run("live2d", "prune", "hiyori", "--keep", "1", "--yes", "--json")
    assert code == 0 and json.loads(out)["deleted"] == [first["version"]]
    assert [v["version"] for v in json.loads(_run("live2d", "versions", "hiyori", "--json")[1])] == [
        second["version"]
    ]
    assert not (cdn / "hiyori" / "v" / first["version"]).exists()


def test_publish_refuses_invalid_model_with_findings(model_dir: Path, tmp_path: Path) -> None:
    (model_dir / "Hiyori.moc3").unlink()
    code, out, err = _run("live2d", "publish", str(model_dir), "--to", f"file://{tmp_path / 'cdn'}")
    assert code == 4 and out == ""
    assert "nothing published" in err and "REF-003" in err
    assert not (tmp_path / "cdn").exists()


def test_publish_to_bad_url_is_one_line(model_dir: Path) -> None:
    code, _, err = _run("live2d", "publish", str(model_dir), "--to", "ftp://example.com/x")
    assert code == 3 and "unsupported CDN URL" in err and "Traceback" not in err


def test_lipsync_and_preview_commands(model_dir: Path, tmp_path: Path) -> None:
    import shutil
    import subprocess

    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed")
    wav = tmp_path / "a.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "Good job, well done!"], check=True, capture_output=True)
    out_motion = model_dir / "motions" / "speaking_00.motion3.json"
    code, out, err = _run("live2d", "lipsync", str(wav), "--model", str(model_dir), "-o", str(out_motion), "--json")
    assert code == 0, err
    record = json.loads(out)
    assert record["parameters"] == ["ParamMouthOpenY"] and record["fps"] == 30
    code, _, err = _run("live2d", "validate", str(model_dir), "--emotions")
    assert code == 0, err

    code, out, err = _run("live2d", "preview", str(model_dir), "-o", str(tmp_path / "pv"), "--static", "--json")
    assert code == 0, err
    assert json.loads(out)["files"] == ["textures.png", "summary.png"]

"""`tinytalk smoke` leaves no orphan upload: the clip the server kept goes with the test user."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk.pipeline import remove_uploads


def test_smoke_leaves_no_orphan_upload_in_storage_report(isolated_env: Path) -> None:
    smoke = CliRunner().invoke(app, ["smoke", "--json"])
    assert smoke.exit_code == 0, smoke.output
    report = CliRunner().invoke(app, ["storage", "report", "--json"])
    assert report.exit_code == 0, report.output
    data = json.loads(report.stdout)
    assert data["orphan_files"]["count"] == 0 and data["totals"]["files"] == 0
    assert data["missing_files"]["count"] == 0  # the messages went with the user
    cleanup = next(s for s in json.loads(smoke.stdout)["stages"] if s["name"] == "cleanup")
    assert cleanup["detail"].endswith(", 1 uploaded clip(s) deleted")


def test_remove_uploads_deletes_only_the_named_files_inside_the_folder(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    (uploads / "2026" / "12").mkdir(parents=True)
    mine = uploads / "2026" / "12" / "a.wav"
    other = uploads / "2026" / "12" / "b.wav"
    outside = tmp_path / "secret.wav"
    for f in (mine, other, outside):
        f.write_bytes(b"RIFF")
    urls = ["http://127.0.0.1:1/uploads/2026/12/a.wav", "http://127.0.0.1:1/uploads/../secret.wav",
            "http://127.0.0.1:1/uploads/2026/12/gone.wav", "https://cdn.example/other/b.wav"]
    assert remove_uploads(urls, uploads) == 1
    assert not mine.exists() and other.exists() and outside.exists()
    assert remove_uploads(["http://x/uploads/2026/12/b.wav"], None) == 0 and other.exists()

"""versions / rollback / prune, and a publishing process killed mid-way."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tinytalk_sdk import NotFoundError, ValidationError
from tinytalk_sdk.cdn import Backend, current_version, prune, publish, read_manifest, rollback, versions

ROOT = Path(__file__).resolve().parents[2]


def _bump(model_dir: Path, n: int) -> None:
    """Change one motion so the model gets a new content version."""
    motion = model_dir / "motions" / "idle_00.motion3.json"
    data = json.loads(motion.read_text())
    data["Meta"]["FadeInTime"] = 0.5 + n / 100
    motion.write_text(json.dumps(data))


def _publish_three(backend: Backend, model_dir: Path) -> list[str]:
    out = []
    for n in range(3):
        _bump(model_dir, n)
        day = dt.datetime(2026, 1, 1 + n, tzinfo=dt.UTC)  # an injected clock orders the versions
        out.append(publish(backend, model_dir, character="hiyori", now=functools.partial(lambda d: d, day)).version)
    return out


def test_versions_rollback_prune(backend: Backend, model_dir: Path) -> None:
    v1, v2, v3 = _publish_three(backend, model_dir)
    listed = versions(backend, "hiyori")
    assert [v.version for v in listed] == [v3, v2, v1]
    assert [v.current for v in listed] == [True, False, False]
    assert listed[0].files == len(read_manifest(backend, "hiyori", v3)["files"])

    changed = rollback(backend, "hiyori", v1)
    assert changed == {"character": "hiyori", "previous_version": v3, "version": v1, "changed": True}
    assert current_version(backend, "hiyori") == v1
    with pytest.raises(NotFoundError):
        rollback(backend, "hiyori", "doesnotexist")

    plan = prune(backend, "hiyori", keep=1, dry_run=True)
    assert plan.dry_run and plan.deleted == [v2] and sorted(plan.kept) == sorted([v3, v1])
    assert len(versions(backend, "hiyori")) == 3  # dry run deleted nothing

    done = prune(backend, "hiyori", keep=1)
    assert done.deleted == [v2] and done.deleted_files > 0
    assert [v.version for v in versions(backend, "hiyori")] == [v3, v1]  # current (v1) never pruned
    assert backend.list(f"hiyori/v/{v2}") == []
    # the surviving versions are whole
    for v in (v1, v3):
        for f in read_manifest(backend, "hiyori", v)["files"]:
            assert backend.exists(f"hiyori/v/{v}/{f['path']}")
    with pytest.raises(ValidationError):
        prune(backend, "hiyori", keep=0)


def test_killed_publish_keeps_old_version_and_rerun_completes(
    backend_url: tuple[Backend, str], model_dir: Path, request: pytest.FixtureRequest
) -> None:
    backend, url = backend_url
    old = publish(backend, model_dir, character="hiyori")
    # a new version in which every file changes, so all of them must travel
    for path in sorted(model_dir.rglob("*.json")):
        path.write_text(path.read_text() + "\n")
    config: dict[str, str] = {}
    if url.startswith("sftp://"):
        config["sftp_key_file"] = str(request.getfixturevalue("sshd").key_file)
    if url.startswith("s3://"):
        config["s3_endpoint_url"] = request.getfixturevalue("s3").endpoint_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.live2d_publish._publish_child", url, str(model_dir),
         json.dumps(config)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )
    assert proc.stdout is not None and proc.stdin is not None
    done = []
    for line in proc.stdout:
        if line.startswith("done "):
            done.append(line.split(" ", 1)[1].strip())
        if len(done) == 3:
            # The child is blocked waiting for our go-ahead, so it is mid-publish for sure: no timing race.
            proc.send_signal(signal.SIGKILL)  # like a dropped connection: no cleanup runs
            break
        proc.stdin.write("go\n")
        proc.stdin.flush()
    proc.wait(timeout=10)
    proc.stdin.close()
    proc.stdout.close()
    assert proc.stderr is not None
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the child finished before it was killed"

    # The app still gets the old version, whole.
    assert current_version(backend, "hiyori") == old.version
    manifest = read_manifest(backend, "hiyori")
    assert manifest["version"] == old.version
    assert [v.version for v in versions(backend, "hiyori")] == [old.version]

    # Re-running completes, without sending again what the killed run already wrote.
    rerun = publish(backend, model_dir, character="hiyori", verify=True)
    assert rerun.version != old.version and current_version(backend, "hiyori") == rerun.version
    assert rerun.kept_files >= 3
    assert {i.path for i in rerun.items if i.action == "keep"} >= set(done)

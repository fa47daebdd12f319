"""Publishing on the three backends: layout, headers, 0-byte re-publish, changed files only, verify."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tinytalk_sdk import NotFoundError, PublishError, ValidationError
from tinytalk_sdk.cdn import (
    CACHE_IMMUTABLE,
    CACHE_POINTER,
    Backend,
    PublishProgress,
    content_type_for,
    current_version,
    publish,
    read_manifest,
    read_pointer,
)


def _publish(backend: Backend, model_dir: Path, **kw: object) -> object:
    return publish(backend, model_dir, character="hiyori", moc_version=4, **kw)  # type: ignore[arg-type]


def test_first_publish_writes_files_manifest_pointer(backend: Backend, model_dir: Path) -> None:
    events: list[PublishProgress] = []
    result = publish(backend, model_dir, character="hiyori", moc_version=4, verify=True,
                     emotions={"idle": {"group": "Idle", "index": 0}}, progress=events.append)
    local = sorted(p.relative_to(model_dir).as_posix() for p in model_dir.rglob("*") if p.is_file())
    assert result.uploaded_files == len(local)
    assert result.uploaded_bytes == sum((model_dir / p).stat().st_size for p in local)
    assert result.pointer_changed and result.manifest_written and result.verified
    assert sorted(e.path for e in events) == local and events[-1].done == len(local)

    prefix = f"hiyori/v/{result.version}"
    stored = backend.list("hiyori")
    assert stored == sorted([*(f"{prefix}/{p}" for p in local), f"{prefix}/manifest.json",
                             "hiyori/current.json"])
    for rel in local:
        assert backend.read(f"{prefix}/{rel}") == (model_dir / rel).read_bytes()
    manifest = read_manifest(backend, "hiyori")
    assert manifest["version"] == result.version and manifest["moc_version"] == 4
    assert manifest["model"] == "Hiyori.model3.json"
    assert manifest["emotions"]["idle"]["group"] == "Idle"
    by_path = {f["path"]: f for f in manifest["files"]}
    moc = (model_dir / "Hiyori.moc3").read_bytes()
    assert by_path["Hiyori.moc3"]["sha256"] == hashlib.sha256(moc).hexdigest()
    assert by_path["Hiyori.moc3"]["size"] == len(moc)
    pointer = read_pointer(backend, "hiyori")
    assert pointer is not None and pointer["version"] == result.version
    assert pointer["model"] == f"v/{result.version}/Hiyori.model3.json"


def test_unchanged_republish_uploads_zero_bytes(backend: Backend, model_dir: Path) -> None:
    first = publish(backend, model_dir, character="hiyori")
    before = {k: backend.read(k) for k in backend.list("hiyori")}
    again = publish(backend, model_dir, character="hiyori", verify=True)
    assert again.version == first.version
    assert again.uploaded_bytes == 0 and again.uploaded_files == 0 and again.copied_files == 0
    assert again.kept_files == len(first.items)
    assert not again.pointer_changed and not again.manifest_written
    assert {k: backend.read(k) for k in backend.list("hiyori")} == before  # nothing rewritten


def test_changed_model_uploads_only_changed_files(backend: Backend, model_dir: Path) -> None:
    first = publish(backend, model_dir, character="hiyori")
    motion = model_dir / "motions" / "idle_00.motion3.json"
    data = json.loads(motion.read_text())
    data["Meta"]["FadeInTime"] = 0.75
    motion.write_text(json.dumps(data))
    second = publish(backend, model_dir, character="hiyori", verify=True)
    assert second.version != first.version
    uploaded = [i.path for i in second.items if i.action == "upload"]
    assert uploaded == ["motions/idle_00.motion3.json"]
    assert second.uploaded_bytes == motion.stat().st_size
    assert second.copied_files == len(first.items) - 1
    assert current_version(backend, "hiyori") == second.version
    # the old version is intact (immutable), the new one complete
    old = read_manifest(backend, "hiyori", first.version)
    for f in old["files"]:
        blob = backend.read(f"hiyori/v/{first.version}/{f['path']}")
        assert hashlib.sha256(blob).hexdigest() == f["sha256"]
    assert backend.read(f"hiyori/v/{second.version}/Hiyori.moc3") == (model_dir / "Hiyori.moc3").read_bytes()


def test_dry_run_writes_nothing(backend: Backend, model_dir: Path) -> None:
    result = publish(backend, model_dir, character="hiyori", dry_run=True)
    assert result.dry_run and result.planned_upload_bytes > 0 and result.uploaded_bytes == 0
    assert all(i.action == "upload" for i in result.items)
    assert backend.list("") == []


def test_headers_per_extension(backend_url: tuple[Backend, str], model_dir: Path) -> None:
    backend, url = backend_url
    result = publish(backend, model_dir, character="hiyori")
    prefix = f"hiyori/v/{result.version}"
    expected = {
        "Hiyori.moc3": "application/octet-stream",
        "Hiyori.model3.json": "application/json",
        "Hiyori.256/texture_00.png": "image/png",
        "motions/idle_00.motion3.json": "application/json",
    }
    for rel, ctype in expected.items():
        info = backend.stat(f"{prefix}/{rel}")
        assert info is not None and info.content_type == ctype and info.cache_control == CACHE_IMMUTABLE
    pointer = backend.stat("hiyori/current.json")
    assert pointer is not None
    assert pointer.content_type == "application/json" and pointer.cache_control == CACHE_POINTER
    if url.startswith("s3://"):
        # S3 keeps the headers on the objects themselves: check them as a client sees them.
        import boto3

        raw = boto3.client("s3", endpoint_url=backend.url.split(" at ", 1)[1], region_name="us-east-1")
        bucket = url[len("s3://"):].split("/", 1)[0]
        head = raw.head_object(Bucket=bucket, Key=f"assets/live2d/{prefix}/Hiyori.moc3")
        assert head["ContentType"] == "application/octet-stream"
        assert head["CacheControl"] == CACHE_IMMUTABLE


@pytest.mark.parametrize(
    ("name", "ctype"),
    [("a.moc3", "application/octet-stream"), ("x.model3.json", "application/json"),
     ("t.PNG", "image/png"), ("s.wav", "audio/wav"), ("s.mp3", "audio/mpeg"), ("odd.bin", "application/octet-stream")],
)
def test_content_type_table(name: str, ctype: str) -> None:
    assert content_type_for(name) == ctype


def test_republishing_a_version_label_with_other_files_is_refused(backend: Backend, model_dir: Path) -> None:
    publish(backend, model_dir, character="hiyori", version="v1")
    (model_dir / "Hiyori.cdi3.json").write_text("{}")
    with pytest.raises(PublishError, match="immutable"):
        publish(backend, model_dir, character="hiyori", version="v1")


def test_bad_names_and_missing_versions(backend: Backend, model_dir: Path) -> None:
    with pytest.raises(ValidationError):
        publish(backend, model_dir, character="../etc")
    with pytest.raises(NotFoundError):
        read_manifest(backend, "hiyori")


def test_errors_name_the_backend_without_credentials(tmp_path: Path, model_dir: Path) -> None:
    from tinytalk_sdk.cdn import open_backend

    with pytest.raises(PublishError) as info:
        open_backend("sftp://deploy:hunter2secret@127.0.0.1:1/srv/cdn")
    assert "sftp://deploy@127.0.0.1:1/srv/cdn" in str(info.value)
    assert "hunter2secret" not in str(info.value)
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the CDN folder should be")
    backend = open_backend(f"file://{blocker}")
    with pytest.raises(PublishError) as info2:
        publish(backend, model_dir, character="hiyori")
    # the first write of a publish is the character's lease (issue 12): the error names that key
    assert str(blocker) in str(info2.value) and "'hiyori/.publish-lease'" in str(info2.value)

"""Issue 12, finding 7: concurrent publishes of one character. One lease per character, on every backend.

Publisher A is held mid-upload (its progress callback waits), publisher B starts meanwhile on its own
connection: B fails naming A's version, or with ``wait`` queues behind A and publishes after it.
"""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tinytalk_sdk import PublishError
from tinytalk_sdk._exceptions import PublishLeaseError
from tinytalk_sdk.cdn import Backend, PublishProgress, PublishResult, current_version, open_backend, publish
from tinytalk_sdk.cdn.lease import LeaseRecord, LeaseStore, acquire_lease, lease_key, read_lease


def _config(url: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if url.startswith("sftp://"):
        return {"sftp_key_file": str(request.getfixturevalue("sshd").key_file)}
    if url.startswith("s3://"):
        return {"s3_endpoint_url": request.getfixturevalue("s3").endpoint_url}
    return {}


@pytest.fixture
def other(backend_url: tuple[Backend, str], request: pytest.FixtureRequest) -> Iterator[Backend]:
    """A second, independent connection to the same backend root (the other publisher)."""
    url = backend_url[1]
    second = open_backend(url, _config(url, request))
    try:
        yield second
    finally:
        second.close()


@pytest.fixture
def changed_dir(model_dir: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "hiyori-b"
    shutil.copytree(model_dir, dest)
    (dest / "notes.txt").write_text("publisher B's version\n")
    return dest


class HeldPublish:
    """Publisher A in a thread, stopped after its first uploaded file until ``go()``."""

    def __init__(self, backend: Backend, model_dir: Path) -> None:
        self.started, self._go = threading.Event(), threading.Event()
        self.result: PublishResult | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(backend, model_dir), daemon=True)
        self._thread.start()
        assert self.started.wait(60), "publisher A never uploaded a file"

    def _progress(self, event: PublishProgress) -> None:
        if not self.started.is_set():
            self.started.set()
            assert self._go.wait(120)

    def _run(self, backend: Backend, model_dir: Path) -> None:
        try:
            self.result = publish(backend, model_dir, character="hiyori", max_workers=1, progress=self._progress)
        except BaseException as exc:
            self.error = exc
            self.started.set()

    def go(self) -> PublishResult:
        self._go.set()
        self._thread.join(120)
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def test_the_loser_fails_naming_the_winners_version(
    backend: Backend, other: Backend, model_dir: Path, changed_dir: Path
) -> None:
    a = HeldPublish(backend, model_dir)
    try:
        with pytest.raises(PublishLeaseError) as info:
            publish(other, changed_dir, character="hiyori")
    finally:
        won = a.go()
    err = info.value
    assert err.exit_code == 11 and err.version == won.version
    assert f"version {won.version}" in str(err) and "nothing was published" in str(err)
    assert err.hint and "--wait" in err.hint
    assert current_version(backend, "hiyori") == won.version
    assert read_lease(backend, "hiyori") is None  # released


def test_wait_queues_behind_the_holder(backend: Backend, other: Backend, model_dir: Path, changed_dir: Path) -> None:
    a = HeldPublish(backend, model_dir)
    queued: dict[str, Any] = {}

    def b() -> None:
        try:
            queued["result"] = publish(other, changed_dir, character="hiyori", wait=60)
        except BaseException as exc:
            queued["error"] = exc

    thread = threading.Thread(target=b, daemon=True)
    thread.start()
    thread.join(1.5)  # B is polling the lease now
    assert thread.is_alive() and not queued
    first = a.go()
    thread.join(120)
    assert "error" not in queued, queued.get("error")
    second: PublishResult = queued["result"]
    assert second.waited_for == first.version
    assert second.previous_version == first.version  # B planned after A's pointer swap, not before
    assert current_version(backend, "hiyori") == second.version != first.version


def _plant(backend: Backend, *, host: str, pid: int, expires: dt.datetime, version: str = "0ld") -> None:
    assert isinstance(backend, LeaseStore)
    now = dt.datetime.now(dt.UTC)
    record = LeaseRecord(f"{host}:{pid}:test", host, pid, "publish", version,
                         now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                         expires.isoformat(timespec="seconds").replace("+00:00", "Z"))
    assert backend.lease_create(lease_key("hiyori"), record.to_bytes()) is not None


def test_a_live_lease_of_another_host_blocks_and_an_expired_one_is_taken_over(
    backend: Backend, model_dir: Path
) -> None:
    future = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    _plant(backend, host="cdn-builder-2", pid=4242, expires=future)
    with pytest.raises(PublishLeaseError, match="cdn-builder-2:4242:test"):
        publish(backend, model_dir, character="hiyori")
    assert current_version(backend, "hiyori") is None

    # expired: taken over with a compare-and-swap, then released
    holder = read_lease(backend, "hiyori")
    assert holder is not None
    store = backend
    assert isinstance(store, LeaseStore)
    state = store.lease_read(lease_key("hiyori"))
    assert state is not None
    store.lease_delete(lease_key("hiyori"), state.token)
    _plant(backend, host="cdn-builder-2", pid=4242, expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    assert publish(backend, model_dir, character="hiyori").pointer_changed
    assert read_lease(backend, "hiyori") is None


def test_a_lease_of_a_dead_local_process_is_taken_over_at_once(backend: Backend, model_dir: Path) -> None:
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    _plant(backend, host=socket.gethostname(), pid=int(gone.stdout), expires=dt.datetime.now(dt.UTC)
           + dt.timedelta(minutes=10))
    assert publish(backend, model_dir, character="hiyori").pointer_changed


def test_two_contenders_for_an_expired_lease_never_both_win(backend: Backend, other: Backend) -> None:
    _plant(backend, host="elsewhere", pid=1, expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5))
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def contend(b: Backend) -> None:
        barrier.wait()
        try:
            lease = acquire_lease(b, "hiyori", operation="publish", version="x")
            outcomes.append("won")
            threading.Event().wait(0.5)  # hold it while the other one tries
            lease.release()
        except PublishLeaseError:
            outcomes.append("lost")

    threads = [threading.Thread(target=contend, args=(b,)) for b in (backend, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["lost", "won"]


def test_a_publisher_that_lost_its_lease_does_not_move_the_pointer(backend: Backend, model_dir: Path) -> None:
    a = HeldPublish(backend, model_dir)
    assert isinstance(backend, LeaseStore)
    state = backend.lease_read(lease_key("hiyori"))
    assert state is not None
    thief = LeaseRecord("thief:1:x", "thief", 1, "publish", "stolen", "2026-01-01T00:00:00Z", "2099-01-01T00:00:00Z")
    assert backend.lease_swap(lease_key("hiyori"), thief.to_bytes(), state.token) is not None
    with pytest.raises(PublishLeaseError, match="lost the publish lease"):
        a.go()
    assert current_version(backend, "hiyori") is None


def test_s3_pointer_swap_is_conditional(request: pytest.FixtureRequest, tmp_path: Path, model_dir: Path) -> None:
    s3 = request.getfixturevalue("s3")
    url = f"s3://{s3.new_bucket()}/live2d"
    backend = open_backend(url, {"s3_endpoint_url": s3.endpoint_url})
    try:
        a = HeldPublish(backend, model_dir)
        # someone without the lease (an old toolkit, a hand upload) moves the pointer meanwhile
        backend.replace("hiyori/current.json", b'{"version": "handmade"}\n', content_type="application/json",
                        cache_control="no-cache")
        with pytest.raises(PublishError, match=r"changed while publishing .*handmade"):
            a.go()
        assert current_version(backend, "hiyori") == "handmade"
    finally:
        backend.close()


def test_cli_loser_exit_code_and_message(tmp_path: Path, model_dir: Path, changed_dir: Path) -> None:
    from tinytalk_cli.main import app

    url = f"file://{tmp_path / 'cdn'}"
    backend = open_backend(url)
    a = HeldPublish(backend, model_dir)
    try:
        result = CliRunner().invoke(app, ["live2d", "publish", str(changed_dir),
                                          "--to", url, "--character", "hiyori"])
    finally:
        won = a.go()
    assert result.exit_code == 11, result.output
    assert f"version {won.version}" in result.stderr and "--wait" in result.stderr

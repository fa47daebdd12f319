"""Fixtures of the publish tests: a generated model per test, and one backend per kind (file, sftp, s3)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.plugins.s3 import S3Server
    from tests.plugins.sshd import SSHServer
    from tinytalk_sdk.cdn import Backend


@pytest.fixture(scope="session")
def _generated_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from live2d_tools.generate import generate_model

    return generate_model(tmp_path_factory.mktemp("model") / "hiyori", name="Hiyori").parent


@pytest.fixture
def model_dir(_generated_model: Path, tmp_path: Path) -> Path:
    """A fresh copy of a valid generated model folder (tests may change it)."""
    dest = tmp_path / "hiyori"
    shutil.copytree(_generated_model, dest)
    return dest


def _open(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Backend, str]:
    from tinytalk_sdk.cdn import open_backend

    if kind == "file":
        url = f"file://{tmp_path / 'cdn'}"
        return open_backend(url), url
    if kind == "sftp":
        server: SSHServer = request.getfixturevalue("sshd")
        url = server.url(server.root / uuid.uuid4().hex[:8])
        return open_backend(url, {"sftp_key_file": str(server.key_file)}), url
    s3: S3Server = request.getfixturevalue("s3")
    url = f"s3://{s3.new_bucket()}/assets/live2d"
    return open_backend(url, {"s3_endpoint_url": s3.endpoint_url}), url


@pytest.fixture(params=["file", "sftp", "s3"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Backend, str]]:
    """(backend, its URL) for each of the three kinds, on an empty root."""
    backend, url = _open(request.param, tmp_path, request)
    try:
        yield backend, url
    finally:
        backend.close()


@pytest.fixture
def backend(backend_url: tuple[Backend, str]) -> Backend:
    return backend_url[0]

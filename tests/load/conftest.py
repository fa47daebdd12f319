"""A profile pointing at a local API server of the load tests' own (loopback, offline providers, SQLite).

Its own, not the session's ``api_server``: other tests leave characters in that database whose model files
are not on its CDN, and the pupils fetch their character's model at the start of a lesson. This one has
one character, Hiyori, whose model file is in its CDN folder.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.plugins.api_server import ApiServer


MODEL = {"Version": 3, "FileReferences": {"Moc": "hiyori.moc3", "Textures": ["hiyori.2048/texture_00.png"]}}


@pytest.fixture(scope="module")
def load_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    from tests.plugins.api_server import _start
    from tinytalk_sdk.db import make_engine
    from tinytalk_sdk.db.models import AiCharacter
    from tinytalk_sdk.db.session import transaction

    folder = tmp_path_factory.mktemp("load-server")
    server = _start(f"sqlite:///{folder / 'tinytalk.db'}", folder)
    (server.cdn_dir / "hiyori").mkdir(parents=True)
    (server.cdn_dir / "hiyori" / "hiyori.model3.json").write_text(json.dumps(MODEL))
    engine = make_engine(server.engine_url)
    with transaction(engine) as session:
        session.add(AiCharacter(code="hiyori", name="Hiyori", is_default=True,
                                model_url="/assets/live2d/hiyori/hiyori.model3.json"))
    engine.dispose()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def load_env(load_server: ApiServer, monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> ApiServer:
    monkeypatch.setenv("TINYTALK_API_URL", load_server.base_url)
    monkeypatch.setenv("TINYTALK_DATABASE_URL", load_server.engine_url)
    monkeypatch.setenv("TINYTALK_UPLOADS_DIR", str(load_server.uploads_dir))
    return load_server


def rows_since(server: ApiServer, since: dt.datetime, sql: str) -> list[dict[str, Any]]:
    from sqlalchemy import text

    from tinytalk_sdk.db import make_engine

    engine = make_engine(server.engine_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), {"since": since.replace(tzinfo=None)})]
    finally:
        engine.dispose()

"""schemas/api/ is generated from the pydantic models: a drift fails here; the schemas are valid 2020-12."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tinytalk_sdk.types import ENDPOINTS
from tinytalk_sdk.types._jsonschema import render_schemas

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas" / "api"


def test_checked_in_schemas_match_the_models() -> None:
    want = render_schemas()
    have = {p.name: p.read_text("utf-8") for p in SCHEMAS.glob("*.json")}
    stale = sorted(n for n in want if have.get(n) != want[n]) + sorted(set(have) - set(want))
    assert not stale, f"schemas/api is stale ({stale}); run: python scripts/gen_schemas.py"


def test_gen_script_check_mode(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_schemas.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_every_endpoint_has_request_and_response_schema() -> None:
    names = set(render_schemas())
    for ep in ENDPOINTS:
        assert f"{ep.stem}.request.json" in names and f"{ep.stem}.response.json" in names
    assert len({ep.path for ep in ENDPOINTS}) == 25


@pytest.mark.parametrize("name", sorted(render_schemas()))
def test_schema_is_valid_2020_12(name: str) -> None:
    schema = json.loads(render_schemas()[name])
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schemas_agree_with_models_on_examples() -> None:
    """A payload the model accepts validates; a request with an unknown field fails both."""
    schemas = {k: json.loads(v) for k, v in render_schemas().items()}
    login = jsonschema.Draft202012Validator(schemas["auth_login.request.json"])
    assert login.is_valid({"email": "kid@example.com", "pin": "1234"})
    assert not login.is_valid({"email": "kid@example.com", "pin": "12"})
    assert not login.is_valid({"email": "kid@example.com", "pin": "1234", "extra": 1})
    session = jsonschema.Draft202012Validator(schemas["create_session.response.json"])
    assert session.is_valid({"session": {"id": 1, "user_id": 2, "session_date": "2026-11-25",
                                         "status": "active", "future_field": True}})

"""/api/openapi.json: OpenAPI 3.1 built from the types and ENDPOINTS, in step with schemas/api/ (drift)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema

from tests.plugins.api_server import ApiServer
from tinytalk_sdk.types import ENDPOINTS
from tinytalk_sdk.types._openapi import render_openapi

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "api"


def test_the_document_agrees_with_the_checked_in_schemas() -> None:
    files = {p.name: p.read_text("utf-8") for p in SCHEMAS.glob("*.json")}
    assert render_openapi(files) == render_openapi(), "schemas/api drifted: run python scripts/gen_schemas.py"


def test_the_server_serves_it(api_server: ApiServer) -> None:
    r = httpx.get(api_server.base_url + "/openapi.json", timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json() == json.loads(json.dumps(render_openapi()))


def test_every_endpoint_is_an_operation_with_its_models() -> None:
    doc = render_openapi()
    components = doc["components"]["schemas"]
    for ep in ENDPOINTS:
        op = doc["paths"][ep.path][ep.method.lower()]
        assert op["operationId"] == ep.name
        assert (op["security"] == []) == (not ep.auth)
        assert str(ep.status) in op["responses"] and "default" in op["responses"]
        assert f"{ep.stem}.request" in components and f"{ep.stem}.response" in components
        if ep.body == "json":
            assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(f"{ep.stem}.request")
        headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
        assert ("Idempotency-Key" in headers) == (ep.retry == "key")
    assert components["error"]["title"] == "ErrorEnvelope"


def test_every_component_is_valid_2020_12_and_refs_resolve() -> None:
    doc = render_openapi()
    assert doc["openapi"] == "3.1.0"
    names = set(doc["components"]["schemas"])
    text = json.dumps(doc)
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert "#/$defs/" not in json.dumps(schema), name
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs <= names

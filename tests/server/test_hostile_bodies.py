"""Finding 2 of issue 12: a deeply nested JSON body was a 500 with a RecursionError in the log. Size and
depth are bounded before parsing, on every route that reads a body: always a 400/413 in the envelope."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.server.conftest import Api
from tinytalk_sdk.server._body import MAX_JSON_BYTES, MAX_JSON_DEPTH, json_depth
from tinytalk_sdk.types import ENDPOINTS, ErrorEnvelope

DEEP = b"[" * 3000 + b"]" * 3000  # ~6 KB
DEEP_OBJECT = b'{"a":' * 3000 + b"1" + b"}" * 3000  # ~18 KB
JSON_ROUTES = sorted({e.path for e in ENDPOINTS if e.body == "json"})


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_deep_bodies_are_400_on_every_json_route(sqlite_api: Api, caplog: pytest.LogCaptureFixture,
                                                  path: str) -> None:
    for body in (DEEP, DEEP_OBJECT):
        for auth in (sqlite_api.auth, {}):
            with caplog.at_level(logging.DEBUG, logger="tinytalk"):
                r = sqlite_api.http.post(path, content=body, headers={"Content-Type": "application/json", **auth})
            assert r.status_code in (400, 401), r.text  # 401 first where a token is needed and missing
            error = ErrorEnvelope.model_validate(r.json()).error
            if auth or r.status_code == 400:
                assert r.status_code == 400 and error.code == "invalid_json" and str(MAX_JSON_DEPTH) in error.message
    assert "RecursionError" not in caplog.text and "Traceback" not in caplog.text


def test_depth_is_counted_outside_strings_only(sqlite_api: Api) -> None:
    assert json_depth(b'{"pin": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') == 1
    assert json_depth(b'{"a": "\\"[[[", "b": [[1]]}') == 3
    # A string full of brackets is a value like any other: the login is judged on its merits.
    r = sqlite_api.http.post("/auth_login.php", json={"email": "a@b.kr", "pin": "[" * 5000})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"
    just_deep = {"email": "a@b.kr", "pin": "1234", "device": None}
    nested: object = 1
    for _ in range(MAX_JSON_DEPTH):
        nested = [nested]
    just_deep["device"] = nested  # type: ignore[assignment]
    r = sqlite_api.http.post("/auth_login.php", json=just_deep)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"


def test_oversized_and_broken_bodies(sqlite_api: Api) -> None:
    big = b'{"email": "' + b"a" * (MAX_JSON_BYTES + 10) + b'"}'
    r = sqlite_api.http.post("/auth_login.php", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

    def chunks() -> object:
        yield big  # no Content-Length: counted while reading

    r = sqlite_api.http.post("/auth_login.php", content=chunks(),  # type: ignore[arg-type]
                             headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    for raw in (b'{"email": "\xff\xfe"}', b'{"email": ', b'"just a string"', b"[1, 2]", b"\x00" * 50):
        r = sqlite_api.http.post("/auth_login.php", content=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (raw, r.text)
        assert r.json()["error"]["code"] in ("invalid_json", "invalid_body")


def test_the_fault_endpoint_bounds_its_body_too(sqlite_api: Api) -> None:
    r = httpx.post(sqlite_api.server.origin + "/__faults", content=DEEP, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"

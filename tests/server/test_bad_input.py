"""Every endpoint refuses bad requests with 400/401/422 and a JSON error body: never a 5xx, never a trace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.conftest import Api
from tinytalk_sdk.types import ENDPOINTS, Endpoint

ROUTES = [*ENDPOINTS, Endpoint("gpt_stream_get", "/gpt_stream.php", "GET", "pipeline",
                               ENDPOINTS[0].request, None, "query", "never")]
CASES = ["no_token", "empty_body", "malformed", "wrong_types", "bad_tag"]


def _check_envelope(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code < 500, f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:200]}"
    assert "traceback" not in r.text.lower()
    assert r.headers["content-type"].startswith(("application/json", "text/event-stream", "audio/")), r.text
    assert r.headers.get("x-request-id")
    if not r.headers["content-type"].startswith("application/json"):
        return {}
    body: dict[str, Any] = r.json()
    if r.status_code >= 400:
        assert body["success"] is False
        assert set(body["error"]) == {"code", "message", "fields"}
        assert body["error"]["code"] and "\n" not in body["error"]["message"]
    else:
        assert body["success"] is True
    return body


def _wrong_types(ep: Endpoint) -> dict[str, Any]:
    fields = ep.request.model_fields
    if not fields:
        return {"unexpected": [1]}
    return {name: [["not", "this"]] for name in fields}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def mapi(request: pytest.FixtureRequest) -> Iterator[Api]:
    """One registered user per database for the whole matrix (bcrypt per test would dominate its time)."""
    server = request.getfixturevalue("api_server" if request.param == "sqlite" else "api_server_mariadb")
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        client = Api(http=http, server=server)
        client.register()
        yield client


def test_the_matrix_covers_every_route_of_the_server(tmp_path: Path, sqlite_engine: Any) -> None:
    """26 endpoints (+ gpt_stream by GET for EventSource); each path the app serves under /api is in it."""
    from starlette.routing import Route

    from tinytalk_sdk.server import create_app

    assert len(ENDPOINTS) == 26
    served = {r.path.removeprefix("/api") for r in create_app(sqlite_engine, uploads_dir=tmp_path, fault="").routes
              if isinstance(r, Route) and r.path.startswith("/api/")}
    assert "/openapi.json" in served  # the contract itself (tests/server/test_openapi.py)
    served.discard("/openapi.json")
    assert served == {ep.path for ep in ROUTES} and len(served) == 25  # heygen_session.php: GET and POST
    assert {(ep.path, ep.method) for ep in ENDPOINTS} < {(ep.path, ep.method) for ep in ROUTES}


def _request(api: Api, ep: Endpoint, case: str) -> httpx.Response:
    headers = {} if case == "no_token" else dict(api.auth)
    if case == "bad_tag":
        headers["X-TinyTalk-Tag"] = "not a tag!"
    if ep.name == "auth_logout" and case != "no_token":  # would revoke the shared token
        login = api.http.post("/auth_login.php", json={"email": api.user["email"], "pin": "1234"})
        headers["Authorization"] = "Bearer " + login.json()["data"]["token"]
    path = ep.path
    if ep.method == "GET":
        params: dict[str, str] = {}
        if case == "wrong_types":
            params = {name: "not-a-number" for name in ep.request.model_fields}
            params.pop("code", None)  # a string is a valid character code
        elif case == "malformed":
            params = {"limit": "", "session_id": "%%%", "id": "1.5"}
        return api.http.get(path, params=params, headers=headers)
    if ep.body == "multipart":
        if case == "malformed":
            headers["content-type"] = "multipart/form-data; boundary=xyz"
            return api.http.post(path, content=b"--xyz\r\nbroken", headers=headers)
        if case == "wrong_types":
            return api.http.post(path, headers=headers, data={"session_id": "abc"},
                                 files={"file": ("a.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav")})
        return api.http.post(path, headers=headers)
    if case == "malformed":
        headers["content-type"] = "application/json"
        return api.http.post(path, content=b'{"session_id": 1,', headers=headers)
    if case == "wrong_types":
        return api.http.post(path, json=_wrong_types(ep), headers=headers)
    return api.http.post(path, headers=headers)  # no_token / empty_body: no body at all


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("ep", ROUTES, ids=lambda e: f"{e.method}-{e.path.strip('/')}")
def test_bad_requests_are_refused_cleanly(mapi: Api, ep: Endpoint, case: str) -> None:
    r = _request(mapi, ep, case)
    body = _check_envelope(r)
    if case == "bad_tag":  # auth and body come first; a request that passes them is refused for the header
        assert r.status_code in (400, 422), r.text
        if not any(f.is_required() for f in ep.request.model_fields.values()) and ep.body != "multipart":
            assert body["error"]["code"] == "invalid_tag", body
    elif case == "no_token" and ep.auth:
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert body["error"]["code"] == "unauthorized"
    elif case == "malformed" and ep.method == "POST":
        # python-multipart reads a cut multipart body as "no parts": then the missing file is the error.
        assert r.status_code == 400 or (ep.body == "multipart" and r.status_code == 422), r.text
        assert body["error"]["code"] in ("invalid_json", "invalid_body", "validation_failed")
    elif case == "wrong_types" and (ep.method == "POST" or ep.body == "query"):
        assert r.status_code == 422, r.text
        assert body["error"]["code"] == "validation_failed" and body["error"]["fields"]
    elif case == "empty_body" and ep.request.model_fields and any(
        f.is_required() for f in ep.request.model_fields.values()
    ):
        assert r.status_code in (400, 422), r.text
    else:
        assert r.status_code in (200, 201, 400, 401, 403, 404, 422), r.text


def test_unknown_path_and_method(sqlite_api: Api) -> None:
    r = sqlite_api.http.get("/no_such_endpoint.php")
    assert r.status_code == 404 and _check_envelope(r)["error"]["code"] == "not_found"
    r = sqlite_api.http.get("/create_session.php", headers=sqlite_api.auth)
    assert r.status_code == 405 and "POST" in r.headers["allow"]
    r = sqlite_api.http.put("/health.php")
    assert r.status_code == 405 and _check_envelope(r)["error"]["code"] == "method_not_allowed"


def test_token_variants_are_401(sqlite_api: Api) -> None:
    for header in ("Bearer", "Basic abc", "Bearer " + "z" * 64, "Bearer " + "a" * 64, "bearer"):
        r = sqlite_api.http.get("/auth_me.php", headers={"Authorization": header})
        assert r.status_code == 401 and _check_envelope(r)["error"]["code"] == "unauthorized", header


def test_expired_token_is_401(sqlite_api: Api) -> None:
    import datetime as dt

    from sqlalchemy import update

    from tinytalk_sdk.db import make_engine, transaction
    from tinytalk_sdk.db.models import UserAuthToken
    from tinytalk_sdk.server._auth import hash_token

    engine = make_engine(sqlite_api.server.engine_url)
    with transaction(engine) as s:
        s.execute(update(UserAuthToken).where(UserAuthToken.token_hash == hash_token(sqlite_api.token or ""))
                  .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    engine.dispose()
    r = sqlite_api.get("/auth_me.php")
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]


def test_someone_elses_session_is_404(sqlite_api: Api) -> None:
    session = sqlite_api.new_session()
    other = Api(http=sqlite_api.http, server=sqlite_api.server)
    other.register()
    for path, body in [("/session_save.php", {"session_id": session["id"]}),
                       ("/gpt_stream.php", {"session_id": session["id"], "message": "hi"})]:
        r = other.post(path, json=body)
        assert r.status_code == 404 and r.json()["error"]["code"] == "session_not_found"
    r = other.get("/get_chat_history.php", params={"session_id": session["id"]})
    assert r.status_code == 404


def test_upload_format_and_size_checks(sqlite_api: Api) -> None:
    api = sqlite_api
    r = api.post("/stt_upload.php", files={"file": ("notes.txt", b"hello", "text/plain")})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    r = api.post("/stt_upload.php", files={"file": ("fake.wav", b"<html>not audio</html>", "audio/wav")})
    assert r.status_code == 415 and "not wav" in r.json()["error"]["message"]
    r = api.post("/stt_upload.php", files={"file": ("empty.wav", b"", "audio/wav")})
    assert r.status_code == 422
    big = b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * (25 * 1024 * 1024 + 10)
    r = api.post("/stt_upload.php", files={"file": ("big.wav", big, "audio/wav")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
    # webm is accepted by the contract; the offline recogniser cannot decode it and says so (415).
    r = api.post("/stt_upload.php", files={"file": ("a.webm", b"\x1a\x45\xdf\xa3" + b"\x00" * 64, "audio/webm")})
    assert r.status_code == 415 and "offline" in r.json()["error"]["message"]


def test_oversized_json_is_413_even_when_chunked(sqlite_api: Api) -> None:
    big = b'{"message": "' + b"a" * (1024 * 1024 + 10) + b'"}'

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536]

    for content in (big, chunks()):
        r = sqlite_api.http.post("/gpt_feedback.php", content=content,
                                 headers={**sqlite_api.auth, "content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


def test_an_upload_over_the_default_10_mb_limit_is_413_naming_the_limit(sqlite_api: Api, tmp_path: Path) -> None:
    """The SDK checks 25 MB (Whisper's cap) before sending; the server's max_upload_mb defaults to 10 MB.
    Between the two, the server's 413 names its limit and the SDK raises APIValidationError with it."""
    from tinytalk_sdk import APIValidationError, TinyTalk

    eleven_mb = b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * (11 * 1024 * 1024)
    r = sqlite_api.post("/stt_upload.php", files={"file": ("big.wav", eleven_mb, "audio/wav")})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert r.json()["error"]["fields"] == {"file": "larger than 10 MB"}
    assert "10 MB" in r.json()["error"]["message"]

    clip = tmp_path / "big.wav"
    clip.write_bytes(eleven_mb)
    with TinyTalk(base_url=sqlite_api.server.base_url, token=sqlite_api.token, max_retries=0) as client, \
            pytest.raises(APIValidationError) as info:
        client.pipeline.transcribe(clip)
    assert info.value.status == 413 and info.value.errors == ["file: larger than 10 MB"]
    assert "10 MB" in str(info.value) and info.value.exit_code == 9

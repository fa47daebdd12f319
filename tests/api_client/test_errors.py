"""Status → error class, HTML instead of JSON, and what every error carries (never the token)."""

from __future__ import annotations

import logging

import httpx
import pytest

from tinytalk_sdk import (
    APIConnectionError,
    APINotFoundError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    APIValidationError,
    AuthenticationError,
    RateLimitError,
    ServerError,
    ValidationError,
)

from .conftest import SESSION, TOKEN, err, make_client, ok


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, APINotFoundError),
        (400, APIValidationError),
        (422, APIValidationError),
        (413, APIValidationError),
        (409, APIStatusError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_maps_to_class(status: int, cls: type[Exception]) -> None:
    client = make_client(lambda r: err(status, "some_code", "went wrong"), max_retries=0)
    with pytest.raises(cls) as info:
        client.sessions.history(session_id=3)
    e = info.value
    assert isinstance(e, APIStatusError)
    assert (e.status, e.method, e.endpoint, e.request_id) == (status, "GET", "/get_chat_history.php", "req-err")
    assert str(e) == f"GET /get_chat_history.php: {status} some_code: went wrong"
    assert e.code == "some_code"  # type: ignore[attr-defined]


def test_validation_error_carries_field_messages() -> None:
    client = make_client(lambda r: err(422, "validation_failed", "invalid input",
                                       {"title": "too long", "response_mode": "must be text, audio or video"}))
    with pytest.raises(APIValidationError) as info:
        client.sessions.create(title="x")
    assert info.value.errors == ["title: too long", "response_mode: must be text, audio or video"]
    assert "title: too long" in str(info.value)
    assert isinstance(info.value, ValidationError)


def test_rate_limit_carries_retry_after() -> None:
    client = make_client(lambda r: err(429, "rate_limited", "slow down", headers={"Retry-After": "120"}))
    with pytest.raises(RateLimitError) as info:
        client.ops.health()
    assert info.value.retry_after == 120.0
    assert client.sleeps == []  # type: ignore[attr-defined]  # 120 s is over the cap: fail now, not hang


def test_401_hints_at_login() -> None:
    client = make_client(lambda r: err(401, "unauthorized", "token expired",
                                       headers={"WWW-Authenticate": "Bearer"}))
    with pytest.raises(AuthenticationError) as info:
        client.auth.me()
    assert info.value.hint and "tinytalk api login" in info.value.hint


HTML = b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>busy</body></html>"


@pytest.mark.parametrize("status", [200, 500])
def test_html_instead_of_json(status: int) -> None:
    client = make_client(
        lambda r: httpx.Response(status, content=HTML, headers={"Content-Type": "text/html; charset=UTF-8"}),
        max_retries=0,
    )
    with pytest.raises(APIResponseError) as info:
        client.auth.me()
    msg = str(info.value)
    assert f"GET /auth_me.php answered {status} with an HTML page (text/html) instead of JSON" in msg
    assert "503 Service Unavailable" in msg
    assert info.value.status == status


def test_success_without_envelope_or_wrong_shape() -> None:
    client = make_client(lambda r: httpx.Response(200, json={"id": 1}))
    with pytest.raises(APIResponseError, match="without the contract's success envelope"):
        client.auth.me()
    client = make_client(lambda r: ok({"user": {"id": "not-a-number"}}))
    with pytest.raises(APIResponseError, match=r"does not match UserResponse: user\.id"):
        client.auth.me()


def test_unknown_fields_are_kept() -> None:
    client = make_client(lambda r: ok({"session": {**SESSION, "mood": "happy"}, "new_field": 1}, 201))
    got = client.sessions.create()
    assert got.session.model_extra == {"mood": "happy"}
    assert got.model_extra == {"new_field": 1}


def test_connection_and_timeout_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = make_client(refuse, max_retries=0)
    with pytest.raises(APIConnectionError, match=r"GET /health\.php: could not connect to http://test/api"):
        client.ops.health()

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = make_client(slow, max_retries=0)
    with pytest.raises(APITimeoutError, match="timed out"):
        client.ops.health()


def test_bad_input_is_caught_before_sending(calls: list[httpx.Request]) -> None:
    client = make_client(lambda r: calls.append(r) or ok({}))  # type: ignore[func-returns-value]
    with pytest.raises(ValidationError, match="pin: String should match pattern"):
        client.auth.login(email="kid@example.com", pin="12")
    assert calls == []


def test_token_never_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    # A server that echoes the Authorization header back in its error message and an HTML page.
    def echo(request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        if request.url.path.endswith("auth_me.php"):
            return err(401, "unauthorized", f"bad token {auth} / {TOKEN}")
        return httpx.Response(502, content=f"<html>{TOKEN}</html>".encode(), headers={"Content-Type": "text/html"})

    caplog.set_level(logging.DEBUG, logger="tinytalk")
    client = make_client(echo, max_retries=1)
    # Named classes, not `except Exception`: a crash inside the client (TypeError, KeyError…) would
    # also carry no token, so only the expected error types prove the redaction path ran.
    with pytest.raises(AuthenticationError) as denied:
        client.auth.me()
    with pytest.raises(APIResponseError) as html:
        client.ops.health()
    errors: list[Exception] = [denied.value, html.value]
    assert denied.value.status == 401 and html.value.status == 502
    assert "bad token" in str(denied.value)  # the server's message is kept, only the secret is cut
    for e in errors:
        assert TOKEN not in str(e) and TOKEN not in repr(e.__dict__)  # body is kept, redacted message
    assert TOKEN not in repr(client)
    assert caplog.records, "the client logs requests at DEBUG"
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
    assert any("authorization" in r.getMessage().lower() for r in caplog.records)


def test_user_agent_and_auth_header(calls: list[httpx.Request]) -> None:
    from tinytalk_sdk._version import __version__

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return ok({"status": "ok"})

    make_client(handler).ops.health()
    assert calls[0].headers["user-agent"] == f"tinytalk-sdk/{__version__}"
    assert calls[0].headers["authorization"] == f"Bearer {TOKEN}"
    make_client(handler, token=None).ops.health()
    assert "authorization" not in calls[1].headers


def test_cleanup_token_in_query_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    cleanup = "cleanup-secret-token-42"
    caplog.set_level(logging.DEBUG, logger="tinytalk.http")

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["token"] == cleanup
        raise httpx.ConnectError(f"refused for {request.url}", request=request)

    client = make_client(handler, max_retries=1)
    with pytest.raises(APIConnectionError) as info:
        client.ops.cleanup_uploads(token=cleanup)
    assert cleanup not in str(info.value)
    assert all(cleanup not in r.getMessage() for r in caplog.records)
    assert any("token=***" in r.getMessage() for r in caplog.records)

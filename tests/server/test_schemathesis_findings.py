"""What Schemathesis found on the server, fixed at the shared mechanism, one test each."""

from __future__ import annotations

import pytest

from tests.server.conftest import Api
from tinytalk_sdk.types._openapi import render_openapi


@pytest.mark.parametrize("query", ["session_id=20886923738050510500921344", "session_id=1&after_id=2%2A%2A70",
                                   "session_id=1&after_id=677491645639591839923903219630080"])
def test_integers_beyond_64_bits_are_422_not_500(sqlite_api: Api, query: str) -> None:
    r = sqlite_api.get("/get_chat_history.php?" + query)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed", r.text
    r = sqlite_api.get("/get_character.php?id=20886923738050510500921344")
    assert r.status_code == 422, r.text
    r = sqlite_api.post("/session_save.php", json={"session_id": 2**64})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("value", [True, "5", 5.0])
def test_json_bodies_are_typed_strictly(sqlite_api: Api, value: object) -> None:
    r = sqlite_api.post("/heygen_session.php", json={"chat_session_id": value})
    assert r.status_code == 422 and "chat_session_id" in r.json()["error"]["fields"], r.text


def test_form_and_query_text_is_still_converted(sqlite_api: Api) -> None:
    session = sqlite_api.new_session()
    r = sqlite_api.post("/session_save.php", data={"session_id": str(session["id"])})  # form-urlencoded
    assert r.status_code == 200, r.text
    assert sqlite_api.get(f"/get_chat_history.php?session_id={session['id']}").status_code == 200


def test_allow_names_exactly_the_methods_of_each_path(sqlite_api: Api) -> None:
    preflight = sqlite_api.http.options("/auth_login.php")
    assert preflight.status_code == 204 and preflight.headers["allow"] == "POST, OPTIONS"
    assert sqlite_api.http.options("/heygen_session.php").headers["allow"] == "GET, POST, OPTIONS"
    assert sqlite_api.http.options("/gpt_stream.php").headers["allow"] == "GET, POST, OPTIONS"
    for method in ("DELETE", "PUT", "PATCH"):
        r = sqlite_api.http.request(method, "/auth_me.php", headers=sqlite_api.auth)
        assert r.status_code == 405 and r.headers["allow"] == "GET, OPTIONS"
        assert r.json()["error"]["code"] == "method_not_allowed"


def test_a_body_is_required_only_where_a_field_is() -> None:
    paths = render_openapi()["paths"]
    assert paths["/auth_logout.php"]["post"]["requestBody"]["required"] is False  # {} is its whole request
    assert paths["/auth_login.php"]["post"]["requestBody"]["required"] is True
    events = paths["/gpt_stream.php"]["post"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
    assert events["properties"]["event"]["enum"] == ["delta", "done", "error"]

"""The LiveKit side: the real ``livekit`` SDK up to the connection (refused, bad token, timeout → typed errors),
the client-token checks (``livekit-api``), and the command events against the vendor's documented shapes.

No LiveKit server runs here: what happens after a successful connect (the SFU, the avatar agent) is not
exercised; docs/liveavatar.md says so.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tinytalk_sdk import ProviderError, RoomRefusedError, RoomTimeoutError, RoomTokenError, ValidationError
from tinytalk_sdk.providers.liveavatar_room import (
    COMMAND_TOPIC,
    RESPONSE_TOPIC,
    LiveKitRoom,
    Room,
    check_client_token,
    command_event,
    encode_event,
)
from tinytalk_sdk.testing.fakes.liveavatar import LoopbackRoom, mint_livekit_token

SECRET = "a-livekit-secret-of-at-least-32-bytes-0123456789"


def token(*, room: str = "liveavatar-1", identity: str = "client-1", ttl: float = 300,
          join: bool = True, publish_data: bool = True) -> str:
    """A token as a LiveKit server's key signs it (livekit-api); tokens it refuses to mint, by hand."""
    import jwt
    from livekit import api

    if room and identity:
        grants = api.VideoGrants(room_join=join, room=room, can_publish_data=publish_data)
        return (api.AccessToken("APIkey", SECRET).with_identity(identity).with_grants(grants)
                .with_ttl(dt.timedelta(seconds=ttl)).to_jwt())
    claims = {"iss": "APIkey", "sub": identity, "exp": int(time.time() + ttl),
              "video": {"room": room, "roomJoin": join, "canPublishData": publish_data}}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- the client token --------------------------------------------------------------------------


def test_a_good_token_is_decoded() -> None:
    claims = check_client_token(token())
    assert (claims.room, claims.identity, claims.can_publish_data) == ("liveavatar-1", "client-1", True)
    assert claims.expires_at > time.time()


def test_the_fakes_token_passes_the_same_check() -> None:
    claims = check_client_token(mint_livekit_token(room="r9", identity="client-9", ttl=60))
    assert (claims.room, claims.identity) == ("r9", "client-9")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"room": ""}, "names no room"),
    ({"join": False}, "does not grant joining"),
    ({"identity": ""}, "no identity"),
    ({"publish_data": False}, "may not publish data"),
])
def test_tokens_that_could_not_make_the_avatar_speak(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(RoomTokenError, match=message) as info:
        check_client_token(token(**kwargs))  # type: ignore[arg-type]
    assert info.value.code == "room_bad_token" and isinstance(info.value, ProviderError)


def test_an_expired_token() -> None:
    with pytest.raises(RoomTokenError, match="expired"):
        check_client_token(token(), now=time.time() + 3600)


def test_not_a_jwt() -> None:
    with pytest.raises(RoomTokenError, match="not a JWT"):
        check_client_token("eyJnot.a.token")


# ---- the real SDK up to the connection -----------------------------------------------------------


def test_nothing_listening_is_refused() -> None:
    room = LiveKitRoom(connect_timeout=10)
    started = time.monotonic()
    with pytest.raises(RoomRefusedError, match="Connection refused") as info:
        room.connect(f"ws://127.0.0.1:{free_port()}", token())
    assert info.value.code == "room_refused" and time.monotonic() - started < 10


class _Refuses(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # what a LiveKit server answers a token it did not sign
        body = b"invalid token"
        self.send_response(401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Refuses)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"ws://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_401_from_the_server_is_a_token_error(refusing_server: str) -> None:
    with pytest.raises(RoomTokenError, match="401"):
        LiveKitRoom(connect_timeout=10).connect(refusing_server, token())


@pytest.fixture
def silent_server() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)  # accepts (the kernel does), never answers
    yield f"ws://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_no_answer_is_a_timeout(silent_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(RoomTimeoutError, match="no answer in 1 s"):
        LiveKitRoom(connect_timeout=1).connect(silent_server, token())
    assert time.monotonic() - started < 5


def test_a_bad_token_is_refused_before_any_connection() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.5)
        with pytest.raises(RoomTokenError):
            LiveKitRoom().connect(f"ws://127.0.0.1:{listener.getsockname()[1]}", token(join=False))
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody came


def test_a_url_that_is_not_websocket() -> None:
    with pytest.raises(RoomRefusedError, match="not ws"):
        LiveKitRoom().connect("ftp://example.invalid", token())


def test_both_rooms_satisfy_the_interface() -> None:
    assert isinstance(LiveKitRoom(), Room) and isinstance(LoopbackRoom(), Room)


# ---- events (docs.liveavatar.com/docs/full-mode/events) -------------------------------------------


def test_topics() -> None:
    assert (COMMAND_TOPIC, RESPONSE_TOPIC) == ("agent-control", "agent-response")


@pytest.mark.parametrize(("event_type", "data"), [
    ("avatar.speak_text", {"text": "Hi there!"}),
    ("avatar.speak_response", {"text": "What is a cat?"}),
    ("avatar.interrupt", {}),
    ("avatar.start_listening", {}),
    ("avatar.stop_listening", {}),
])
def test_command_events_have_the_documented_shape(event_type: str, data: dict[str, str]) -> None:
    event = command_event(event_type, "3c90c3cc-0d44-4b50-8888-8dd25736052a", **data)
    decoded = json.loads(encode_event(event))
    assert set(decoded) == {"event_id", "event_type", "session_id", *data}
    assert decoded["event_type"] == event_type and decoded["session_id"].startswith("3c90c3cc")
    assert all(decoded[k] == v for k, v in data.items())


def test_unicode_text_is_sent_as_is() -> None:
    payload = encode_event(command_event("avatar.speak_text", "s", text="Ça va? 😊"))
    assert "Ça va? 😊".encode() in payload


@pytest.mark.parametrize(("event_type", "data", "message"), [
    ("avatar.dance", {}, "unknown LiveAvatar command event"),
    ("avatar.speak_text", {}, "takes text"),
    ("avatar.interrupt", {"text": "x"}, "takes no data"),
    ("avatar.speak_text", {"text": "  "}, "text is empty"),
])
def test_malformed_events_are_refused(event_type: str, data: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        command_event(event_type, "s", **data)


def test_without_the_extra_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from tinytalk_sdk import ConfigError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("livekit") else real(name, *a))
    with pytest.raises(ConfigError, match=r"needs the 'livekit\.api' package") as info:
        check_client_token(token())
    assert "tinytalk[liveavatar]" in (info.value.hint or "")

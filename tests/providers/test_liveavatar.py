"""LiveAvatar client (httpx) against the loopback fake: token → start (201) → keep-alive → speak → stop, lists,
errors in the error tree, usage rows priced from credits, and sessions stopped on SIGTERM / Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tinytalk_sdk import MissingCredentialError, ProviderError, ValidationError
from tinytalk_sdk.providers._retry import RetryPolicy
from tinytalk_sdk.providers.liveavatar import LiveAvatarClient
from tinytalk_sdk.testing.fakes.liveavatar import LiveAvatarMemory, LoopbackRoom

from .conftest import HEYGEN_KEY, usage_rows

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tinytalk_sdk.providers.base import UsageRecorder
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

LA_KEY = "0fa4e000-0000-4000-8000-00000000fa4e"
WAYNE = "dd73ea75-1218-4ef3-92ce-606d5f7fbc0a"


def memory(fake: RunningFakeVendors) -> LiveAvatarMemory:
    return fake.state.vendor("liveavatar", LiveAvatarMemory)


@pytest.fixture
def la(fake_vendors: RunningFakeVendors, recorder: UsageRecorder) -> Iterator[LiveAvatarClient]:
    client = LiveAvatarClient(api_key=LA_KEY, base_url=fake_vendors.liveavatar_url, recorder=recorder, avatar_id=WAYNE,
                              retry=RetryPolicy(initial_delay=0.01), room_factory=LoopbackRoom,
                              keep_alive_seconds=None)
    yield client
    client.close()


def test_full_session_lifecycle_with_usage_rows_and_credits(
    la: LiveAvatarClient, fake_vendors: RunningFakeVendors, sqlite_engine: Engine
) -> None:
    with la.session(connect=True) as sess:
        assert sess.livekit_url and sess.livekit_url.startswith("ws://")
        assert sess.livekit_client_token and sess.livekit_client_token not in repr(sess)
        la.keep_alive(sess)
        event = la.speak_text(sess, "Hello! What is your favourite animal?")
        la.interrupt(sess)
        assert [s.id for s in la.list_sessions()] == [sess.session_id]
    assert la.list_sessions() == []
    history = la.list_sessions(kind="history")
    assert [(h.id, h.end_reason, h.mode) for h in history] == [(sess.session_id, "USER_CLOSED", "FULL")]
    assert history[0].credits_consumed == 2  # one escrowed minute at 2 credits

    received = memory(fake_vendors).events
    assert [(e["event_type"], e["topic"]) for e in received] == [("avatar.speak_text", "agent-control"),
                                                                 ("avatar.interrupt", "agent-control")]
    assert received[0]["event_id"] == event["event_id"] and received[0]["text"].startswith("Hello!")
    assert memory(fake_vendors).sessions[sess.session_id]["keep_alives"] == 1

    rows = usage_rows(sqlite_engine)
    assert [r["operation"] for r in rows] == [
        "liveavatar_token", "liveavatar_start", "liveavatar_keep_alive", "liveavatar_speak",
        "liveavatar_interrupt", "liveavatar_list", "liveavatar_stop", "liveavatar_list", "liveavatar_list"]
    assert {r["service"] for r in rows} == {"liveavatar"} and {r["model"] for r in rows} == {"FULL"}
    assert rows[1]["http_status"] == 201 and rows[3]["characters"] == len(event["text"])
    stop = rows[6]
    assert 0 < float(stop["session_minutes"]) < 1
    # at least one minute (escrowed at start) × 2 credits × $0.10 (price table 2026-11)
    assert float(stop["cost_usd"]) == pytest.approx(0.20)
    assert all(float(r["cost_usd"]) == 0 for r in rows if r["operation"] != "liveavatar_stop")


def test_lite_mode_is_billed_at_one_credit_and_takes_no_text_events(la: LiveAvatarClient, sqlite_engine: Engine
                                                                    ) -> None:
    with la.session(mode="LITE") as sess:
        assert sess.ws_url
        with pytest.raises(ValidationError, match="LITE sessions take audio"):
            la.speak_text(sess, "hello")
    stop = next(r for r in usage_rows(sqlite_engine) if r["operation"] == "liveavatar_stop")
    assert stop["model"] == "LITE" and float(stop["cost_usd"]) == pytest.approx(0.10)


def test_token_bodies_follow_the_openapi(la: LiveAvatarClient) -> None:
    full = la.token_config(voice_id="9c2b1f0e-6a3d-4e8f-9b7a-2c1d0e5f6a7b")
    assert full.body() == {"mode": "FULL", "avatar_id": WAYNE, "is_sandbox": False,
                           "avatar_persona": {"voice_id": "9c2b1f0e-6a3d-4e8f-9b7a-2c1d0e5f6a7b", "language": "en"},
                           "interactivity_type": "CONVERSATIONAL"}
    assert la.token_config(mode="custom").body() == {"mode": "LITE", "avatar_id": WAYNE, "is_sandbox": False}
    with pytest.raises(ValidationError, match="FULL or LITE"):
        la.token_config(mode="VIDEO")


def test_a_heygen_key_is_refused(fake_vendors: RunningFakeVendors, recorder: UsageRecorder, sqlite_engine: Engine
                                 ) -> None:
    client = LiveAvatarClient(api_key=HEYGEN_KEY, base_url=fake_vendors.liveavatar_url, recorder=recorder,
                              avatar_id=WAYNE)
    with pytest.raises(ProviderError) as info:
        client.open_session()
    err = info.value
    assert (err.provider, err.status, err.code) == ("liveavatar", 401, "401")
    assert HEYGEN_KEY not in str(err) and "liveavatar_api_key" in (err.hint or "")
    assert [(r["operation"], r["status"]) for r in usage_rows(sqlite_engine)] == [("liveavatar_token", "error")]


def test_validation_errors_are_the_vendor_422(la: LiveAvatarClient) -> None:
    with pytest.raises(ProviderError) as info:
        la.create_token(la.token_config(avatar_id="not-a-uuid"))
    assert (info.value.status, info.value.code) == (422, "validation_error")
    assert "avatar_id: Input should be a valid UUID" in str(info.value)


def test_concurrency_refusal_stops_nothing_else(la: LiveAvatarClient, fake_vendors: RunningFakeVendors) -> None:
    memory(fake_vendors).limit = 1
    with la.session() as first:
        with pytest.raises(ProviderError) as info:
            la.open_session()
        assert (info.value.status, info.value.code) == (400, "10004")
        assert [s.id for s in la.list_sessions()] == [first.session_id]
    assert len(fake_vendors.state.calls("liveavatar", "/liveavatar/v1/sessions/start")) == 2  # start is never retried


def test_a_session_without_keep_alive_expires(la: LiveAvatarClient, fake_vendors: RunningFakeVendors) -> None:
    memory(fake_vendors).idle_timeout = 0.2
    sess = la.open_session()
    time.sleep(0.3)
    with pytest.raises(ProviderError, match="not active"):
        la.keep_alive(sess)
    assert [h.end_reason for h in la.list_sessions(kind="historic")] == ["IDLE_TIMEOUT"]
    sess.stopped = True  # the vendor closed it
    la._open.clear()


def test_the_keep_alive_thread_keeps_an_idle_session_open(fake_vendors: RunningFakeVendors,
                                                          recorder: UsageRecorder) -> None:
    memory(fake_vendors).idle_timeout = 0.6
    client = LiveAvatarClient(api_key=LA_KEY, base_url=fake_vendors.liveavatar_url, recorder=recorder, avatar_id=WAYNE,
                              keep_alive_seconds=0.15)
    with client.session() as sess:
        time.sleep(1.0)
        assert sess.keep_alive is not None and sess.keep_alive.sent >= 4 and sess.keep_alive.failed == 0
        assert [s.id for s in client.list_sessions()] == [sess.session_id]
    assert sess.keep_alive is not None and not sess.keep_alive.running
    client.close()


def test_lists_credits_and_pages(la: LiveAvatarClient, fake_vendors: RunningFakeVendors,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert [a.name for a in la.list_avatars(public=True)] == ["Wayne"]
    assert [a.id for a in la.list_avatars()] == [WAYNE]
    assert [v.name for v in la.list_voices()] == ["Wayne", "June"]
    assert [c.name for c in la.list_contexts()] == ["TinyTalk tutor"]
    assert la.credits().credits_left == "1000.00"
    monkeypatch.setitem(fake_vendors.state.payloads, "liveavatar_voices", [  # the shared server: put back after
        {**fake_vendors.state.payloads["liveavatar_voices"][0], "id": f"00000000-0000-4000-8000-{i:012d}"}
        for i in range(130)])
    assert len(la.list_voices()) == 130  # two pages of 100
    with la.session():
        pass
    assert la.credits_used() == 2 and la.credits().credits_left == "998.00"


def test_stop_all_finds_sessions_opened_elsewhere(la: LiveAvatarClient, fake_vendors: RunningFakeVendors,
                                                  sqlite_engine: Engine) -> None:
    other = LiveAvatarClient(api_key=LA_KEY, base_url=fake_vendors.liveavatar_url, avatar_id=WAYNE,
                             keep_alive_seconds=None)
    leaked = [other.open_session().session_id for _ in range(2)]
    other._open.clear()  # as if the process had died
    stopped = la.stop_all()
    assert sorted(s.id for s in stopped) == sorted(leaked) and la.list_sessions() == []
    reasons = {h.end_reason for h in la.list_sessions(kind="historic")}
    assert reasons == {"ZOMBIE_SESSION_REAP"}
    stops = [r for r in usage_rows(sqlite_engine) if r["operation"] == "liveavatar_stop"]
    assert len(stops) == 2 and all(float(r["cost_usd"]) == pytest.approx(0.20) for r in stops)


def test_a_broken_answer_is_a_provider_error_with_one_row() -> None:
    import httpx

    from tinytalk_sdk.providers.base import UsageRecorder

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": 100, "data": {"session_token": "x"}, "message": "ok"})

    recorder = UsageRecorder()
    client = LiveAvatarClient(api_key=LA_KEY, recorder=recorder, avatar_id=WAYNE,
                              transport=httpx.MockTransport(handler))
    with pytest.raises(ProviderError, match="session_id"):
        client.open_session()
    assert [(e.operation, e.status) for e in recorder.entries] == [("liveavatar_token", "ok")]


def test_an_error_code_inside_a_200_is_an_error() -> None:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"code": 400123, "data": None, "message": "Avatar not found"})

    client = LiveAvatarClient(api_key=LA_KEY, transport=httpx.MockTransport(handler))
    with pytest.raises(ProviderError, match="400123: Avatar not found"):
        client.list_contexts()


def test_missing_key() -> None:
    with pytest.raises(MissingCredentialError, match="liveavatar_api_key"):
        LiveAvatarClient(api_key=None)


HOLDER = textwrap.dedent("""
    import sys, time
    from tinytalk_sdk.providers.liveavatar import LiveAvatarClient
    client = LiveAvatarClient(api_key=sys.argv[2], base_url=sys.argv[1], avatar_id=sys.argv[3])
    with client.session() as sess:
        print(sess.session_id, flush=True)
        time.sleep(60)
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_session(fake_vendors: RunningFakeVendors, sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, fake_vendors.liveavatar_url, LA_KEY, WAYNE],
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    sid = proc.stdout.readline().strip()
    assert sid, "the session holder did not start"
    proc.send_signal(sig)
    proc.wait(timeout=20)
    sess = memory(fake_vendors).sessions[sid]
    assert (sess["status"], sess["end_reason"]) == ("closed", "USER_CLOSED")


def test_fake_records_only_well_formed_events(la: LiveAvatarClient, fake_vendors: RunningFakeVendors) -> None:
    import base64

    import httpx

    from tinytalk_sdk.providers.liveavatar_room import encode_event

    with la.session(connect=True) as sess:
        assert sess.room is not None and isinstance(sess.room, LoopbackRoom)
        bad = {"event_id": "1", "event_type": "avatar.dance", "session_id": sess.session_id}
        answer = httpx.post(fake_vendors.liveavatar_url + "/_fake/livekit/data",
                            json={"token": sess.livekit_client_token, "topic": "agent-control",
                                  "payload": base64.b64encode(encode_event(bad)).decode()})
        assert answer.status_code == 400 and "event_type" in answer.text
        forged = httpx.post(fake_vendors.liveavatar_url + "/_fake/livekit/data",
                            json={"token": sess.livekit_client_token[:-4] + "AAAA", "topic": "agent-control",
                                  "payload": base64.b64encode(json.dumps(bad).encode()).decode()})
        assert forged.status_code == 401
    assert memory(fake_vendors).events == []


def test_tokens_never_reach_logs_rows_or_errors(la: LiveAvatarClient, fake_vendors: RunningFakeVendors,
                                                 sqlite_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    with la.session(connect=True) as sess:
        la.speak_text(sess, "Hi!")
        secrets = [sess.session_token, sess.livekit_client_token]
        memory(fake_vendors).sessions[sess.session_id]["status"] = "closed"  # the vendor ends it under us
        with pytest.raises(ProviderError) as info:
            la.keep_alive(sess)
        memory(fake_vendors).sessions[sess.session_id]["status"] = "active"
    rows = json.dumps(usage_rows(sqlite_engine), default=str)
    for secret in [s for s in secrets if s]:
        assert secret not in caplog.text and secret not in rows and secret not in str(info.value)
        assert secret not in repr(sess)
    assert LA_KEY not in caplog.text and LA_KEY not in rows


def test_a_sandbox_session_uses_wayne_and_costs_no_credits(fake_vendors: RunningFakeVendors,
                                                          recorder: UsageRecorder, sqlite_engine: Engine) -> None:
    from tinytalk_sdk.providers.liveavatar import SANDBOX_AVATAR_ID

    client = LiveAvatarClient(api_key=LA_KEY, base_url=fake_vendors.liveavatar_url, is_sandbox=True,
                              keep_alive_seconds=None, recorder=recorder)
    assert client.token_config().body()["is_sandbox"] is True and client.token_config().avatar_id == SANDBOX_AVATAR_ID
    with client.session():
        pass
    assert [(h.is_sandbox, h.credits_consumed) for h in client.list_sessions(kind="history")] == [(True, 0)]
    stop = next(r for r in usage_rows(sqlite_engine) if r["operation"] == "liveavatar_stop")
    assert float(stop["cost_usd"]) == 0 and float(stop["session_minutes"]) > 0
    with pytest.raises(ValidationError, match="set liveavatar_avatar_id"):
        LiveAvatarClient(api_key=LA_KEY).token_config()


def test_a_forgotten_session_is_not_kept_alive_for_ever(fake_vendors: RunningFakeVendors,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """An app that never calls heygen_stop.php: after max_idle_seconds without use the pings stop, and the
    vendor's idle timeout ends the session (the client does not keep it billed)."""
    memory(fake_vendors).idle_timeout = 0.5
    client = LiveAvatarClient(api_key=LA_KEY, base_url=fake_vendors.liveavatar_url, avatar_id=WAYNE,
                              keep_alive_seconds=0.1, max_idle_seconds=0.3)
    sess = client.open_session()
    time.sleep(1.2)
    assert sess.keep_alive is not None and not sess.keep_alive.running and 1 <= sess.keep_alive.sent <= 3
    assert "no more keep-alives" in caplog.text
    assert [h.end_reason for h in client.list_sessions(kind="historic")] == ["IDLE_TIMEOUT"]
    client._open.clear()

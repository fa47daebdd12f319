"""Fakes that tell the truth: OpenAI, ElevenLabs, HeyGen and LiveAvatar as one Starlette app on loopback.

Same paths, auth headers, status codes, JSON envelopes, error bodies and stream framing as the vendors
document (PROVIDERS.md), so that the official ``openai`` and ``elevenlabs`` packages run unchanged against
it through their base-URL options::

    OpenAI      {base}/v1          Authorization: Bearer <key>        fakes/openai.py
    ElevenLabs  {base}             xi-api-key: <key>                  fakes/elevenlabs.py
    HeyGen      {base}             X-Api-Key: <key>                   fakes/heygen.py
    LiveAvatar  {base}/liveavatar  X-API-KEY / Bearer session token   fakes/liveavatar.py

One module per vendor over the loopback-server base ``_server`` (state, scenarios, request log, uvicorn
thread); ``_app`` joins them. Scenarios (one-shot, per vendor) switch a response to a failure: set them in
the app state (``fake.state.push("openai", "rate_limit", retry_after=0.1)``) or per request with the header
``X-Fake-Scenario: rate_limit;retry_after=0.1``. Names: ``slow_first_token`` (``delay``), ``rate_limit``
(``retry_after``), ``quota`` (OpenAI insufficient_quota / ElevenLabs quota_exceeded), ``server_error``,
``malformed_chunk``, ``cut_stream`` (``after`` chunks), ``revoked_key``, ``concurrency_limit`` (HeyGen; also hit
for real when ``state.heygen_limit`` sessions are open).

Payload shapes come from the recorded examples in ``tests/fixtures/vendors/*.json`` when the app is built
with ``payloads_dir``; the built-in copies have the same shapes (a test keeps the two in step).
"""

from ._app import DEFAULT_PAYLOADS, VENDORS, build_app, load_payloads, start_fake_vendors
from ._server import FakeState, RunningFakeVendors, Scenario

__all__ = [
    "DEFAULT_PAYLOADS",
    "VENDORS",
    "FakeState",
    "RunningFakeVendors",
    "Scenario",
    "build_app",
    "load_payloads",
    "start_fake_vendors",
]

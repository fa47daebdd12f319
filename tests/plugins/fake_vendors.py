"""The vendor fakes (OpenAI, ElevenLabs, HeyGen) on a free loopback port, once per test session.

Fixtures:
- ``fake_vendors_server``: session-scoped :class:`~tinytalk_sdk.testing.fake_vendors.RunningFakeVendors`
  replaying the recorded payloads in ``tests/fixtures/vendors``;
- ``fake_vendors``: the same server with its state (scenarios, revoked keys, sessions, log) reset for the test;
- ``fake_vendor_env``: ``fake_vendors`` plus ``TINYTALK_*`` variables pointing a profile's providers at it.

Point the official clients at it: ``openai.OpenAI(base_url=fake.openai_url)``,
``ElevenLabs(base_url=fake.elevenlabs_url)``, ``HeyGenClient(base_url=fake.heygen_url)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

__all__ = ["fake_vendor_env", "fake_vendors", "fake_vendors_server"]

PAYLOADS = Path(__file__).resolve().parent.parent / "fixtures" / "vendors"


@pytest.fixture(scope="session")
def fake_vendors_server() -> Iterator[RunningFakeVendors]:
    from tinytalk_sdk.testing.fake_vendors import start_fake_vendors

    server = start_fake_vendors(payloads_dir=PAYLOADS)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_vendors(fake_vendors_server: RunningFakeVendors) -> Iterator[RunningFakeVendors]:
    fake_vendors_server.state.reset()
    yield fake_vendors_server
    fake_vendors_server.state.reset()


@pytest.fixture
def fake_vendor_env(fake_vendors: RunningFakeVendors, monkeypatch: pytest.MonkeyPatch) -> RunningFakeVendors:
    for key, value in fake_vendors.env().items():
        monkeypatch.setenv(key, value)
    return fake_vendors

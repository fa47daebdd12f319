"""Provider tests: the adapters with the official packages, against the vendor fakes on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tinytalk_sdk.providers.base import UsageRecorder
    from tinytalk_sdk.providers.elevenlabs_provider import ElevenLabsProvider
    from tinytalk_sdk.providers.heygen import HeyGenClient
    from tinytalk_sdk.providers.openai_provider import OpenAIProvider
    from tinytalk_sdk.testing.fake_vendors import RunningFakeVendors

OPENAI_KEY = "sk-proj-test0123456789abcdefWXYZ"
ELEVEN_KEY = "xi-test-0123456789abcdef"
HEYGEN_KEY = "hg-test-0123456789abcdef"


@pytest.fixture
def recorder(sqlite_engine: Engine) -> UsageRecorder:
    from tinytalk_sdk.providers.base import UsageRecorder

    return UsageRecorder(sqlite_engine)


@pytest.fixture
def openai_provider(fake_vendors: RunningFakeVendors, recorder: UsageRecorder) -> Iterator[OpenAIProvider]:
    from tinytalk_sdk.providers.openai_provider import OpenAIProvider

    provider = OpenAIProvider(api_key=OPENAI_KEY, base_url=fake_vendors.openai_url, recorder=recorder)
    yield provider
    provider.close()


@pytest.fixture
def eleven(fake_vendors: RunningFakeVendors, recorder: UsageRecorder) -> ElevenLabsProvider:
    from tinytalk_sdk.providers._retry import RetryPolicy
    from tinytalk_sdk.providers.elevenlabs_provider import ElevenLabsProvider

    return ElevenLabsProvider(api_key=ELEVEN_KEY, base_url=fake_vendors.elevenlabs_url, recorder=recorder,
                              retry=RetryPolicy(initial_delay=0.01))


@pytest.fixture
def heygen(fake_vendors: RunningFakeVendors, recorder: UsageRecorder) -> Iterator[HeyGenClient]:
    from tinytalk_sdk.providers._retry import RetryPolicy
    from tinytalk_sdk.providers.heygen import HeyGenClient

    client = HeyGenClient(api_key=HEYGEN_KEY, base_url=fake_vendors.heygen_url, recorder=recorder,
                          avatar_id="Wayne_20240711", retry=RetryPolicy(initial_delay=0.01))
    yield client
    client.close()


def usage_rows(engine: Engine) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from tinytalk_sdk.db.models import ApiUsageLog
    from tinytalk_sdk.db.session import transaction

    with transaction(engine) as session:
        rows = session.scalars(select(ApiUsageLog).order_by(ApiUsageLog.id)).all()
        return [{c.name: getattr(r, c.name) for c in ApiUsageLog.__table__.columns} for r in rows]

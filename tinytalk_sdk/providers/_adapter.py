"""What the three vendor adapters (OpenAI, ElevenLabs, HeyGen) share: key checks and setup.

A missing key is a :class:`MissingCredentialError` naming the config setting; a given key is registered
as a secret (redacted from every message and log line) before anything else happens; every adapter writes
its own usage rows through ``recorder`` (``records_usage = True``, see :mod:`.bundle`).
"""

from __future__ import annotations

from typing import ClassVar

from .._exceptions import MissingCredentialError
from .._redact import register_secret
from .base import UsageRecorder

__all__ = ["VendorAdapter"]


class VendorAdapter:
    name: str
    service: str
    key_setting: ClassVar[str]  # the config key of the API key, named by MissingCredentialError
    records_usage: ClassVar[bool] = True  # every method writes its own usage row (see providers.bundle)

    def __init__(
        self, *, api_key: str | None, recorder: UsageRecorder | None, base_url: str | None, timeout: float,
        profile: str,
    ) -> None:
        if not api_key:
            raise MissingCredentialError(self.key_setting, profile=profile)
        register_secret(api_key)
        self._api_key = api_key
        self.base_url = base_url
        self.recorder = recorder or UsageRecorder()
        self.timeout = timeout

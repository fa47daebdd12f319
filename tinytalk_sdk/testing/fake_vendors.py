"""The vendor fakes under their first name: a facade over :mod:`tinytalk_sdk.testing.fakes`.

Kept so that ``from tinytalk_sdk.testing.fake_vendors import start_fake_vendors`` goes on working; new code
imports from ``tinytalk_sdk.testing.fakes``.
"""

from .fakes import (
    DEFAULT_PAYLOADS,
    FakeState,
    RunningFakeVendors,
    Scenario,
    build_app,
    load_payloads,
    start_fake_vendors,
)

__all__ = [
    "DEFAULT_PAYLOADS",
    "FakeState",
    "RunningFakeVendors",
    "Scenario",
    "build_app",
    "load_payloads",
    "start_fake_vendors",
]

"""Hypothesis settings of the generated-input suites (issue 12).

The ``tinytalk`` profile keeps every property to a bounded, deterministic number of examples so the whole
folder runs in seconds in CI; ``HYPOTHESIS_PROFILE=deep`` runs many more locally when hunting.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "tinytalk",
    max_examples=100,
    deadline=None,  # a loaded 2-core CI machine must not turn slowness into a failure
    derandomize=True,  # the same examples every run: a red build is reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("deep", parent=settings.get_profile("tinytalk"), max_examples=2000, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "tinytalk"))

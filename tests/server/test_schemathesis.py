"""Schemathesis against the live local server: every operation of /api/openapi.json, with a token and
without, a bounded number of generated examples each (CI budget). Checks: no 5xx, status codes, content
types and bodies match the document, every error is the documented envelope, auth is not ignored,
unsupported methods are 405, invalid data is refused. Then Schemathesis's own runner does its coverage
phase (boundary values, missing bodies, every method) with a token."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from tests.plugins.api_server import ApiServer, _start
from tinytalk_sdk import redact

# Per operation, auth mode and generation mode (27 x 2 x 2 x 4 requests, ~40 s on 2 cores);
# TINYTALK_FUZZ_EXAMPLES=200 for a deeper run by hand.
EXAMPLES = int(os.environ.get("TINYTALK_FUZZ_EXAMPLES", "4"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
# A valid request for a session that is not the caller's is rightly a 404: "valid data must be accepted"
# does not hold for an API with owners.
EXCLUDED = [positive_data_acceptance]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """A server of its own, with the default throttles (generated logins do lock it; a 429 is documented)."""
    from tinytalk_sdk.auth_throttle import AuthLimits

    folder: Path = tmp_path_factory.mktemp("schemathesis")
    server = _start(f"sqlite:///{folder / 'fuzz.db'}", folder, auth_limits=AuthLimits())
    try:
        yield server
    finally:
        server.stop()


FUZZ_EMAIL = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"


@pytest.fixture(scope="module")
def fuzz_token(fuzz_server: ApiServer) -> str:
    r = httpx.post(fuzz_server.base_url + "/auth_register.php", timeout=30,
                   json={"email": FUZZ_EMAIL, "pin": "1234", "name": "Fuzz"})
    assert r.status_code == 201, r.text
    token: str = r.json()["data"]["token"]
    return token


def _login(server: ApiServer) -> str:
    r = httpx.post(server.base_url + "/auth_login.php", json={"email": FUZZ_EMAIL, "pin": "1234"}, timeout=30)
    assert r.status_code == 200, r.text
    token: str = r.json()["data"]["token"]
    return token


@pytest.fixture(scope="module")
def api_schema(fuzz_server: ApiServer) -> Any:
    document = httpx.get(fuzz_server.base_url + "/openapi.json", timeout=30).json()
    return schemathesis.openapi.from_dict(document)


def _cases() -> list[Any]:
    """(path, METHOD, authed, mode) of every operation, known without a server (ids stay readable).
    Negative mode needs something to break: operations with no input and no auth have none."""
    from tinytalk_sdk.types import ENDPOINTS

    ops = {(e.path, e.method): e for e in ENDPOINTS}
    ops.update({(e.path, "GET"): e for e in ENDPOINTS if e.stream == "sse"})
    cases = []
    for (path, method), ep in sorted(ops.items()):
        has_input = ep.body != "none" or ep.auth or ep.retry == "key"
        for authed in (True, False):
            # Without a token an authenticated endpoint answers 401 before it reads its input: positive only.
            negative = has_input and (authed or not ep.auth)
            for mode in ("positive", "negative") if negative else ("positive",):
                ident = f"{method} {path}-{'token' if authed else 'no-token'}-{mode}"
                cases.append(pytest.param(path, method, authed, mode, id=ident))
    return cases


# schemathesis.pytest.from_fixture does not run under pytest 9 (it sets a private node attribute), so the
# operations are parametrized here and each one's Hypothesis strategy is drawn from inside the test.
@pytest.mark.parametrize(("path", "method", "authed", "mode"), _cases())
def test_operation(api_schema: Any, fuzz_server: ApiServer, fuzz_token: str, path: str, method: str,
                   authed: bool, mode: str) -> None:
    operation = api_schema[path][method]

    def headers() -> dict[str, str]:
        if not authed:
            return {}
        if path == "/auth_logout.php":  # logging out revokes the token: spend a fresh one each time
            return {"Authorization": f"Bearer {_login(fuzz_server)}"}
        return {"Authorization": f"Bearer {fuzz_token}"}

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=fuzz_server.base_url, headers=headers(), excluded_checks=EXCLUDED,
                               timeout=30)

    run()


def test_coverage_phase_with_a_token(fuzz_server: ApiServer, fuzz_token: str, tmp_path: Path) -> None:
    """Schemathesis's own runner, coverage phase: boundary values, missing bodies and parameters, every
    undocumented method and the preflight's ``Allow`` of every operation (deterministic, ~1 min)."""
    st = Path(sys.executable).parent / "st"
    command = [str(st), "run", fuzz_server.base_url + "/openapi.json", "--url", fuzz_server.base_url,
               "-H", f"Authorization: Bearer {fuzz_token}", "--checks", "all",
               "--exclude-checks", "positive_data_acceptance", "--exclude-path", "/auth_logout.php",
               "--phases", "coverage", "--no-color", "--report-dir", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False,
                            env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    assert result.returncode == 0, redact(result.stdout[-6000:], [fuzz_token])


def test_the_document_covers_every_route(api_schema: Any) -> None:
    from tinytalk_sdk.types import ENDPOINTS

    document = api_schema.raw_schema
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert {(e.path, e.method.lower()) for e in ENDPOINTS} <= operations
    assert len(operations) == len(ENDPOINTS) + 1  # + GET gpt_stream.php (EventSource)
    assert document["openapi"].startswith("3.1")

"""The public names of the server package, pinned; importing it stays light."""

from __future__ import annotations

import subprocess
import sys


def test_public_names() -> None:
    import tinytalk_sdk.server as server

    assert server.__all__ == ["FaultPlan", "RunningServer", "create_app", "parse_faults", "start_background_server"]
    for name in server.__all__:
        assert getattr(server, name) is not None


def test_import_is_light() -> None:
    code = ("import sys, tinytalk_sdk.server, tinytalk_sdk.server.paths, tinytalk_sdk.providers.bundle; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'sqlalchemy', 'numpy', 'pydantic') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

"""Fixtures of the data-layer tests: the CLI runner on a given database."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from typer.testing import Result


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Invoke `tinytalk` in-process (Typer's runner) against the database URL given as ``db=``."""
    from typer.testing import CliRunner

    from tinytalk_cli.main import app

    def invoke(*args: str, db: str | None = None, input: str | None = None, **env: Any) -> Result:
        if db is not None:
            monkeypatch.setenv("TINYTALK_DATABASE_URL", db)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return CliRunner().invoke(app, list(args), input=input)

    return invoke

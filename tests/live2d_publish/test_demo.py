"""The `live2d` demo step end to end: generate → validate → publish twice → register → get_character.php."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tinytalk_cli.main import app


def test_demo_publishes_registers_and_the_api_returns_it() -> None:
    result = CliRunner().invoke(app, ["demo", "--only", "db", "--only", "server", "--only", "live2d", "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)["facts"]["live2d"]
    assert facts["uploaded_bytes"] > 0
    assert facts["republish_uploaded_bytes"] == 0  # unchanged model: nothing travels
    assert facts["api_emotions"] == 7
    assert facts["model_url"].endswith(f"/assets/live2d/hiyori/v/{facts['version']}/Hiyori.model3.json")

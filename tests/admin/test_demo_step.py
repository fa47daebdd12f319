"""The `admin` demo step: a persona edit with history and diff, repeatable on the same database."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tinytalk_cli.main import app


def test_demo_admin_step_twice() -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--only", "admin", "--json"], catch_exceptions=False)
    assert first.exit_code == 0, first.stderr
    facts = json.loads(first.stdout)["facts"]
    assert facts["persona"] == {"name": "demo_coach", "version": 2, "history_rows": 2}
    second = runner.invoke(app, ["demo", "--only", "admin"], catch_exceptions=False)
    assert second.exit_code == 0, second.stderr
    assert "v2 → v3" in second.stderr and "+++ demo_coach@v3" in second.stderr
    assert second.stdout == ""  # people's output goes to stderr

"""Public names of the area's SDK modules, and the CLI help every command must carry."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tinytalk_cli.main import app
from tinytalk_sdk import pricing
from tinytalk_sdk.admin import assignments, characters, csvfile, dashboard, usage, usage_chart


def test_public_names() -> None:
    assert set(pricing.__all__) >= {"PriceTable", "estimate_cost", "load_price_table"}
    assert set(assignments.__all__) == {"COLUMNS", "HEADER_ALIASES", "ImportResult", "RowError",
                                        "export_assignments", "import_assignments", "row_schema"}
    assert set(characters.__all__) >= {"check_characters", "create_character", "get_character",
                                       "list_characters", "update_character", "incomplete_characters"}
    assert set(usage.__all__) == {"GROUPINGS", "USAGE_EXPORT_COLUMNS", "UsageReport", "cost_by_day",
                                  "export_usage", "usage_report", "iter_usage", "rollup", "RollupResult",
                                  "RollupThread", "export_parquet", "ParquetExport", "duckdb_report"}
    assert dashboard.__all__ == ["DEFAULT_AVATAR_PROVIDER", "dashboard"]
    assert "render_chart" in usage_chart.__all__ and "read_table" in csvfile.__all__
    for module in (pricing, assignments, characters, usage, dashboard, usage_chart, csvfile):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_row_schema_is_the_file_in_schemas() -> None:
    schema = assignments.row_schema()
    assert schema["required"] == ["email", "character"]
    assert set(schema["properties"]) == set(assignments.COLUMNS)


@pytest.mark.parametrize(
    "command",
    [["characters", "list"], ["characters", "show"], ["characters", "create"], ["characters", "update"],
     ["characters", "check"], ["assignments", "import"], ["assignments", "export"], ["usage", "report"],
     ["usage", "export"], ["usage", "rollup"], ["dashboard"]],
)
def test_help_has_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout

"""docs/commands.md is generated from the Typer app (scripts/gen_cli_docs.py) and must not go stale."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from typer.main import get_command

from tinytalk_cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_cli_docs.py"


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _leaves(cmd: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    sub = getattr(cmd, "commands", None)
    if not sub:
        return [path]
    return [leaf for name, child in sub.items() for leaf in _leaves(child, (*path, name))]


def test_commands_md_is_up_to_date() -> None:
    doc = ROOT / "docs" / "commands.md"
    assert doc.read_text(encoding="utf-8") == _gen().render(), "stale: run python scripts/gen_cli_docs.py"


def test_reference_names_every_command_with_usage_options_and_example() -> None:
    text = _gen().render()
    for path in _leaves(get_command(app)):
        name = " ".join(("tinytalk", *path))
        section = text.split(f"## `{name}`\n", 1)[1].split("\n## ", 1)[0]
        assert f"\n{name} [OPTIONS]" in section, f"{name}: no usage line"
        assert "Example: `" in section, f"{name}: no Example line"
        assert "`--json`" in section or path == ("serve",), f"{name}: options missing"


def test_check_mode_exits_1_when_stale(tmp_path: Path) -> None:
    gen = _gen()
    doc = tmp_path / "commands.md"
    setattr(gen, "DOC", doc)  # noqa: B010 - the module is loaded from a file: mypy cannot see DOC
    doc.write_text("# old\n", encoding="utf-8")
    assert gen.main(["--check"]) == 1
    assert doc.read_text(encoding="utf-8") == "# old\n"  # --check writes nothing
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0


def test_script_runs_as_a_command() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr

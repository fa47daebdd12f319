"""How fast does `tinytalk --help` start, against a bare interpreter and a minimal Typer app?

Prints medians over N runs (default 15) and the ratios; the goal is `tinytalk --help` ≈ a Typer hello-world.
Run: .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELLO = """
import typer
app = typer.Typer()
@app.callback()
def main(verbose: bool = False) -> None:
    pass
@app.command()
def hello(name: str = "world") -> None:
    print(f"hello {name}")
app()
"""


def median_seconds(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    runs = max(10, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text(HELLO)
        py = sys.executable
        tinytalk = str(Path(py).with_name("tinytalk"))
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "typer hello --help": [py, str(hello), "--help"],
            # a subcommand's --help runs the root callback too (Typer then loads its pydantic adapters)
            "typer hello sub --help": [py, str(hello), "hello", "--help"],
            "tinytalk --help": [tinytalk, "--help"],
            "tinytalk db --help": [tinytalk, "db", "--help"],
        }
        results = {name: median_seconds(cmd, runs) for name, cmd in cases.items()}
    base, typer_hello = results["python -c pass"], results["typer hello --help"]
    print(f"median of {runs} runs each")
    for name, seconds in results.items():
        print(f"{name:<24} {seconds * 1000:8.1f} ms   x{seconds / base:5.1f} bare python   "
              f"x{seconds / typer_hello:4.2f} typer hello")


if __name__ == "__main__":
    main()

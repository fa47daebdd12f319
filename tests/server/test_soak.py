"""A short run of bench/soak.py: mixed traffic, injected drops/429s/stalls and a restart; no 5xx, no
duplicate row, no lost write."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"


def test_short_soak_has_no_5xx_duplicates_or_lost_writes() -> None:
    result = subprocess.run([sys.executable, str(SOAK), "--seconds", "6", "--workers", "3", "--json"],
                            capture_output=True, text=True, timeout=120, check=False)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, figures
    assert figures["requests"] > 40 and figures["pupils"] == 3 and figures["restarts"] == 1
    assert figures["server_errors_5xx"] == figures["duplicate_rows"] == figures["lost_writes"] == 0

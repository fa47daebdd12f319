"""Run one publish in a child process, slowly, printing each finished file (the kill-mid-way test).

Usage: python -m tests.live2d_publish._publish_child URL MODEL_DIR CONFIG_JSON DELAY_SECONDS
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tinytalk_sdk.cdn import PublishProgress, open_backend, publish


def main() -> None:
    url, model_dir, config, delay = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3]), float(sys.argv[4])

    def progress(event: PublishProgress) -> None:
        print(f"done {event.path}", flush=True)
        time.sleep(delay)  # leaves the parent time to kill us between two uploads

    backend = open_backend(url, config)
    try:
        result = publish(backend, model_dir, character="hiyori", max_workers=1, progress=progress)
    finally:
        backend.close()
    print(f"published {result.version}", flush=True)


if __name__ == "__main__":
    main()

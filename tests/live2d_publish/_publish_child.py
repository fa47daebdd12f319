"""Run one publish in a child process, printing each finished file (the kill-mid-way test).

Usage: python -m tests.live2d_publish._publish_child URL MODEL_DIR CONFIG_JSON

After each file the child waits for a line on stdin: the parent lets it go on, or kills it there.
(A fixed sleep here raced the parent on a loaded 2-core CI machine.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tinytalk_sdk.cdn import PublishProgress, open_backend, publish


def main() -> None:
    url, model_dir, config = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])

    def progress(event: PublishProgress) -> None:
        print(f"done {event.path}", flush=True)
        sys.stdin.readline()  # the parent's go-ahead (at EOF this returns at once: run to the end)

    backend = open_backend(url, config)
    try:
        result = publish(backend, model_dir, character="hiyori", max_workers=1, progress=progress)
    finally:
        backend.close()
    print(f"published {result.version}", flush=True)


if __name__ == "__main__":
    main()

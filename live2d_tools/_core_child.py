"""Child process for the Cubism Core load check: ``python -m live2d_tools._core_child MODEL3 PLAN_JSON``.

Runs in its own process because the Core aborts or segfaults on bad input instead of raising
(LIVE2D.md §10). ``live2d`` prints a banner on stdout, so the result is written as one marked line on
stdout and the parent ignores everything else. Exit code 0: loaded and played.
"""

from __future__ import annotations

import json
import os
import sys

MARK = "TINYTALK-CORE-RESULT "


def main(argv: list[str]) -> int:
    model3, plan = argv[1], json.loads(argv[2])
    frames = int(plan.get("frames", 10))
    import live2d

    live2d.init()
    model = live2d.Model()
    # Not model.HasMocConsistencyFromFile(): in live2d-py 1.0.0 it segfaults on any file. LoadModelJson runs
    # csmHasMocConsistency itself and logs "Inconsistent MOC3" on stderr before it fails.
    print(MARK + json.dumps({"stage": "load"}), flush=True)
    model.LoadModelJson(model3, False)  # no renderer: no GL context needed
    played = []
    for emotion, (group, index, expression) in plan.get("emotions", {}).items():
        print(MARK + json.dumps({"stage": f"emotion:{emotion}"}), flush=True)
        model.StartMotion(group, int(index), 3)
        if expression:
            model.SetExpression(expression)
        for _ in range(frames):
            model.Update(1 / 30)
        played.append(emotion)
    print(MARK + json.dumps({"ok": True, "stage": "done", "played": played}), flush=True)
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    # live2d-py 1.0.0 segfaults in interpreter teardown after a model without renderer was loaded; the result
    # is already written, so leave without running the teardown.
    os._exit(code)

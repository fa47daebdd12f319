"""``tinytalk qa load``: a class of simulated pupils on Locust, each running the pupil-turn pipeline.

The parent process (:mod:`.run`) checks, starts the target and cleans up; the Locust child (:mod:`.child`,
the only place Locust and gevent are imported, with :mod:`.pupil`) runs the pupils; :mod:`.verdict` holds
the thresholds and the capacity answer, :mod:`.report` the JSON and HTML reports. docs/load-testing.md.
"""

from .cleanup import remove_test_users
from .plan import (
    DEFAULT_STEPS,
    DEFAULT_UTTERANCES,
    LOAD_TAG,
    LoadPlan,
    Thresholds,
    parse_duration,
    parse_rate,
    parse_stage_limit,
    parse_steps,
)
from .report import write_reports
from .run import LoadReport, run_load, run_worker
from .safety import check_plan, estimate_cost, is_production
from .verdict import capacity, evaluate

__all__ = [
    "DEFAULT_STEPS",
    "DEFAULT_UTTERANCES",
    "LOAD_TAG",
    "LoadPlan",
    "LoadReport",
    "Thresholds",
    "capacity",
    "check_plan",
    "estimate_cost",
    "evaluate",
    "is_production",
    "parse_duration",
    "parse_rate",
    "parse_stage_limit",
    "parse_steps",
    "remove_test_users",
    "run_load",
    "run_worker",
    "write_reports",
]

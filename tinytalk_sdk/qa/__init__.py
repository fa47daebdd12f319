"""QA of the avatar modes: ``qa compare`` (HeyGen vs Replika) over the pupil-turn pipeline, its reports."""

from .compare import QA_TAG, QAReport, evaluate, run_compare
from .report import render_html, write_reports
from .script import MODES, Threshold, load_script, parse_threshold
from .stats import percentile

__all__ = [
    "MODES",
    "QA_TAG",
    "QAReport",
    "Threshold",
    "evaluate",
    "load_script",
    "parse_threshold",
    "percentile",
    "render_html",
    "run_compare",
    "write_reports",
]

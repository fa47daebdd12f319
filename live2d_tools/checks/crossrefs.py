"""Cross-references (XREF-001/002/005/006): every parameter and part id the other files use, against the moc3.

The kind checks record the uses on the checker (``param_uses``, ``part_uses``, ``cdi_parts``); this runs once
they all have, and only when the moc3's id sections could be read (otherwise it would only repeat the MOC-*).
"""

from __future__ import annotations

import math

from ._core import Checker


def check(c: Checker) -> None:
    moc = c.moc
    broken = {"MOC-001", "MOC-002", "MOC-003", "MOC-004", "MOC-005", "MOC-006"}
    # Cross-checks against a moc3 whose ID sections could not be read would only repeat its error.
    if moc is None or not moc.parameter_ids or any(p.rule_id in broken for p in moc.problems):
        return
    params = set(moc.parameter_ids)
    reported: set[tuple[str, str]] = set()
    for file, pointer, pid, value in c.param_uses:
        if pid not in params:
            if (file, pointer) not in reported:
                reported.add((file, pointer))
                c.add(
                    "XREF-001",
                    file,
                    pointer,
                    f"parameter '{pid}' is not in the moc3 (it silently does nothing)",
                    "Fix the ID's spelling or re-export the file together with the moc3.",
                )
            continue
        if value is not None and (file, pointer + "#range") not in reported:
            lo, hi, _ = moc.parameter_ranges.get(pid, (-math.inf, math.inf, 0.0))
            tol = 0.01 * (hi - lo)  # LIVE2D.md §6: real exports overshoot by up to 1 %
            if value < lo - tol or value > hi + tol:
                reported.add((file, pointer + "#range"))
                c.add(
                    "XREF-006",
                    file,
                    pointer,
                    f"value {value:g} for '{pid}' is outside its range [{lo:g}, {hi:g}] (the Core clamps it)",
                    "Keep the value inside the parameter's range.",
                )
    parts = set(moc.part_ids)
    for file, pointer, pid in c.part_uses:
        if pid in parts:
            continue
        if pid in c.cdi_parts:
            c.add(
                "XREF-005",
                file,
                pointer,
                f"part '{pid}' is listed in cdi3 but not exported in the moc3 "
                "(a guide/sketch part; the curve does nothing)",
                "Nothing to do if it is a guide part.",
            )
        else:
            c.add(
                "XREF-002",
                file,
                pointer,
                f"part '{pid}' is not in the moc3 (it silently does nothing)",
                "Fix the part ID or re-export the file together with the moc3.",
            )

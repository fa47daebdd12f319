"""Read part opacities from the Cubism Core inside the render child (live2d-py has no getter for them).

live2d-py links the Cubism Core statically and exports its C API (``csmGetPartOpacities``, ``csmGetPartIds``,
``csmGetPartCount``) and the Framework's ``CubismModel::GetModel()``; what it does not expose is the
``csmModel*`` of a loaded model. :class:`PartProbe` finds it once per model: it walks the pointers held by the
wrapper's C++ model object, asks ``CubismModel::GetModel()`` of each readable candidate and accepts the one
whose ``csmGetPartIds`` equal ``model.GetPartIds()`` exactly. Every address is checked against
``/proc/self/maps`` before it is read, so a wrong guess is "not found", never a crash. When it is not found
(another live2d-py build), :meth:`PartProbe.opacities` returns None and the caller says so; nothing else
depends on it. Runs only in the child process (``_render_child``).
"""

from __future__ import annotations

import ctypes
from typing import Any

__all__ = ["PartProbe"]

_GET_MODEL = "_ZNK6Live2D6Cubism9Framework11CubismModel8GetModelEv"  # CubismModel::GetModel() const


def _readable_ranges() -> list[tuple[int, int]]:
    ranges = []
    try:
        with open("/proc/self/maps", encoding="ascii") as fh:
            for line in fh:
                span, perms = line.split()[:2]
                if perms.startswith("r"):
                    lo, hi = span.split("-")
                    ranges.append((int(lo, 16), int(hi, 16)))
    except OSError:
        pass
    return ranges


class PartProbe:
    """Part opacities of one loaded live2d-py model, read from the Core's own arrays."""

    def __init__(self, live2d: Any, model: Any) -> None:
        self._ids: list[str] = list(model.GetPartIds())
        self._csm: int | None = None
        self._lib: Any = None
        try:
            self._lib = ctypes.CDLL(live2d._live2d.__file__)
            get_model = getattr(self._lib, _GET_MODEL)
        except (AttributeError, OSError):
            return
        get_model.restype, get_model.argtypes = ctypes.c_void_p, [ctypes.c_void_p]
        for name, res in (("csmGetPartCount", ctypes.c_int), ("csmGetPartIds", ctypes.POINTER(ctypes.c_char_p)),
                          ("csmGetPartOpacities", ctypes.POINTER(ctypes.c_float))):  # fmt: skip
            fn = getattr(self._lib, name)
            fn.restype, fn.argtypes = res, [ctypes.c_void_p]
        ranges = _readable_ranges()

        def readable(addr: int | None, size: int = 64) -> bool:
            return bool(addr) and any(lo <= addr and addr + size <= hi for lo, hi in ranges)  # type: ignore[operator]

        def word(addr: int) -> int:
            return ctypes.c_void_p.from_address(addr).value or 0

        # PyObject_HEAD (16 bytes) is followed by the wrapper's pointer to its C++ model object
        obj = word(id(model) + 16) if readable(id(model) + 16, 8) else 0
        if not readable(obj, 256):
            return
        for cand in (word(obj + 8 * i) for i in range(32)):
            if not readable(cand, 256):
                continue
            csm = get_model(cand)
            if not readable(csm, 16) or csm % 16:  # csmModel is 16-byte aligned (csmAlignofModel)
                continue
            if self._lib.csmGetPartCount(csm) != len(self._ids):
                continue
            names = self._lib.csmGetPartIds(csm)
            if not readable(ctypes.cast(names, ctypes.c_void_p).value, 8 * max(1, len(self._ids))):
                continue
            if [names[i].decode("utf-8", "replace") for i in range(len(self._ids))] == self._ids:
                self._csm = csm
                return

    @property
    def found(self) -> bool:
        return self._csm is not None

    def opacities(self) -> dict[str, float] | None:
        """``{part id: opacity}`` as the Core holds them now (after the last ``Update``), or None."""
        if self._csm is None:
            return None
        values = self._lib.csmGetPartOpacities(self._csm)
        return {pid: round(float(values[i]), 4) for i, pid in enumerate(self._ids)}

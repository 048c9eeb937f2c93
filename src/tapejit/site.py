"""Finds the user's line that called into tapejit, for error messages and the IR."""

from __future__ import annotations

import os
import re
import sys
import warnings

from tapejit.ir.core import Site

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_INTERNAL: dict[object, bool] = {}  # code object -> inside tapejit? (a cache)


def _is_internal(code) -> bool:
    found = _INTERNAL.get(code)
    if found is None:
        name = code.co_filename
        found = _INTERNAL[code] = name.startswith(_PACKAGE_DIR) or name.startswith("<frozen")
    return found


def user_site() -> Site | None:
    """The innermost frame outside the tapejit package, or None."""
    frame = sys._getframe(1)
    while frame is not None and _is_internal(frame.f_code):
        frame = frame.f_back
    if frame is None:
        return None
    code = frame.f_code
    return Site(code.co_filename, frame.f_lineno, code.co_name)


_NUMPY_CALL = re.compile(r"\b(?:np|numpy)\.([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def numpy_calls(site: Site | None) -> list[str]:
    """Names of the NumPy functions called on the user's line (`np.exp(x)` -> ['exp'])."""
    return _NUMPY_CALL.findall(site.line_text()) if site is not None else []


def numpy_hint(site: Site | None) -> str:
    """What to call instead of the NumPy functions on the user's line: `tnp.exp (from
    tapejit.numpy) instead of np.exp`, or a general hint."""
    names = numpy_calls(site)
    if not names:
        return "use tapejit ops (tj.math.*, or tapejit.numpy as tnp) instead of NumPy"
    tnp = sys.modules.get("tapejit.numpy")
    known = [n for n in names if tnp is not None and hasattr(tnp, n)]
    if not known:
        return (f"tapejit.numpy has no {', '.join(names)}: compute it with tapejit ops "
                f"(tj.math.*) so the tape can follow it")
    shown = ", ".join(f"tnp.{n}" for n in known)
    return f"use {shown} (import tapejit.numpy as tnp) instead of " + ", ".join(
        f"np.{n}" for n in known)


def warn_at_user_line(message: str, category: type[Warning]) -> None:
    """warnings.warn, attributed to the user's line rather than to tapejit's internals."""
    frame, level = sys._getframe(1), 2
    while frame is not None and _is_internal(frame.f_code):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)

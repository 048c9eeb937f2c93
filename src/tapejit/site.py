"""Finds the user's line that called into tapejit, for error messages and the IR."""

from __future__ import annotations

import os
import sys

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

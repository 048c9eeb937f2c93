"""Finds the user's line that called into tapejit, for error messages and the IR."""

from __future__ import annotations

import os
import sys

from tapejit.ir.core import Site

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_internal(filename: str) -> bool:
    return filename.startswith(_PACKAGE_DIR) or filename.startswith("<frozen")


def user_site() -> Site | None:
    """The innermost frame outside the tapejit package, or None."""
    frame = sys._getframe(1)
    while frame is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return None
    return Site(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)

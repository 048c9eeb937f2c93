"""Tolerance and whole-array comparisons with NumPy's semantics: isclose, allclose,
array_equal, array_equiv. The whole-array predicates return a 0-d boolean tensor, as
tnp.all does (NumPy returns a Python bool): `bool(...)` of it works eagerly, and under
tj.jit it is a traced value like any other."""

from __future__ import annotations

import warnings

import numpy as np

from tapejit import dtypes
from tapejit.numpy.arguments import operand
from tapejit.numpy.logic import equal, isfinite, isnan, less_equal, logical_and, logical_or
from tapejit.numpy.reductions import all as _all
from tapejit.numpy.ufuncs import abs as _abs
from tapejit.numpy.ufuncs import add, multiply, subtract
from tapejit.ops.numpy_policy import is_weak
from tapejit.ops.operands import cast
from tapejit.ops.shape import full
from tapejit.trace import Tracer


def _as_reference(b):
    """`b` as isclose measures relative to it: a float (integers and booleans in float64,
    Python integers as Python floats), so that x - b cannot wrap around."""
    if is_weak(b):
        return float(b)
    y = operand(b, "isclose")
    return y if y.dtype.kind == "f" else cast(y, dtypes.float64)


def _tolerance(y, rtol, atol):
    """atol + rtol * |y|, kept a Python number while every term is one (as in NumPy)."""
    magnitude = abs(y) if is_weak(y) else _abs(y)
    both_weak = is_weak(rtol) and is_weak(magnitude)
    scaled = rtol * magnitude if both_weak else multiply(rtol, magnitude)
    return atol + scaled if is_weak(atol) and is_weak(scaled) else add(atol, scaled)


def _check_tolerances(rtol, atol) -> None:
    """NumPy's complaint about a non-finite tolerance, as np.errstate(invalid=...) asks: a
    RuntimeWarning by default (tolerances known only when the compiled code runs are not
    checked)."""
    known = [t for t in (rtol, atol) if not isinstance(t, Tracer)]
    if all(np.all(np.isfinite(np.asarray(t, np.float64))) for t in known):
        return
    message = f"One of rtol or atol is not valid, atol: {atol}, rtol: {rtol}"
    action = np.geterr()["invalid"]
    if action == "raise":
        raise FloatingPointError(message)
    if action == "print":
        print(message)
    elif action == "warn":
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise |a - b| <= atol + rtol * |b| (np.isclose; not symmetric in a and b).
    inf is close only to an inf of the same sign; NaN to NaN only with equal_nan. Python
    numbers follow tapejit's dtype policy (see arguments.py)."""
    x = a if is_weak(a) else operand(a, "isclose")
    y = _as_reference(b)
    _check_tolerances(rtol, atol)
    tolerance = _tolerance(y, rtol, atol)
    with np.errstate(invalid="ignore"):
        distance = _abs(subtract(x, y))
    within = logical_and(less_equal(distance, tolerance), isfinite(y))
    close = logical_or(within, equal(x, y))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(x), isnan(y)))
    return close


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether every element of a is close to b (np.allclose; see isclose): a 0-d boolean
    tensor."""
    return _all(isclose(a, b, rtol, atol, equal_nan))


def _false():
    return full((), False, dtypes.bool_)


def array_equal(a1, a2, equal_nan=False):
    """Whether a1 and a2 have the same shape and elements (np.array_equal): a 0-d boolean
    tensor; different shapes give False. With equal_nan, NaNs at the same places count as
    equal."""
    x, y = operand(a1, "array_equal"), operand(a2, "array_equal")
    if tuple(x.shape) != tuple(y.shape):
        return _false()
    same = equal(x, y)
    if equal_nan:
        same = logical_or(same, logical_and(isnan(x), isnan(y)))
    return _all(same)


def array_equiv(a1, a2):
    """Whether a1 and a2 are equal after broadcasting (np.array_equiv): a 0-d boolean
    tensor; shapes that do not broadcast give False."""
    x, y = operand(a1, "array_equiv"), operand(a2, "array_equiv")
    try:
        np.broadcast_shapes(tuple(x.shape), tuple(y.shape))
    except ValueError:
        return _false()
    return _all(equal(x, y))

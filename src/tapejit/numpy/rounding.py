"""Rounding and remainders with NumPy's semantics: floor, ceil, trunc, fix, rint, round
(half to even, `decimals`), fmod, mod/remainder, floor_divide, divmod."""

from __future__ import annotations

import numpy as np

from tapejit.errors import DTypeError, op_error
from tapejit.numpy.arguments import operand, operands, reject_out
from tapejit.numpy.ufunc import binary, float_unary, unary
from tapejit.ops.operands import cast
from tapejit.primitives import rounding
from tapejit.site import user_site
from tapejit.trace import bind


def _integral_unary(name: str, prim):
    """floor, ceil, trunc: integers and booleans are already integral (NumPy 2 keeps their
    dtype); floats round by the primitive."""
    def compute(x):
        a = operand(x, name)
        return bind(prim, a) if a.dtype.kind == "f" else a
    return unary(name, compute, f"Elementwise {name} (np.{name}); integers and booleans are "
                 f"returned as they are, in their dtype.")


floor = _integral_unary("floor", rounding.floor_p)
ceil = _integral_unary("ceil", rounding.ceil_p)
trunc = _integral_unary("trunc", rounding.trunc_p)
rint = float_unary("rint", rounding.round_p,
                   "The nearest integer, halves to even (np.rint); integers give NumPy's "
                   "float type.")


def fix(x, out=None):
    """Round toward zero (np.fix): trunc, with integers as they are."""
    reject_out(out, "fix")
    return trunc(x)


def round(a, decimals=0, out=None):  # noqa: A001
    """Round to `decimals` places, halves to even, as np.round: x * 10**d is rounded to an
    integer and divided back (so 2.675 becomes 2.67 in float64, as in NumPy). Integers
    round only for negative `decimals` (computed in float64); booleans give float16."""
    reject_out(out, "round")
    decimals = int(decimals)
    x = operand(a, "round")
    if x.dtype.kind == "b":
        if decimals:
            raise op_error(DTypeError, "round", "NumPy cannot round booleans to decimals",
                           "cast to a number first", user_site())
        return bind(rounding.round_p, cast(x, np.float16))
    if x.dtype.kind in "iu":
        if decimals >= 0:
            return x
        return cast(_round_float(cast(x, np.float64), decimals), x.dtype)
    return _round_float(x, decimals)


def _round_float(x, decimals: int):
    if decimals == 0:
        return bind(rounding.round_p, x)
    scale = float(10.0 ** abs(decimals))
    if decimals > 0:
        return bind(rounding.round_p, x * scale) / scale
    return bind(rounding.round_p, x / scale) * scale


around = round


def _division_operands(name: str, x1, x2):
    """NumPy's operands of a remainder or floor division: booleans compute in int8."""
    a, b = operands(name, x1, x2)
    if a.dtype.kind == "b":
        a, b = cast(a, np.int8), cast(b, np.int8)
    return a, b


def _division(name: str, prim, doc: str):
    return binary(name, lambda x1, x2: bind(prim, *_division_operands(name, x1, x2)), doc)


fmod = _division("fmod", rounding.fmod_p,
                 "The remainder with the dividend's sign (C's fmod; np.fmod); integer x % 0 "
                 "is 0.")
mod = _division("remainder", rounding.mod_p,
                "The remainder with the divisor's sign (Python's %; np.remainder / np.mod); "
                "integer x % 0 is 0.")
remainder = mod
floor_divide = _division("floor_divide", rounding.floor_divide_p,
                         "The largest integer <= x1 / x2 (Python's //; np.floor_divide); "
                         "integer x // 0 is 0.")


def divmod(x1, x2, out1=None, out2=None, /, out=(None, None), *, where=True, dtype=None):  # noqa: A001
    """(floor_divide(x1, x2), mod(x1, x2)), as np.divmod."""
    for o in (out1, out2, *out):
        reject_out(o, "divmod")
    return (floor_divide(x1, x2, where=where, dtype=dtype),
            mod(x1, x2, where=where, dtype=dtype))


"""More elementwise arithmetic with NumPy's semantics: fmax and fmin (NaN-ignoring), clip,
nan_to_num, sign, copysign, reciprocal, positive, fabs, float_power."""

from __future__ import annotations

import numpy as np

from tapejit.errors import DTypeError, op_error
from tapejit.numpy.arguments import float_operands, operand, operands, reject_out
from tapejit.numpy.logic import isnan, signbit
from tapejit.numpy.ufunc import binary, unary
from tapejit.numpy.ufuncs import maximum, minimum
from tapejit.ops.compare import where as _select
from tapejit.ops.elementwise import abs as _abs
from tapejit.ops.operands import cast
from tapejit.primitives import arithmetic as arith
from tapejit.primitives import elementwise
from tapejit.site import user_site
from tapejit.trace import bind


def _no_bool(name: str, a):
    if a.dtype.kind == "b":
        raise op_error(DTypeError, name, "NumPy has no boolean version of this",
                       "cast the booleans to an integer or float dtype first", user_site())
    return a


def _nan_ignoring(name: str, chooser):
    def compute(x1, x2):
        a, b = operands(name, x1, x2)
        if a.dtype.kind != "f":
            return chooser(a, b)
        return _select(isnan(b), a, _select(isnan(a), b, chooser(a, b)))
    return binary(name, compute, f"Elementwise {name} (np.{name}): a NaN loses to a number; "
                  f"two NaNs give NaN. Ties share the gradient.")


fmax = _nan_ignoring("fmax", maximum)
fmin = _nan_ignoring("fmin", minimum)

_NO_VALUE = object()


def clip(a, a_min=_NO_VALUE, a_max=_NO_VALUE, out=None, *, min=_NO_VALUE,  # noqa: A002
         max=_NO_VALUE):  # noqa: A002
    """a limited to [a_min, a_max] (np.clip): minimum(maximum(a, a_min), a_max), so a_min >
    a_max gives a_max everywhere, and a NaN bound gives NaN. Either bound may be None (or
    both); `min`/`max` are NumPy 2's names for them."""
    reject_out(out, "clip")
    lo = _bound(a_min, min, "a_min", "min")
    hi = _bound(a_max, max, "a_max", "max")
    bounds = [b for b in (lo, hi) if b is not None]
    values = operands("clip", a, *bounds)
    result, rest = values[0], iter(values[1:])
    if lo is not None:
        result = maximum(result, next(rest))
    if hi is not None:
        result = minimum(result, next(rest))
    return result


def _bound(positional, keyword, name: str, keyword_name: str):
    if positional is not _NO_VALUE and keyword is not _NO_VALUE:
        raise op_error(TypeError, "clip", f"{name} and {keyword_name} are the same bound, "
                       "given twice", f"pass one of {name}= and {keyword_name}=", user_site())
    value = keyword if positional is _NO_VALUE else positional
    return None if value is _NO_VALUE else value


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """NaN -> `nan`, inf -> `posinf` (default: the dtype's largest), -inf -> `neginf`
    (default: its most negative), as np.nan_to_num; integers are returned as they are."""
    del copy
    a = operand(x, "nan_to_num")
    if a.dtype.kind != "f":
        return a
    info = np.finfo(a.dtype)
    top = info.max if posinf is None else posinf
    bottom = info.min if neginf is None else neginf
    kind = a.dtype.type
    out = _select(isnan(a), kind(nan), a)
    out = _select(out == kind(np.inf), kind(top), out)
    return _select(out == kind(-np.inf), kind(bottom), out)


def _sign(x):
    return bind(elementwise.sign_p, _no_bool("sign", operand(x, "sign")))


sign = unary("sign", _sign, "-1, 0 or 1 by the sign (np.sign); NaN gives NaN, booleans are "
             "rejected as by NumPy.")


def _copysign(x1, x2):
    a, b = float_operands("copysign", x1, x2)
    magnitude = _abs(a)
    return _select(signbit(b), -magnitude, magnitude)


copysign = binary("copysign", _copysign, "|x1| with the sign of x2 (np.copysign), including "
                  "the sign of -0.0 and of NaN.")


def _reciprocal(x):
    a = operand(x, "reciprocal")
    if a.dtype.kind == "f":
        return bind(arith.div_p, a.dtype.type(1), a)
    if a.dtype.kind == "b":
        a = cast(a, np.int8)
    one, zero = a.dtype.type(1), a.dtype.type(0)
    minus_one = a.dtype.type(-1) if a.dtype.kind == "i" else zero
    return _select(a == one, one, _select(a == minus_one, minus_one, zero))


reciprocal = unary("reciprocal", _reciprocal, "1 / x (np.reciprocal); for integers NumPy's "
                   "integer division: 1 / 0 is 0 here (NumPy's result is undefined).")


def _positive(x):
    return _no_bool("positive", operand(x, "positive"))


positive = unary("positive", _positive, "+x (np.positive): the same values; booleans are "
                 "rejected as by NumPy.")
fabs = unary("fabs", lambda x: _abs(float_operands("fabs", x)[0]),
             "|x| in NumPy's float type (np.fabs).")


def _float_power(x1, x2):
    a, b = operands("float_power", x1, x2)
    wide = np.promote_types(a.dtype, np.float64)
    return bind(arith.pow_p, cast(a, wide), cast(b, wide))


float_power = binary("float_power", _float_power, "x1 ** x2 in float64 (np.float_power).")

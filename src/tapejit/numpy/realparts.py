"""NumPy's complex-number helpers on real data (tapejit has no complex dtypes, and the
functions that compute reject complex input with a clear error): real, imag, conj,
conjugate, angle, isreal, iscomplex, isrealobj, iscomplexobj, real_if_close."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.numpy.arguments import float_dtype, operand
from tapejit.numpy.logic import isnan, signbit
from tapejit.numpy.ufunc import unary
from tapejit.numpy.ufuncs import multiply
from tapejit.ops.compare import where as _select
from tapejit.ops.operands import cast
from tapejit.ops.shape import full_like
from tapejit.tensor import Tensor, Variable


def real(val):
    """The real part (np.real): real data itself, in its own dtype."""
    return operand(val, "real")


def imag(val):
    """The imaginary part (np.imag): zeros of the data's shape and dtype."""
    x = operand(val, "imag")
    return full_like(x, 0, x.dtype)


def _conjugate(x):
    a = operand(x, "conjugate")
    return cast(a, dtypes.int8) if a.dtype.kind == "b" else a


conjugate = unary("conjugate", _conjugate, "The complex conjugate (np.conjugate): real data "
                  "as it is; booleans become int8, as in NumPy.")
conj = conjugate


def angle(z, deg=False):
    """The argument of z (np.angle): for real data arctan2(0, z), that is pi where the sign
    bit is set (negative numbers, -0.0 and -inf), 0 elsewhere and NaN for NaN; in NumPy's
    float type (int32 -> float64, int8 -> float16, bool -> float64). Its gradient is 0."""
    x = operand(z, "angle")
    kind = dtypes.float64 if x.dtype.kind == "b" else float_dtype(x.dtype)
    x = cast(x, kind)
    turned = _select(signbit(x), kind.type(np.pi), kind.type(0))
    result = _select(isnan(x), x, turned)
    return multiply(result, 180 / np.pi) if deg else result


def isreal(x):
    """Whether each element has a zero imaginary part (np.isreal): all true here."""
    a = operand(x, "isreal")
    return full_like(a, True, dtypes.bool_)


def iscomplex(x):
    """Whether each element has a nonzero imaginary part (np.iscomplex): all false here."""
    a = operand(x, "iscomplex")
    return full_like(a, False, dtypes.bool_)


def _has_complex_type(x) -> bool:
    if isinstance(x, (Tensor, Variable, np.ndarray, np.generic)):
        return np.dtype(x.dtype).kind == "c"
    if isinstance(x, (list, tuple)):
        return any(_has_complex_type(item) for item in x)
    return isinstance(x, complex)


def iscomplexobj(x) -> bool:
    """Whether x has a complex type (np.iscomplexobj): a Python bool, known when tracing.
    Always False for tensors; True for NumPy complex data, which it only inspects."""
    return _has_complex_type(x)


def isrealobj(x) -> bool:
    """not iscomplexobj(x) (np.isrealobj): a Python bool, known when tracing."""
    return not _has_complex_type(x)


def real_if_close(a, tol=100):
    """np.real_if_close: real data is returned as it is."""
    return operand(a, "real_if_close")

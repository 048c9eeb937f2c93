"""Polynomials as 1-d coefficient arrays, highest power first, with NumPy's signatures and
dtypes: polyval, vander, polyder, polyint, polyadd, polysub, polymul (np.*; NumPy's poly1d
class is not provided)."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import TracerArrayError, op_error
from tapejit.numpy.arguments import known_values, operand
from tapejit.numpy.joining import concatenate
from tapejit.numpy.rearranging import flip
from tapejit.numpy.scans import cumprod
from tapejit.numpy.shaping import atleast_1d, broadcast_to
from tapejit.numpy.signal import convolve
from tapejit.numpy.ufuncs import add, divide, multiply, subtract
from tapejit.ops.operands import cast
from tapejit.ops.shape import full, full_like, pad
from tapejit.site import user_site
from tapejit.tensor import Tensor


def _order(m, op: str, what: str, other: str) -> int:
    m = int(m)
    if m < 0:
        raise op_error(ValueError, op, f"Order of {what} must be positive (see {other}), got "
                       f"{m}", f"pass m >= 0, or use {other}", user_site())
    return m


def _sized(c, op: str):
    """NumPy's TypeError for a 0-d coefficient array; more than 1-d is not supported."""
    if c.ndim == 0:
        raise op_error(TypeError, op, "len() of unsized object: the coefficients are 0-d",
                       "pass a 1-d array of coefficients", user_site())
    if c.ndim > 1:
        raise op_error(NotImplementedError, op, f"coefficients of shape {c.shape}: only 1-d "
                       "coefficient arrays are supported", "pass one polynomial at a time",
                       user_site())
    return c


def polyval(p, x):
    """The polynomial p (highest power first) at x, by Horner's rule (np.polyval): of p's
    and x's common dtype; an empty p gives zeros of x's dtype. As in NumPy, a 2-d p holds
    the coefficients along its first axis."""
    c = operand(p, "polyval")
    if c.ndim == 0:
        raise op_error(TypeError, "polyval", "iteration over a 0-d array: p must hold the "
                       "coefficients along its first axis", "pass a 1-d array", user_site())
    at = operand(x, "polyval")
    y = full_like(at, 0)
    for i in range(c.shape[0]):
        y = add(multiply(y, at), c[i])
    return y


def vander(x, N=None, increasing=False):  # noqa: N803 (NumPy's name)
    """The Vandermonde matrix of the 1-d x (np.vander): columns x**(N-1), ..., x**0 (or
    rising), of x's dtype promoted with int64 (so float32 gives float64); powers by running
    products, as NumPy builds them."""
    v = operand(x, "vander")
    if v.ndim != 1:
        raise op_error(ValueError, "vander", "x must be a one-dimensional array or sequence.",
                       "pass a 1-d array", user_site())
    n = v.shape[0]
    columns = n if N is None else int(N)
    if columns < 0:
        raise op_error(ValueError, "vander", f"negative dimensions are not allowed (N = {N})",
                       "pass N >= 0", user_site())
    dtype = np.promote_types(v.dtype, dtypes.int64)
    if columns == 0:
        return full((n, 0), 0, dtype)
    parts = [full((n, 1), 1, dtype)]
    if columns > 1:
        repeated = broadcast_to(cast(v, dtype)[:, None], (n, columns - 1))
        parts.append(cumprod(repeated, axis=1))
    rising = concatenate(parts, axis=1)
    return rising if increasing else flip(rising, 1)


def polyder(p, m=1):
    """The m-th derivative of the polynomial p (np.polyder): its coefficients times int64
    powers, so integers give int64 and float32 gives float64 (m=0 gives p)."""
    m = _order(m, "polyder", "derivative", "polyint")
    c = _sized(operand(p, "polyder"), "polyder")
    for _ in range(m):
        c = multiply(c[:-1], np.arange(c.shape[0] - 1, 0, -1))
    return c


def _constants(k, m: int):
    """polyint's integration constants: none given is zeros; one is used m times."""
    values = atleast_1d(operand(np.zeros(m) if k is None else k, "polyint"))
    if values.ndim > 1:
        raise op_error(ValueError, "polyint", f"k of shape {values.shape}: the constants "
                       "must be a scalar or 1-d", "pass a scalar or a 1-d array", user_site())
    if values.shape[0] == 1 and m > 1:
        values = multiply(values[0], np.ones(m))
    if values.shape[0] < m:
        raise op_error(ValueError, "polyint", "k must be a scalar or a rank-1 array of length "
                       f"1 or >m (length {values.shape[0]}, m = {m}).",
                       "pass one constant per integration", user_site())
    return values


def polyint(p, m=1, k=None):
    """The m-th antiderivative of the polynomial p (np.polyint), the constants `k` (zeros
    by default; one for each integration, the highest first) as its low coefficients.
    Coefficients divide by int64 powers, so the result is at least float64 (m=0 gives p)."""
    m = _order(m, "polyint", "integral", "polyder")
    constants = _constants(k, m)
    c = operand(p, "polyint")
    if m == 0:
        return c
    c = _sized(c, "polyint")
    for i in range(m):
        c = concatenate([divide(c, np.arange(c.shape[0], 0, -1)), constants[i:i + 1]])
    return c


def _aligned(a1, a2, op: str):
    """Both coefficient arrays, the shorter one zero-padded at the front (in its dtype)."""
    x = _sized(atleast_1d(operand(a1, op)), op)
    y = _sized(atleast_1d(operand(a2, op)), op)
    gap = y.shape[0] - x.shape[0]
    if gap > 0:
        x = pad(x, ((gap, 0),))
    elif gap < 0:
        y = pad(y, ((-gap, 0),))
    return x, y


def polyadd(a1, a2):
    """The sum of two polynomials (np.polyadd), aligned at their constant terms."""
    return add(*_aligned(a1, a2, "polyadd"))


def polysub(a1, a2):
    """The difference of two polynomials (np.polysub); booleans are rejected, as by NumPy."""
    return subtract(*_aligned(a1, a2, "polysub"))


def _trimmed(a):
    """The coefficients without leading zeros, [0] when all are zero (np.poly1d's rule)."""
    c = atleast_1d(operand(a, "polymul"))
    if c.ndim > 1:
        raise op_error(ValueError, "polymul", f"Polynomial must be 1d only (shape {c.shape})",
                       "pass 1-d coefficient arrays", user_site())
    data = known_values(c)
    if data is None:
        raise op_error(TracerArrayError, "polymul", "the result's length depends on how many "
                       "leading coefficients of this traced polynomial are zero, so it cannot "
                       "be compiled", "call it outside tj.jit, or use tnp.convolve(a1, a2), "
                       "which keeps leading zeros", user_site())
    nonzero = np.flatnonzero(data != 0)
    if nonzero.size == 0:
        return Tensor(np.zeros(1, c.dtype))
    return c[int(nonzero[0]):]


def polymul(a1, a2):
    """The product of two polynomials (np.polymul): leading zeros are dropped first, as
    NumPy's poly1d does, so the result's length depends on the data: eager only when an
    input is traced (tnp.convolve keeps them and compiles)."""
    return convolve(_trimmed(a1), _trimmed(a2))

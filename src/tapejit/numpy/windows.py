"""Window functions and the Bessel function they need, with NumPy's signatures: hamming,
hanning, bartlett, blackman, kaiser and i0 (np.*).

i0 is its power series for |x| <= 20 and its asymptotic expansion beyond, with
coefficients computed exactly (as fractions) when the module loads. Every term of either
is positive, so the sums are within about 1e-15 of I0 (NumPy's Chebyshev series are within
about 1e-15 too). Differentiating the power series of I0 term by term gives the power
series of I1, and its asymptotic expansion gives I1's, so the derivative tapejit takes of
i0 is i1(x), as accurate (about 1e-15 relative; tests/test_numpy_numerics.py checks both
against 60-digit sums), and higher derivatives are those of the same sums."""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, TracerArrayError, op_error
from tapejit.numpy.arguments import operand
from tapejit.numpy.logic import less_equal, where
from tapejit.numpy.ufuncs import absolute, add, divide, exp, multiply, sqrt
from tapejit.ops.operands import cast
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import Tracer

_SERIES_UP_TO = 20.0
"""|x| up to which i0 sums its power series (36 terms: the first left out is below 2e-19 of
the sum there); above, its asymptotic expansion (30 terms: the first left out is below
3e-18 of the sum at 20, and smaller beyond)."""


@functools.cache
def _series_coefficients(terms: int = 36) -> tuple[float, ...]:
    """I0(x) = sum_k t**k / (k!)**2 with t = x**2 / 4."""
    return tuple(float(Fraction(1, math.factorial(k) ** 2)) for k in range(terms))


@functools.cache
def _asymptotic_coefficients(terms: int = 30) -> tuple[float, ...]:
    """I0(x) ~ e**x / sqrt(2 pi x) * sum_k a_k / x**k, a_k = ((2k-1)!!)**2 / (k! 8**k)."""
    out, a = [], Fraction(1)
    for k in range(terms):
        out.append(float(a))
        a *= Fraction((2 * k + 1) ** 2, 8 * (k + 1))
    return tuple(out)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _horner(coefficients: tuple[float, ...], t):
    total = multiply(t, coefficients[-1])
    for c in coefficients[-2:0:-1]:
        total = multiply(add(total, c), t)
    return add(total, coefficients[0])


def _bessel_i0(x):
    """I0 of a float64 tensor. Each branch sees only the arguments it is for (the other
    one's are replaced by a harmless value), so no inf or NaN reaches the gradient."""
    small = less_equal(absolute(x), _SERIES_UP_TO)
    near = where(small, x, 0.0)
    far = where(small, _SERIES_UP_TO, absolute(x))
    series = _horner(_series_coefficients(), multiply(multiply(near, near), 0.25))
    expansion = multiply(_horner(_asymptotic_coefficients(), divide(1.0, far)), _INV_SQRT_2PI)
    return where(small, series, divide(multiply(exp(far), expansion), sqrt(far)))


def i0(x):
    """The modified Bessel function of the first kind of order 0 (np.i0): floats keep their
    dtype (computed in float64), integers and booleans give float64. Differentiable: its
    derivative is i1(x) (see the module docstring)."""
    value = operand(x, "i0")
    out_dtype = value.dtype if value.dtype.kind == "f" else dtypes.float64
    return cast(_bessel_i0(cast(value, dtypes.float64)), out_dtype)


def _window_length(M, op: str) -> float:
    """M as NumPy reads it: a number (an integer, usually) converted to float64."""
    if isinstance(M, Tracer):
        raise op_error(TracerArrayError, op, "the window length M sets the result's shape, "
                       "so it must be known when tracing", "pass M as a Python int",
                       user_site())
    value = np.asarray(M.numpy() if isinstance(M, Tensor) else M)
    if value.dtype.kind == "c":
        raise op_error(DTypeError, op, f"M must be a real number, got {M!r}",
                       "pass the number of points as an int", user_site())
    if value.ndim != 0:
        raise op_error(ValueError, op, f"M must be a number, got an array of shape "
                       f"{value.shape}", "pass the number of points as an int", user_site())
    return np.float64(value)


def _cosine_window(M, op: str, terms):
    """sum_j c_j cos(j pi n / (M - 1)) over n = 1-M, 3-M, ..., M-1 (np.hamming's form): a
    known float64 tensor, empty for M < 1."""
    m = _window_length(M, op)
    if m < 1:
        return Tensor(np.zeros(0))
    if m == 1:
        return Tensor(np.ones(1))
    phase = np.pi * np.arange(1 - m, m, 2) / (m - 1)
    total = terms[0]
    for j, c in enumerate(terms[1:], start=1):
        total = total + c * np.cos(j * phase)
    return Tensor(total)


def hamming(M):
    """The Hamming window of M points, float64 (np.hamming): empty for M < 1."""
    return _cosine_window(M, "hamming", (0.54, 0.46))


def hanning(M):
    """The Hann window of M points, float64 (np.hanning): empty for M < 1."""
    return _cosine_window(M, "hanning", (0.5, 0.5))


def blackman(M):
    """The Blackman window of M points, float64 (np.blackman): empty for M < 1."""
    return _cosine_window(M, "blackman", (0.42, 0.5, 0.08))


def bartlett(M):
    """The triangular (Bartlett) window of M points, float64 (np.bartlett): empty for
    M < 1."""
    m = _window_length(M, "bartlett")
    if m < 1:
        return Tensor(np.zeros(0))
    if m == 1:
        return Tensor(np.ones(1))
    n = np.arange(1 - m, m, 2)
    return Tensor(np.where(n <= 0, 1 + n / (m - 1), 1 - n / (m - 1)))


def _float64(value, op: str):
    """value as a float64 tensor; a Python number exactly, not through float32 (tapejit's
    type for a bare Python float)."""
    if isinstance(value, (bool, int, float)):
        return Tensor(np.float64(value))
    return cast(operand(value, op), dtypes.float64)


def kaiser(M, beta):
    """The Kaiser window of M points with shape parameter beta, float64 (np.kaiser):
    i0(beta * sqrt(1 - r**2)) / i0(beta), r running from -1 to 1. Differentiable in beta."""
    m = _window_length(M, "kaiser")
    if m == 1:
        return Tensor(np.ones(1))
    shape = _float64(beta, "kaiser")
    alpha = (m - 1) / 2.0
    with np.errstate(invalid="ignore"):
        taper = np.sqrt(1 - ((np.arange(0, m) - alpha) / alpha) ** 2.0)
    return divide(_bessel_i0(multiply(shape, Tensor(taper))), _bessel_i0(shape))

"""Powers and logarithms of base 2 and 10, the cube root, and the error function (erf,
erfc)."""

from __future__ import annotations

import math

import numpy as np

from tapejit.primitives.base import quiet, unary
from tapejit.primitives.elementwise import exp
from tapejit.primitives.jvp import defjvp

_LN2, _LN10, _TWO_OVER_SQRT_PI = math.log(2.0), math.log(10.0), 2.0 / math.sqrt(math.pi)


def _scipy(name: str):
    """scipy.special.<name> in the operand's dtype (SciPy computes float16 in float32),
    SciPy imported on first use: it would double the time `import tapejit` takes."""
    def impl(x):
        from scipy import special

        out = getattr(special, name)(x)
        return out if out.dtype == x.dtype else out.astype(x.dtype)
    return impl


def _erf_slope(x):
    return exp(-(x * x)) * _TWO_OVER_SQRT_PI


exp2_p = unary("exp2", quiet(np.exp2), defjvp(lambda t, x, out: t * (out * _LN2)))
log2_p = unary("log2", quiet(np.log2), defjvp(lambda t, x, out: t / (x * _LN2)))
log10_p = unary("log10", quiet(np.log10), defjvp(lambda t, x, out: t / (x * _LN10)))
cbrt_p = unary("cbrt", np.cbrt, defjvp(lambda t, x, out: t / (out * out * 3)))
erf_p = unary("erf", _scipy("erf"), defjvp(lambda t, x, out: t * _erf_slope(x)))
erfc_p = unary("erfc", _scipy("erfc"), defjvp(lambda t, x, out: -(t * _erf_slope(x))))

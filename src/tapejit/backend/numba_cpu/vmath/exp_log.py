"""exp, expm1, log and log1p: range reduction, a polynomial, 2**k from bits."""

from __future__ import annotations

import numpy as np

from tapejit.backend.numba_cpu.vmath.core import (
    F32,
    F64,
    I32,
    I64,
    bits_f32,
    bits_f64,
    from_bits_f32,
    from_bits_f64,
    inline_math,
    ldexp_f32,
    ldexp_f64,
)

# --- exp, expm1 --------------------------------------------------------------------------------

@inline_math
def _expm1_poly_f32(r):
    """e**r - 1 = r + r*r*q(r) for |r| <= ln2/2; q is the Chebyshev fit of degree 4 to
    (e**r - 1 - r)/r**2 (mpmath.chebyfit), error below 2**-26 in e**r."""
    p = F32(0.0013926176)
    p = p * r + F32(0.008363173)
    p = p * r + F32(0.041666556)
    p = p * r + F32(0.16666578)
    p = p * r + F32(0.5)
    return (p * r) * r + r


@inline_math
def _expm1_poly_f64(r):
    """The same with a degree-9 fit, error below 2**-56."""
    p = F64(2.5100375832561234e-08)
    p = p * r + F64(2.7620075879983367e-07)
    p = p * r + F64(2.7557268480310024e-06)
    p = p * r + F64(2.4801521322368692e-05)
    p = p * r + F64(0.00019841269863040545)
    p = p * r + F64(0.0013888888917196719)
    p = p * r + F64(0.008333333333330065)
    p = p * r + F64(0.041666666666624164)
    p = p * r + F64(0.16666666666666669)
    p = p * r + F64(0.5000000000000001)
    return (p * r) * r + r


@inline_math
def _reduce_f32(x):
    """k and r with x = k*ln2 + r, |r| <= ln2/2 (two-part ln2)."""
    k = np.floor(x * F32(1.4426950408889634) + F32(0.5))
    r = (x - k * F32(0.693359375)) - k * F32(-2.12194440054690583e-4)
    return I32(k), r


@inline_math
def _reduce_f64(x):
    k = np.floor(x * F64(1.4426950408889634) + F64(0.5))
    r = (x - k * F64(6.93147180369123816490e-01)) - k * F64(1.90821492927058770002e-10)
    return I64(k), r


@inline_math
def exp_f32(x):
    """x clamped to [-104, 89], where e**x already rounds to 0 and to inf."""
    k, r = _reduce_f32(min(max(x, F32(-104.0)), F32(89.0)))
    y = ldexp_f32(_expm1_poly_f32(r) + F32(1.0), k)
    return x if x != x else y


@inline_math
def exp_f64(x):
    k, r = _reduce_f64(min(max(x, F64(-746.0)), F64(710.0)))
    y = ldexp_f64(_expm1_poly_f64(r) + F64(1.0), k)
    return x if x != x else y


@inline_math
def expm1_f32(x):
    """2**k * (e**r - 1) + (2**k - 1): no cancellation near 0 (large k: e**x - 1 directly)."""
    k, r = _reduce_f32(min(max(x, F32(-30.0)), F32(89.0)))
    p = _expm1_poly_f32(r)
    two_k = ldexp_f32(F32(1.0), min(k, I32(25)))
    y = two_k * p + (two_k - F32(1.0)) if k <= I32(25) else ldexp_f32(p + F32(1.0), k) - F32(1.0)
    y = F32(-1.0) if x < F32(-30.0) else (F32(np.inf) if x > F32(89.0) else y)
    return x if (x != x) | (x == F32(0.0)) else y


@inline_math
def expm1_f64(x):
    k, r = _reduce_f64(min(max(x, F64(-60.0)), F64(710.0)))
    p = _expm1_poly_f64(r)
    two_k = ldexp_f64(F64(1.0), min(k, I64(54)))
    y = two_k * p + (two_k - F64(1.0)) if k <= I64(54) else ldexp_f64(p + F64(1.0), k) - F64(1.0)
    y = F64(-1.0) if x < F64(-60.0) else (F64(np.inf) if x > F64(710.0) else y)
    return x if (x != x) | (x == F64(0.0)) else y


# --- log, log1p --------------------------------------------------------------------------------

@inline_math
def _log1p_core_f32(f):
    """log(1 + f) for 1 + f in [sqrt(1/2), sqrt(2)), f exact: f - (f*f/2 - s*(f*f/2 + R)) with
    s = f/(2 + f) and R = 2*atanh(s)/s - 2, so the leading term f carries no rounding."""
    s = f / (F32(2.0) + f)
    z = s * s
    p = F32(2 / 11)
    p = p * z + F32(2 / 9)
    p = p * z + F32(2 / 7)
    p = p * z + F32(2 / 5)
    p = p * z + F32(2 / 3)
    half_f2 = F32(0.5) * f * f
    return f - (half_f2 - s * (half_f2 + z * p))


@inline_math
def _log1p_core_f64(f):
    s = f / (F64(2.0) + f)
    z = s * s
    p = F64(2 / 23)
    p = p * z + F64(2 / 21)
    p = p * z + F64(2 / 19)
    p = p * z + F64(2 / 17)
    p = p * z + F64(2 / 15)
    p = p * z + F64(2 / 13)
    p = p * z + F64(2 / 11)
    p = p * z + F64(2 / 9)
    p = p * z + F64(2 / 7)
    p = p * z + F64(2 / 5)
    p = p * z + F64(2 / 3)
    half_f2 = F64(0.5) * f * f
    return f - (half_f2 - s * (half_f2 + z * p))


@inline_math
def _split_f32(x):
    """(e, f) with x = 2**e * (1 + f), 1 + f in [sqrt(1/2), sqrt(2)), for x > 0 (subnormals
    are scaled by 2**24 first)."""
    tiny = x < F32(1.1754943508222875e-38)
    b = bits_f32(x * (F32(16777216.0) if tiny else F32(1.0)))
    b = I32(b - I32(0x3F3504F3))  # the bits of sqrt(1/2): its exponent field is e's origin
    e = I32(b >> I32(23)) - (I32(24) if tiny else I32(0))
    m = from_bits_f32(I32((b & I32(0x7FFFFF)) + I32(0x3F3504F3)))
    return F32(e), m - F32(1.0)


@inline_math
def _split_f64(x):
    tiny = x < F64(2.2250738585072014e-308)
    b = bits_f64(x * (F64(18014398509481984.0) if tiny else F64(1.0)))
    b = I64(b - I64(0x3FE6A09E667F3BCD))
    e = I32(b >> I64(52)) - (I32(54) if tiny else I32(0))
    m = from_bits_f64(I64((b & I64(0xFFFFFFFFFFFFF)) + I64(0x3FE6A09E667F3BCD)))
    return F64(e), m - F64(1.0)  # F64 of an int32: int64 -> double has no AVX2 instruction


@inline_math
def _log_special_f32(x, y):
    """NumPy's log at 0, negatives, +inf and NaN; y elsewhere."""
    y = F32(-np.inf) if x == F32(0.0) else y
    y = F32(np.nan) if x < F32(0.0) else y
    return x if (x != x) | (x == F32(np.inf)) else y


@inline_math
def _log_special_f64(x, y):
    y = F64(-np.inf) if x == F64(0.0) else y
    y = F64(np.nan) if x < F64(0.0) else y
    return x if (x != x) | (x == F64(np.inf)) else y


@inline_math
def log_f32(x):
    """e*ln2 + log(1 + f), ln2 in two parts; subnormal arguments are exact."""
    e, f = _split_f32(x)
    y = e * F32(0.693359375) + (_log1p_core_f32(f) + e * F32(-2.12194440054690583e-4))
    return _log_special_f32(x, y)


@inline_math
def log_f64(x):
    e, f = _split_f64(x)
    y = e * F64(6.93147180369123816490e-01) + (_log1p_core_f64(f)
                                              + e * F64(1.90821492927058770002e-10))
    return _log_special_f64(x, y)


@inline_math
def log1p_f32(x):
    """log(u) + c/u, with u = 1 + x rounded and c = 1 + x - u its exact rounding error."""
    u = x + F32(1.0)
    c = (x - (u - F32(1.0))) if abs(x) <= F32(1.0) else (F32(1.0) - (u - x))
    e, f = _split_f32(u)
    y = e * F32(0.693359375) + (_log1p_core_f32(f) + (c / u + e * F32(-2.12194440054690583e-4)))
    return x if x == F32(0.0) else _log_special_f32(u, y)


@inline_math
def log1p_f64(x):
    u = x + F64(1.0)
    c = (x - (u - F64(1.0))) if abs(x) <= F64(1.0) else (F64(1.0) - (u - x))
    e, f = _split_f64(u)
    y = e * F64(6.93147180369123816490e-01) + (_log1p_core_f64(f)
                                              + (c / u + e * F64(1.90821492927058770002e-10)))
    return x if x == F64(0.0) else _log_special_f64(u, y)

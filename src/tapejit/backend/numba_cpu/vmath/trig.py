"""sin and cos: exact (FMA) reduction by a four-part pi/2, then polynomials."""

from __future__ import annotations

import numpy as np

from tapejit.backend.numba_cpu.scalar_code import SIN_COS_LIMIT, SIN_COS_LIMIT_F32
from tapejit.backend.numba_cpu.vmath.core import (
    F32,
    F64,
    I32,
    I64,
    bits_f32,
    bits_f64,
    fma,
    from_bits_f32,
    from_bits_f64,
    inline_math,
)

# --- sin, cos ----------------------------------------------------------------------------------

@inline_math
def _sin_poly(r):
    """sin(r) for |r| <= pi/4 (Taylor to r**17)."""
    return r + (r * (r * r)) * _sin_tail(r * r)


@inline_math
def _sin_tail(z):
    p = F64(1 / 355687428096000)
    p = p * z + F64(-1 / 1307674368000)
    p = p * z + F64(1 / 6227020800)
    p = p * z + F64(-1 / 39916800)
    p = p * z + F64(1 / 362880)
    p = p * z + F64(-1 / 5040)
    p = p * z + F64(1 / 120)
    return p * z + F64(-1 / 6)


@inline_math
def _cos_poly(r):
    """cos(r) for |r| <= pi/4 (Taylor to r**18)."""
    z = r * r
    p = F64(-1 / 6402373705728000)
    p = p * z + F64(1 / 20922789888000)
    p = p * z + F64(-1 / 87178291200)
    p = p * z + F64(1 / 479001600)
    p = p * z + F64(-1 / 3628800)
    p = p * z + F64(1 / 40320)
    p = p * z + F64(-1 / 720)
    p = p * z + F64(1 / 24)
    return F64(1.0) - F64(0.5) * z + (z * z) * p


@inline_math
def _subtract_exact(r, j, c):
    """r - j*c, with j*c formed exactly (its rounding error recovered by an FMA)."""
    t = j * c
    return (r - t) - fma(j, c, -t)


@inline_math
def _reduce_pi2(x):
    """(j, r) with x = j*pi/2 + r, |r| <= pi/4; each product j*c is formed exactly with an
    FMA, so the only error is pi/2's truncation to four 53-bit parts."""
    j = np.floor(x * F64(0.6366197723675814) + F64(0.5))
    hi = j * F64(1.5707963267948966)
    r = (x - hi) - fma(j, F64(1.5707963267948966), -hi)
    r = _subtract_exact(r, j, F64(6.123233995736766e-17))
    r = _subtract_exact(r, j, F64(-1.4973849048591698e-33))
    r = _subtract_exact(r, j, F64(5.562271104316826e-50))
    return I64(j), r





@inline_math
def _select_bits(pick_second, a, b):
    """a or b chosen with integer masks: branch-free, so the calling loop vectorizes even
    though both polynomials are evaluated."""
    mask = I64(-1) if pick_second else I64(0)
    return bits_f64(a) ^ ((bits_f64(a) ^ bits_f64(b)) & mask)


@inline_math
def _sin_cos_quadrant(x, shift):
    """sin(x + shift*pi/2); NaN for |x| >= SIN_COS_LIMIT (kernels recompute those with libm)."""
    fast = abs(x) < F64(SIN_COS_LIMIT)
    j, r = _reduce_pi2(x if fast else F64(0.0))
    q = (j + I64(shift)) & I64(3)
    y = _select_bits((q & I64(1)) != I64(0), _sin_poly(r), _cos_poly(r))
    y = y ^ (I64(-9223372036854775808) if (q & I64(2)) != I64(0) else I64(0))
    return from_bits_f64(y) if fast else F64(np.nan)


@inline_math
def sin_f64(x):
    return x if x == F64(0.0) else _sin_cos_quadrant(x, 0)  # keeps the sign of zero


@inline_math
def cos_f64(x):
    return _sin_cos_quadrant(x, 1)





@inline_math
def _subtract_exact_f32(r, j, c):
    t = j * c
    return (r - t) - fma(j, c, -t)


@inline_math
def _reduce_pi2_f32(x):
    """float32 twin of _reduce_pi2: pi/2 in four float32 parts, exact products."""
    j = np.floor(x * F32(0.63661975) + F32(0.5))
    hi = j * F32(1.5707963705062866)
    r = (x - hi) - fma(j, F32(1.5707963705062866), -hi)
    r = _subtract_exact_f32(r, j, F32(-4.371138828673793e-08))
    r = _subtract_exact_f32(r, j, F32(-1.7151245100058819e-15))
    r = _subtract_exact_f32(r, j, F32(1.056299898220315e-23))
    return I32(j), r


@inline_math
def _sin_poly_f32(r):
    """sin(r) for |r| <= pi/4 (Taylor to r**11)."""
    z = r * r
    p = F32(-1 / 39916800)
    p = p * z + F32(1 / 362880)
    p = p * z + F32(-1 / 5040)
    p = p * z + F32(1 / 120)
    p = p * z + F32(-1 / 6)
    return r + (r * z) * p


@inline_math
def _cos_poly_f32(r):
    """cos(r) for |r| <= pi/4 (Taylor to r**12)."""
    z = r * r
    p = F32(1 / 479001600)
    p = p * z + F32(-1 / 3628800)
    p = p * z + F32(1 / 40320)
    p = p * z + F32(-1 / 720)
    p = p * z + F32(1 / 24)
    return F32(1.0) - F32(0.5) * z + (z * z) * p


@inline_math
def _sin_cos_quadrant_f32(x, shift):
    """sin(x + shift*pi/2) in float32; NaN for |x| >= SIN_COS_LIMIT_F32 (kernels then use
    libm)."""
    fast = abs(x) < F32(SIN_COS_LIMIT_F32)
    j, r = _reduce_pi2_f32(x if fast else F32(0.0))
    q = (j + I32(shift)) & I32(3)
    s, c = bits_f32(_sin_poly_f32(r)), bits_f32(_cos_poly_f32(r))
    mask = I32(-1) if (q & I32(1)) != I32(0) else I32(0)
    y = I32(s ^ ((s ^ c) & mask))
    y = I32(y ^ (I32(-2147483648) if (q & I32(2)) != I32(0) else I32(0)))
    return from_bits_f32(y) if fast else F32(np.nan)


@inline_math
def sin_f32(x):
    return x if x == F32(0.0) else _sin_cos_quadrant_f32(x, 0)


@inline_math
def cos_f32(x):
    return _sin_cos_quadrant_f32(x, 1)

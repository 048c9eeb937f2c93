"""Vectorizable math for generated kernels: exp, expm1, log, log1p, sin, cos, tanh, sigmoid
and softplus, for float32 (`*_f32`) and float64 (`*_f64`).

Numba on this machine has no SVML, so a loop calling libm's exp cannot be vectorized. These
functions are straight-line arithmetic instead: Cody–Waite range reduction, a short
polynomial, and 2^k assembled from bits. LLVM inlines them into the caller's loop and
vectorizes it.

They are compiled without fast-math reassociation (only `contract`, for FMAs): the
reductions depend on the exact evaluation order, which `reassoc` in the calling kernel must
not undo. Special values follow NumPy: exp(-inf)=0, exp(inf)=inf, log(0)=-inf, log(x<0)=nan,
NaN in gives NaN out; subnormal results are produced, not flushed.

Accuracy (checked in tests/backend/test_vmath.py): within 2 ulp for exp/log/expm1/log1p and
4 ulp for the others. sin/cos reduce the argument with exactly computed (FMA) products of a
four-part pi/2, accurate for |x| < 2**40 (float32 arguments are reduced in float64); beyond
that they return NaN, and the kernel's loop recomputes those elements with libm.
"""

from __future__ import annotations

import numpy as np

from tapejit.backend import numba_setup

numba_setup.configure()  # before anything below is compiled

from llvmlite import ir  # noqa: E402
from numba import njit, types  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

F32, F64, I32, I64 = np.float32, np.float64, np.int32, np.int64
# NumPy's error model: x/0 gives inf instead of a branch that raises (branches block
# vectorization); no reassociation, which would undo the exact range reductions; LLVM-level
# forced inlining, so a calling loop sees straight-line code (each instruction keeps these
# flags when inlined, whatever the caller's).
_vm = njit(fastmath={"contract"}, error_model="numpy", forceinline=True)


# --- bit casts and fused multiply-add ----------------------------------------------------------

def _bitcast(src, dst, ir_type):
    @intrinsic
    def cast(typingctx, x):
        if x != src:
            return None
        return dst(src), lambda ctx, builder, sig, args: builder.bitcast(args[0], ir_type)
    return cast


bits_f32 = _bitcast(types.float32, types.int32, ir.IntType(32))
bits_f64 = _bitcast(types.float64, types.int64, ir.IntType(64))
from_bits_f32 = _bitcast(types.int32, types.float32, ir.FloatType())
from_bits_f64 = _bitcast(types.int64, types.float64, ir.DoubleType())


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c with one rounding (llvm.fma)."""
    if not (a == b == c and a in (types.float32, types.float64)):
        return None
    return a(a, a, a), lambda ctx, builder, sig, args: builder.fma(*args)


# --- 2**k --------------------------------------------------------------------------------------

@_vm
def ldexp_f32(p, k):
    """p * 2**h * 2**(k-h), h = k//2, for 1/2 <= |p| <= 2 and k in [-240, 250]: both factors
    are normal powers of two and p * 2**h is exact, so only the last product rounds (subnormal
    results are right, overflow gives inf)."""
    h = k >> I32(1)
    return (p * from_bits_f32(I32((h + I32(127)) << I32(23)))
            * from_bits_f32(I32((k - h + I32(127)) << I32(23))))


@_vm
def ldexp_f64(p, k):
    """The same for k in [-2000, 2000]."""
    h = k >> I64(1)
    return (p * from_bits_f64(I64((h + I64(1023)) << I64(52)))
            * from_bits_f64(I64((k - h + I64(1023)) << I64(52))))


# --- exp, expm1 --------------------------------------------------------------------------------

@_vm
def _expm1_poly_f32(r):
    """e**r - 1 = r + r*r*q(r) for |r| <= ln2/2; q is the Chebyshev fit of degree 4 to
    (e**r - 1 - r)/r**2 (mpmath.chebyfit), error below 2**-26 in e**r."""
    p = F32(0.0013926176)
    p = p * r + F32(0.008363173)
    p = p * r + F32(0.041666556)
    p = p * r + F32(0.16666578)
    p = p * r + F32(0.5)
    return (p * r) * r + r


@_vm
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


@_vm
def _reduce_f32(x):
    """k and r with x = k*ln2 + r, |r| <= ln2/2 (two-part ln2)."""
    k = np.floor(x * F32(1.4426950408889634) + F32(0.5))
    r = (x - k * F32(0.693359375)) - k * F32(-2.12194440054690583e-4)
    return I32(k), r


@_vm
def _reduce_f64(x):
    k = np.floor(x * F64(1.4426950408889634) + F64(0.5))
    r = (x - k * F64(6.93147180369123816490e-01)) - k * F64(1.90821492927058770002e-10)
    return I64(k), r


@_vm
def exp_f32(x):
    """x clamped to [-104, 89], where e**x already rounds to 0 and to inf."""
    k, r = _reduce_f32(min(max(x, F32(-104.0)), F32(89.0)))
    y = ldexp_f32(_expm1_poly_f32(r) + F32(1.0), k)
    return x if x != x else y


@_vm
def exp_f64(x):
    k, r = _reduce_f64(min(max(x, F64(-746.0)), F64(710.0)))
    y = ldexp_f64(_expm1_poly_f64(r) + F64(1.0), k)
    return x if x != x else y


@_vm
def expm1_f32(x):
    """2**k * (e**r - 1) + (2**k - 1): no cancellation near 0 (large k: e**x - 1 directly)."""
    k, r = _reduce_f32(min(max(x, F32(-30.0)), F32(89.0)))
    p = _expm1_poly_f32(r)
    two_k = ldexp_f32(F32(1.0), min(k, I32(25)))
    y = two_k * p + (two_k - F32(1.0)) if k <= I32(25) else ldexp_f32(p + F32(1.0), k) - F32(1.0)
    y = F32(-1.0) if x < F32(-30.0) else (F32(np.inf) if x > F32(89.0) else y)
    return x if (x != x) | (x == F32(0.0)) else y


@_vm
def expm1_f64(x):
    k, r = _reduce_f64(min(max(x, F64(-60.0)), F64(710.0)))
    p = _expm1_poly_f64(r)
    two_k = ldexp_f64(F64(1.0), min(k, I64(54)))
    y = two_k * p + (two_k - F64(1.0)) if k <= I64(54) else ldexp_f64(p + F64(1.0), k) - F64(1.0)
    y = F64(-1.0) if x < F64(-60.0) else (F64(np.inf) if x > F64(710.0) else y)
    return x if (x != x) | (x == F64(0.0)) else y


# --- log, log1p --------------------------------------------------------------------------------

@_vm
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


@_vm
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


@_vm
def _split_f32(x):
    """(e, f) with x = 2**e * (1 + f), 1 + f in [sqrt(1/2), sqrt(2)), for x > 0 (subnormals
    are scaled by 2**24 first)."""
    tiny = x < F32(1.1754943508222875e-38)
    b = bits_f32(x * (F32(16777216.0) if tiny else F32(1.0)))
    b = I32(b - I32(0x3F3504F3))  # the bits of sqrt(1/2): its exponent field is e's origin
    e = I32(b >> I32(23)) - (I32(24) if tiny else I32(0))
    m = from_bits_f32(I32((b & I32(0x7FFFFF)) + I32(0x3F3504F3)))
    return F32(e), m - F32(1.0)


@_vm
def _split_f64(x):
    tiny = x < F64(2.2250738585072014e-308)
    b = bits_f64(x * (F64(18014398509481984.0) if tiny else F64(1.0)))
    b = I64(b - I64(0x3FE6A09E667F3BCD))
    e = I32(b >> I64(52)) - (I32(54) if tiny else I32(0))
    m = from_bits_f64(I64((b & I64(0xFFFFFFFFFFFFF)) + I64(0x3FE6A09E667F3BCD)))
    return F64(e), m - F64(1.0)  # F64 of an int32: int64 -> double has no AVX2 instruction


@_vm
def _log_special_f32(x, y):
    """NumPy's log at 0, negatives, +inf and NaN; y elsewhere."""
    y = F32(-np.inf) if x == F32(0.0) else y
    y = F32(np.nan) if x < F32(0.0) else y
    return x if (x != x) | (x == F32(np.inf)) else y


@_vm
def _log_special_f64(x, y):
    y = F64(-np.inf) if x == F64(0.0) else y
    y = F64(np.nan) if x < F64(0.0) else y
    return x if (x != x) | (x == F64(np.inf)) else y


@_vm
def log_f32(x):
    """e*ln2 + log(1 + f), ln2 in two parts; subnormal arguments are exact."""
    e, f = _split_f32(x)
    y = e * F32(0.693359375) + (_log1p_core_f32(f) + e * F32(-2.12194440054690583e-4))
    return _log_special_f32(x, y)


@_vm
def log_f64(x):
    e, f = _split_f64(x)
    y = e * F64(6.93147180369123816490e-01) + (_log1p_core_f64(f)
                                              + e * F64(1.90821492927058770002e-10))
    return _log_special_f64(x, y)


@_vm
def log1p_f32(x):
    """log(u) + c/u, with u = 1 + x rounded and c = 1 + x - u its exact rounding error."""
    u = x + F32(1.0)
    c = (x - (u - F32(1.0))) if abs(x) <= F32(1.0) else (F32(1.0) - (u - x))
    e, f = _split_f32(u)
    y = e * F32(0.693359375) + (_log1p_core_f32(f) + (c / u + e * F32(-2.12194440054690583e-4)))
    return x if x == F32(0.0) else _log_special_f32(u, y)


@_vm
def log1p_f64(x):
    u = x + F64(1.0)
    c = (x - (u - F64(1.0))) if abs(x) <= F64(1.0) else (F64(1.0) - (u - x))
    e, f = _split_f64(u)
    y = e * F64(6.93147180369123816490e-01) + (_log1p_core_f64(f)
                                              + (c / u + e * F64(1.90821492927058770002e-10)))
    return x if x == F64(0.0) else _log_special_f64(u, y)


# --- sin, cos ----------------------------------------------------------------------------------

@_vm
def _sin_poly(r):
    """sin(r) for |r| <= pi/4 (Taylor to r**17)."""
    return r + (r * (r * r)) * _sin_tail(r * r)


@_vm
def _sin_tail(z):
    p = F64(1 / 355687428096000)
    p = p * z + F64(-1 / 1307674368000)
    p = p * z + F64(1 / 6227020800)
    p = p * z + F64(-1 / 39916800)
    p = p * z + F64(1 / 362880)
    p = p * z + F64(-1 / 5040)
    p = p * z + F64(1 / 120)
    return p * z + F64(-1 / 6)


@_vm
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


@_vm
def _subtract_exact(r, j, c):
    """r - j*c, with j*c formed exactly (its rounding error recovered by an FMA)."""
    t = j * c
    return (r - t) - fma(j, c, -t)


@_vm
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


SIN_COS_LIMIT = 2.0**40


@_vm
def _select_bits(pick_second, a, b):
    """a or b chosen with integer masks: branch-free, so the calling loop vectorizes even
    though both polynomials are evaluated."""
    mask = I64(-1) if pick_second else I64(0)
    return bits_f64(a) ^ ((bits_f64(a) ^ bits_f64(b)) & mask)


@_vm
def _sin_cos_quadrant(x, shift):
    """sin(x + shift*pi/2); NaN for |x| >= SIN_COS_LIMIT (kernels recompute those with libm)."""
    fast = abs(x) < F64(SIN_COS_LIMIT)
    j, r = _reduce_pi2(x if fast else F64(0.0))
    q = (j + I64(shift)) & I64(3)
    y = _select_bits((q & I64(1)) != I64(0), _sin_poly(r), _cos_poly(r))
    y = y ^ (I64(-9223372036854775808) if (q & I64(2)) != I64(0) else I64(0))
    return from_bits_f64(y) if fast else F64(np.nan)


@_vm
def sin_f64(x):
    return x if x == F64(0.0) else _sin_cos_quadrant(x, 0)  # keeps the sign of zero


@_vm
def cos_f64(x):
    return _sin_cos_quadrant(x, 1)


SIN_COS_LIMIT_F32 = 2.0**18


@_vm
def _subtract_exact_f32(r, j, c):
    t = j * c
    return (r - t) - fma(j, c, -t)


@_vm
def _reduce_pi2_f32(x):
    """float32 twin of _reduce_pi2: pi/2 in four float32 parts, exact products."""
    j = np.floor(x * F32(0.63661975) + F32(0.5))
    hi = j * F32(1.5707963705062866)
    r = (x - hi) - fma(j, F32(1.5707963705062866), -hi)
    r = _subtract_exact_f32(r, j, F32(-4.371138828673793e-08))
    r = _subtract_exact_f32(r, j, F32(-1.7151245100058819e-15))
    r = _subtract_exact_f32(r, j, F32(1.056299898220315e-23))
    return I32(j), r


@_vm
def _sin_poly_f32(r):
    """sin(r) for |r| <= pi/4 (Taylor to r**11)."""
    z = r * r
    p = F32(-1 / 39916800)
    p = p * z + F32(1 / 362880)
    p = p * z + F32(-1 / 5040)
    p = p * z + F32(1 / 120)
    p = p * z + F32(-1 / 6)
    return r + (r * z) * p


@_vm
def _cos_poly_f32(r):
    """cos(r) for |r| <= pi/4 (Taylor to r**12)."""
    z = r * r
    p = F32(1 / 479001600)
    p = p * z + F32(-1 / 3628800)
    p = p * z + F32(1 / 40320)
    p = p * z + F32(-1 / 720)
    p = p * z + F32(1 / 24)
    return F32(1.0) - F32(0.5) * z + (z * z) * p


@_vm
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


@_vm
def sin_f32(x):
    return x if x == F32(0.0) else _sin_cos_quadrant_f32(x, 0)


@_vm
def cos_f32(x):
    return _sin_cos_quadrant_f32(x, 1)


# --- tanh, sigmoid, softplus -------------------------------------------------------------------

@_vm
def tanh_f32(x):
    """sign(x) * t / (t + 2) with t = expm1(2|x|); exact +-0 and saturation at +-1."""
    t = expm1_f32(min(F32(2.0) * abs(x), F32(40.0)))
    y = t / (t + F32(2.0))
    return -y if bits_f32(x) < I32(0) else y


@_vm
def tanh_f64(x):
    t = expm1_f64(min(F64(2.0) * abs(x), F64(80.0)))
    y = t / (t + F64(2.0))
    return -y if bits_f64(x) < I64(0) else y  # the sign bit, so tanh(-0.0) = -0.0


@_vm
def _minus_abs_f32(x):
    """-|x|, held at -80 for x > 0 where e**-|x| no longer shows in the result: a subnormal
    e**-|x| would cost microcode assists for nothing."""
    return max(-abs(x), F32(-80.0)) if x > F32(0.0) else -abs(x)


@_vm
def _minus_abs_f64(x):
    return max(-abs(x), F64(-700.0)) if x > F64(0.0) else -abs(x)


@_vm
def sigmoid_f32(x):
    """1/(1+e**-x) from e = e**-|x| <= 1, which cannot overflow."""
    e = exp_f32(_minus_abs_f32(x))
    return (F32(1.0) if x >= F32(0.0) else e) / (F32(1.0) + e)


@_vm
def sigmoid_f64(x):
    e = exp_f64(_minus_abs_f64(x))
    return (F64(1.0) if x >= F64(0.0) else e) / (F64(1.0) + e)


@_vm
def softplus_f32(x):
    """max(x, 0) + log1p(e**-|x|): no overflow for large |x|."""
    return max(x, F32(0.0)) + log1p_f32(exp_f32(_minus_abs_f32(x)))


@_vm
def softplus_f64(x):
    return max(x, F64(0.0)) + log1p_f64(exp_f64(_minus_abs_f64(x)))


# --- branch-free helpers for generated code ----------------------------------------------------
# Written as calls rather than inline `a if c else b` so a long kernel keeps one basic block
# per loop (Numba's SSA pass is quadratic in blocks); force-inlined, they become selects.

@_vm
def where(pred, a, b):
    return a if pred else b


@_vm
def nan_max(a, b):
    """max propagating NaN from either side, as np.maximum."""
    return a if (a > b) | (a != a) else b


@_vm
def nan_min(a, b):
    return a if (a < b) | (a != a) else b


@_vm
def sign(x):
    """1, -1, or x itself (so 0, -0 and NaN come back unchanged, as np.sign)."""
    return type(x)(1) if x > 0 else (type(x)(-1) if x < 0 else x)

"""tanh, sigmoid and softplus from the vectorizable exp and log1p."""

from __future__ import annotations

from tapejit.backend.numba_cpu.vmath.core import F32, F64, I32, I64, bits_f32, bits_f64, inline_math
from tapejit.backend.numba_cpu.vmath.exp_log import (
    exp_f32,
    exp_f64,
    expm1_f32,
    expm1_f64,
    log1p_f32,
    log1p_f64,
)

# --- tanh, sigmoid, softplus -------------------------------------------------------------------

@inline_math
def tanh_f32(x):
    """sign(x) * t / (t + 2) with t = expm1(2|x|); exact +-0 and saturation at +-1."""
    t = expm1_f32(min(F32(2.0) * abs(x), F32(40.0)))
    y = t / (t + F32(2.0))
    return -y if bits_f32(x) < I32(0) else y


@inline_math
def tanh_f64(x):
    t = expm1_f64(min(F64(2.0) * abs(x), F64(80.0)))
    y = t / (t + F64(2.0))
    return -y if bits_f64(x) < I64(0) else y  # the sign bit, so tanh(-0.0) = -0.0


@inline_math
def _minus_abs_f32(x):
    """-|x|, held at -80 for x > 0 where e**-|x| no longer shows in the result: a subnormal
    e**-|x| would cost microcode assists for nothing."""
    return max(-abs(x), F32(-80.0)) if x > F32(0.0) else -abs(x)


@inline_math
def _minus_abs_f64(x):
    return max(-abs(x), F64(-700.0)) if x > F64(0.0) else -abs(x)


@inline_math
def sigmoid_f32(x):
    """1/(1+e**-x) from e = e**-|x| <= 1, which cannot overflow."""
    e = exp_f32(_minus_abs_f32(x))
    return (F32(1.0) if x >= F32(0.0) else e) / (F32(1.0) + e)


@inline_math
def sigmoid_f64(x):
    e = exp_f64(_minus_abs_f64(x))
    return (F64(1.0) if x >= F64(0.0) else e) / (F64(1.0) + e)


@inline_math
def softplus_f32(x):
    """max(x, 0) + log1p(e**-|x|): no overflow for large |x|."""
    return max(x, F32(0.0)) + log1p_f32(exp_f32(_minus_abs_f32(x)))


@inline_math
def softplus_f64(x):
    return max(x, F64(0.0)) + log1p_f64(exp_f64(_minus_abs_f64(x)))

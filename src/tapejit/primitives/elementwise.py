"""Elementwise math of one operand: exp, log, log1p, expm1, sin, cos, tan, tanh, sqrt, rsqrt,
abs, sign, sigmoid, softplus."""

from __future__ import annotations

import numpy as np

from tapejit.primitives.arithmetic import _quiet
from tapejit.primitives.base import defjvp, unary, zero_jvp
from tapejit.trace import bind


def _sigmoid_impl(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)[()]


def _softplus_impl(x):
    return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype)[()]


def _rsqrt_impl(x):
    return (1 / np.sqrt(x)).astype(x.dtype)[()]


exp_p = unary("exp", _quiet(np.exp), defjvp(lambda t, x, out: t * out))
log_p = unary("log", _quiet(np.log), defjvp(lambda t, x, out: t / x))
log1p_p = unary("log1p", _quiet(np.log1p), defjvp(lambda t, x, out: t / (x + 1)))
expm1_p = unary("expm1", _quiet(np.expm1), defjvp(lambda t, x, out: t * (out + 1)))
sin_p = unary("sin", _quiet(np.sin), defjvp(lambda t, x, out: t * cos(x)))
cos_p = unary("cos", _quiet(np.cos), defjvp(lambda t, x, out: -(t * sin(x))))
tan_p = unary("tan", _quiet(np.tan), defjvp(lambda t, x, out: t * (out * out + 1)))
tanh_p = unary("tanh", _quiet(np.tanh), defjvp(lambda t, x, out: t * (1 - out * out)))
sqrt_p = unary("sqrt", _quiet(np.sqrt), defjvp(lambda t, x, out: t * (0.5 / out)))
rsqrt_p = unary("rsqrt", _quiet(_rsqrt_impl), defjvp(lambda t, x, out: t * (out / x * -0.5)))
abs_p = unary("abs", np.abs, defjvp(lambda t, x, out: t * sign(x)), float_only=False)
sign_p = unary("sign", np.sign, zero_jvp, float_only=False)
sigmoid_p = unary("sigmoid", _quiet(_sigmoid_impl),
                  defjvp(lambda t, x, out: t * (out * (1 - out))))
softplus_p = unary("softplus", _quiet(_softplus_impl), defjvp(lambda t, x, out: t * sigmoid(x)))


# --- user functions ------------------------------------------------------------------------

def _float_unary(prim):
    def fn(x):
        from tapejit.operands import float_operand

        return bind(prim, float_operand(x, prim.name))
    fn.__name__ = prim.name
    fn.__doc__ = f"Elementwise {prim.name}; integer inputs become float32."
    return fn


exp = _float_unary(exp_p)
log = _float_unary(log_p)
log1p = _float_unary(log1p_p)
expm1 = _float_unary(expm1_p)
sin = _float_unary(sin_p)
cos = _float_unary(cos_p)
tan = _float_unary(tan_p)
tanh = _float_unary(tanh_p)
sqrt = _float_unary(sqrt_p)
rsqrt = _float_unary(rsqrt_p)
sigmoid = _float_unary(sigmoid_p)
softplus = _float_unary(softplus_p)


def abs(x):  # noqa: A001
    """Elementwise |x|; d|x|/dx at 0 is 0 (sign(0))."""
    from tapejit.operands import as_operand

    return bind(abs_p, as_operand(x, "abs"))


def sign(x):
    from tapejit.operands import as_operand

    return bind(sign_p, as_operand(x, "sign"))

"""Elementwise math of one operand: exp, log, log1p, expm1, sin, cos, tan, tanh, sqrt, rsqrt,
abs, sign, sigmoid, softplus."""

from __future__ import annotations

import numpy as np

from tapejit.operands import float_operand
from tapejit.primitives.arithmetic import _quiet, numeric_operand
from tapejit.primitives.base import defjvp, unary, vmath, zero_jvp
from tapejit.trace import bind


def _sigmoid_impl(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)[()]


def _softplus_impl(x):
    return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype)[()]


def _rsqrt_impl(x):
    return (1 / np.sqrt(x)).astype(x.dtype)[()]


exp_p = unary("exp", np.exp, defjvp(lambda t, x, out: t * out), emit=vmath("exp"))
log_p = unary("log", _quiet(np.log), defjvp(lambda t, x, out: t / x), emit=vmath("log"))
log1p_p = unary("log1p", _quiet(np.log1p), defjvp(lambda t, x, out: t / (x + 1)),
                emit=vmath("log1p"))
expm1_p = unary("expm1", np.expm1, defjvp(lambda t, x, out: t * (out + 1)),
                emit=vmath("expm1"))
sin_p = unary("sin", np.sin, defjvp(lambda t, x, out: t * cos(x)), emit=vmath("sin"))
cos_p = unary("cos", np.cos, defjvp(lambda t, x, out: -(t * sin(x))),
              emit=vmath("cos"))
tan_p = unary("tan", _quiet(np.tan), defjvp(lambda t, x, out: t * (out * out + 1)),
              emit=lambda c, x: f"math.tan({x})")
tanh_p = unary("tanh", np.tanh, defjvp(lambda t, x, out: t * (1 - out * out)),
               emit=vmath("tanh"))
sqrt_p = unary("sqrt", _quiet(np.sqrt), defjvp(lambda t, x, out: t * (0.5 / out)),
               emit=lambda c, x: f"np.sqrt({x})")
rsqrt_p = unary("rsqrt", _quiet(_rsqrt_impl), defjvp(lambda t, x, out: t * (out / x * -0.5)),
                emit=lambda c, x: f"({c.const(1)} / np.sqrt({x}))")
abs_p = unary("abs", np.abs, defjvp(lambda t, x, out: t * sign(x)), float_only=False,
              emit=lambda c, x: f"abs({x})")
sign_p = unary("sign", np.sign, zero_jvp, float_only=False,
               emit=lambda c, x: c.helper("sign", x))
sigmoid_p = unary("sigmoid", _sigmoid_impl,
                  defjvp(lambda t, x, out: t * (out * (1 - out))), emit=vmath("sigmoid"))
softplus_p = unary("softplus", _softplus_impl, defjvp(lambda t, x, out: t * sigmoid(x)),
                   emit=vmath("softplus"))


# --- user functions ------------------------------------------------------------------------

def _float_unary(prim):
    def fn(x):
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
    return bind(abs_p, numeric_operand(x, "abs"))


def sign(x):
    return bind(sign_p, numeric_operand(x, "sign"))

"""Elementwise math: exp, log, log1p, expm1, sin, cos, tan, tanh, sqrt, rsqrt, abs, sign,
sigmoid, softplus, and atan2 and logaddexp of two operands."""

from __future__ import annotations

import numpy as np

from tapejit.primitives.base import binary, quiet, unary
from tapejit.primitives.compare import equal, select
from tapejit.primitives.jvp import defjvp, zero_jvp
from tapejit.trace import bind


def _exp_minus_abs(x: np.ndarray) -> np.ndarray:
    """exp(-|x|) in one new array."""
    out = np.abs(x)
    np.negative(out, out=out)
    return np.exp(out, out=out)


def _sigmoid_impl(x):
    """1/(1+e) where x >= 0, e/(1+e) elsewhere, e = exp(-|x|): exact in both tails. An
    array's result is computed in place (two arrays of x's size, not five)."""
    if type(x) is not np.ndarray or x.ndim == 0:
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)[()]
    e = _exp_minus_abs(x)
    d = e + 1
    np.divide(e, d, out=e)
    np.divide(1, d, out=d)
    np.copyto(e, d, where=x >= 0)
    return e


def _softplus_impl(x):
    """max(x, 0) + log1p(exp(-|x|)); an array's in one new array (and a mask)."""
    if type(x) is not np.ndarray or x.ndim == 0:
        return (np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype)[()]
    out = _exp_minus_abs(x)
    np.log1p(out, out=out)
    return np.add(out, x, out=out, where=x > 0)


def _rsqrt_impl(x):
    return (1 / np.sqrt(x)).astype(x.dtype)[()]


exp_p = unary("exp", np.exp, defjvp(lambda t, x, out: t * out))
log_p = unary("log", quiet(np.log), defjvp(lambda t, x, out: t / x))
log1p_p = unary("log1p", quiet(np.log1p), defjvp(lambda t, x, out: t / (x + 1)))
expm1_p = unary("expm1", np.expm1, defjvp(lambda t, x, out: t * (out + 1)))
sin_p = unary("sin", np.sin, defjvp(lambda t, x, out: t * cos(x)))
cos_p = unary("cos", np.cos, defjvp(lambda t, x, out: -(t * sin(x))))
tan_p = unary("tan", quiet(np.tan), defjvp(lambda t, x, out: t * (out * out + 1)))
tanh_p = unary("tanh", np.tanh, defjvp(lambda t, x, out: t * (1 - out * out)))
sqrt_p = unary("sqrt", quiet(np.sqrt), defjvp(lambda t, x, out: t * (0.5 / out)))
rsqrt_p = unary("rsqrt", quiet(_rsqrt_impl), defjvp(lambda t, x, out: t * (out / x * -0.5)))
abs_p = unary("abs", np.abs, defjvp(lambda t, x, out: t * sign(x)), operands="numeric")
sign_p = unary("sign", np.sign, zero_jvp, operands="numeric")
sigmoid_p = unary("sigmoid", _sigmoid_impl, defjvp(lambda t, x, out: t * (out * (1 - out))))
softplus_p = unary("softplus", _softplus_impl, defjvp(lambda t, x, out: t * sigmoid(x)))
atan2_p = binary("atan2", np.arctan2, defjvp(lambda t, y, x, out: t * (x / (x * x + y * y)),
                                            lambda t, y, x, out: t * (-y / (x * x + y * y))),
                 operands="float")


def _logaddexp_weight(t, a, b, out):
    """d logaddexp(a, b) / da = sigmoid(a - b), smooth at ties; 0 where a - b is NaN (a and b
    the same infinity, whose result no finite change moves, or a NaN)."""
    d = a - b
    defined, zero = equal(d, d), np.zeros((), d.dtype)[()]
    return t * select(defined, sigmoid(select(defined, d, zero)), zero)


logaddexp_p = binary("logaddexp", quiet(np.logaddexp),
                     defjvp(_logaddexp_weight,
                            lambda t, a, b, out: _logaddexp_weight(t, b, a, out)),
                     operands="float")


def exp(x):
    return bind(exp_p, x)


def log(x):
    return bind(log_p, x)


def sin(x):
    return bind(sin_p, x)


def cos(x):
    return bind(cos_p, x)


def sign(x):
    return bind(sign_p, x)


def sigmoid(x):
    return bind(sigmoid_p, x)

"""Inverse trigonometric, hyperbolic and inverse hyperbolic functions, and hypot."""

from __future__ import annotations

import numpy as np

from tapejit.primitives.base import binary, quiet, unary
from tapejit.primitives.compare import select
from tapejit.primitives.elementwise import rsqrt_p
from tapejit.primitives.jvp import defjvp
from tapejit.trace import bind


def _rsqrt(x):
    return bind(rsqrt_p, x)


asin_p = unary("asin", quiet(np.arcsin), defjvp(lambda t, x, out: t * _rsqrt(1 - x * x)))
acos_p = unary("acos", quiet(np.arccos), defjvp(lambda t, x, out: -(t * _rsqrt(1 - x * x))))
atan_p = unary("atan", np.arctan, defjvp(lambda t, x, out: t / (x * x + 1)))
sinh_p = unary("sinh", quiet(np.sinh), defjvp(lambda t, x, out: t * cosh(x)))
cosh_p = unary("cosh", quiet(np.cosh), defjvp(lambda t, x, out: t * sinh(x)))
asinh_p = unary("asinh", np.arcsinh, defjvp(lambda t, x, out: t * _rsqrt(x * x + 1)))
acosh_p = unary("acosh", quiet(np.arccosh),
                defjvp(lambda t, x, out: t * _rsqrt((x - 1) * (x + 1))))
atanh_p = unary("atanh", quiet(np.arctanh), defjvp(lambda t, x, out: t / ((1 - x) * (1 + x))))


def _hypot_term(t, mine, out):
    """d hypot / d mine = mine / hypot; 0 at the origin (a subgradient, not 0/0)."""
    zero = out == 0
    return t * (mine / select(zero, np.ones((), out.dtype)[()], out))


hypot_p = binary("hypot", quiet(np.hypot),
                 defjvp(lambda t, x, y, out: _hypot_term(t, x, out),
                        lambda t, x, y, out: _hypot_term(t, y, out)),
                 operands="float")


def sinh(x):
    return bind(sinh_p, x)


def cosh(x):
    return bind(cosh_p, x)

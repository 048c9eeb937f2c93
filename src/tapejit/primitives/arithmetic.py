"""Binary arithmetic with NumPy broadcasting: add, sub, mul, div, pow, integer_pow, maximum,
minimum; and neg, square."""

from __future__ import annotations

import operator

import numpy as np

from tapejit.errors import TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import (
    binary,
    elementwise_batch,
    is_undefined,
    quiet,
    require_numeric,
    scalar_negative,
    scalar_operator,
    unary,
)
from tapejit.primitives.broadcast import sum_to_shape
from tapejit.primitives.compare import equal, logical_and, select
from tapejit.primitives.convert import convert
from tapejit.primitives.elementwise import log
from tapejit.primitives.jvp import defjvp
from tapejit.trace import bind


def _unbroadcast_each(ct, x, y, scale_x=None, scale_y=None):
    """Cotangents of a broadcasting linear binary op, summed back to each linear input."""
    cx = sum_to_shape(ct if scale_x is None else scale_x(ct), x.shape) if is_undefined(x) else None
    cy = sum_to_shape(ct if scale_y is None else scale_y(ct), y.shape) if is_undefined(y) else None
    return cx, cy


add_p = binary("add", scalar_operator(np.add, operator.add),
               defjvp(lambda t, x, y, out: t, lambda t, x, y, out: t),
               transpose=lambda ct, x, y: _unbroadcast_each(ct, x, y))

sub_p = binary("sub", scalar_operator(np.subtract, operator.sub),
               defjvp(lambda t, x, y, out: t, lambda t, x, y, out: -t),
               transpose=lambda ct, x, y: _unbroadcast_each(ct, x, y, scale_y=lambda c: -c))


def _mul_transpose(ct, x, y):
    return _unbroadcast_each(ct, x, y, scale_x=lambda c: c * y, scale_y=lambda c: x * c)


mul_p = binary("mul", scalar_operator(np.multiply, operator.mul),
               defjvp(lambda t, x, y, out: t * y, lambda t, x, y, out: x * t),
               transpose=_mul_transpose)


def _div_transpose(ct, x, y):
    assert not is_undefined(y), "div is linear only in its numerator"
    return sum_to_shape(ct / y, x.shape), None


div_p = binary("div", quiet(np.divide),
               defjvp(lambda t, x, y, out: t / y, lambda t, x, y, out: t * (-out / y)),
               operands="float", transpose=_div_transpose)

neg_p = unary("neg", scalar_negative, defjvp(lambda t, x, out: -t), operands="numeric",
              transpose=lambda ct, x: (-ct,))

square_p = unary("square", np.square, defjvp(lambda t, x, out: t * (x * 2)),
                 operands="numeric")


def _integer_pow_type(x: TensorType, *, y: int) -> TensorType:
    require_numeric(x)
    if x.dtype.kind in "iu" and y < 0:
        raise TypeRuleError(f"integer {x} to the negative power {y}",
                            "cast to a float dtype first")
    return x


def _integer_pow_impl(x, *, y):
    if y == 0:
        return np.ones_like(x)
    out = _multiplied_out(x, abs(y))
    return (out if y > 0 else np.reciprocal(out)).astype(x.dtype, copy=False)


def _multiplied_out(x, n: int):
    """x**n by multiplications in the order a compiled kernel uses, so both paths round alike:
    left to right up to x**8, square-and-multiply (low bit first) above."""
    if n <= 8:
        out = x
        for _ in range(n - 1):
            out = out * x
        return out
    out = None
    while True:
        if n & 1:
            out = x if out is None else out * x
        n >>= 1
        if not n:
            return out
        x = x * x


def _integer_pow_jvp(primals, tangents, out, *, y):
    (x,), (t,) = primals, tangents
    if y == 0:
        return None
    if y == 1:
        return t
    return t * (x * 2 if y == 2 else integer_pow(x, y - 1) * y)


integer_pow_p = Primitive(name="integer_pow", type_rule=_integer_pow_type,
                          impl=quiet(_integer_pow_impl), jvp=_integer_pow_jvp,
                          batch=elementwise_batch)


def _pow_jvp_base(t, x, y, out):
    """y·x^(y−1); where x = y = 0 (0·inf) the exponent is 1 instead, so x^0 has derivatives 0
    of every order there while y·x^(y−1) keeps its own derivatives everywhere else."""
    zero, one = np.zeros((), x.dtype)[()], np.ones((), x.dtype)[()]
    both_zero = logical_and(equal(x, zero), equal(y, zero))
    return t * (y * pow(x, select(both_zero, one, y - one)))


def _pow_jvp_exponent(t, x, y, out):
    positive = x > 0
    zero, one = np.zeros((), x.dtype)[()], np.ones((), x.dtype)[()]
    return t * select(positive, out * log(select(positive, x, one)), zero)


pow_p = binary("pow", quiet(np.power), defjvp(_pow_jvp_base, _pow_jvp_exponent),
               operands="float")


def _chooser_weights(x, y, first: bool):
    """Weight of x in d max(x, y) (or min): 1 where it wins, 1/2 on ties, 0 elsewhere."""
    wins = (x > y) if first else (x < y)
    return convert(wins, x.dtype) + convert(equal(x, y), x.dtype) * 0.5


def _minmax(name: str, impl, x_wins_when_greater: bool) -> Primitive:
    def rule(index):
        def term(t, x, y, out):
            w = _chooser_weights(x, y, x_wins_when_greater) if index == 0 else \
                _chooser_weights(y, x, x_wins_when_greater)
            return t * w
        return term
    return binary(name, impl, defjvp(rule(0), rule(1)))


maximum_p = _minmax("maximum", np.maximum, True)
minimum_p = _minmax("minimum", np.minimum, False)


def integer_pow(x, y: int):
    return bind(integer_pow_p, x, y=y)


def pow(x, y):  # noqa: A001
    return bind(pow_p, x, y)


def maximum(x, y):
    return bind(maximum_p, x, y)

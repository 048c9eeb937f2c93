"""Arithmetic under the dtype policy: add, subtract, multiply, divide, pow, maximum, ..."""

from __future__ import annotations

import numpy as np

from tapejit.errors import DTypeError, op_error
from tapejit.ops.operands import binary_operands, cast, numeric_operand
from tapejit.ops.temporaries import spare_operand
from tapejit.primitives.arithmetic import (
    add_p,
    div_p,
    integer_pow_p,
    maximum_p,
    minimum_p,
    mul_p,
    neg_p,
    pow_p,
    square_p,
    sub_p,
)
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import bind, bind_into


def _binary(prim, op):
    """The user function of a binary primitive. Booleans are not numbers here (TF's rule;
    tapejit.numpy combines them as NumPy does): refused eagerly and under jit alike."""
    def fn(x, y):
        spare = spare_operand(x, y)
        a, b = binary_operands(op, x, y)
        if (a._value if type(a) is Tensor else a).dtype.kind == "b":
            raise op_error(DTypeError, op, f"expects a numeric operand, got bool{list(a.shape)}",
                           "use tj.math.logical_and/logical_or for booleans, or cast them to a "
                           "number first", user_site())
        # bind_into would fall back to bind itself: a call less on the eager tape's path
        return bind(prim, a, b) if spare is None else bind_into(spare, prim, a, b)
    fn.__name__, fn.__doc__ = op, f"Elementwise {op} with NumPy broadcasting."
    return fn


add = _binary(add_p, "add")
subtract = _binary(sub_p, "subtract")
multiply = _binary(mul_p, "multiply")
maximum = _binary(maximum_p, "maximum")
minimum = _binary(minimum_p, "minimum")


def divide(x, y):
    """True division; integer operands give float32 (float64 for 64-bit integers)."""
    spare = spare_operand(x, y)
    a, b = binary_operands("divide", x, y)
    if a.dtype.kind in "iub":
        dtype = np.float64 if a.dtype.itemsize == 8 else np.float32
        a, b = cast(a, dtype), cast(b, dtype)
    return bind_into(spare, div_p, a, b)


def negative(x):
    spare = spare_operand(x)
    return bind_into(spare, neg_p, numeric_operand(x, "negative"))


def square(x):
    spare = spare_operand(x)
    return bind_into(spare, square_p, numeric_operand(x, "square"))


def reciprocal(x):
    return divide(1, x)


def pow(x, y):  # noqa: A001
    """x ** y; a Python int exponent becomes integer_pow (exact, and fine at x == 0)."""
    if isinstance(y, int) and not isinstance(y, bool):
        x = numeric_operand(x, "pow")
        if y < 0 and x.dtype.kind in "iu":
            return divide(1, pow(x, -y))
        return bind(integer_pow_p, x, y=y)
    a, b = binary_operands("pow", x, y)
    if a.dtype.kind != "f":  # a tensor exponent of integers: computed in float32
        a, b = cast(a, np.float32), cast(b, np.float32)
    return bind(pow_p, a, b)


power = pow

"""Elementwise functions with NumPy's dtype rules: operands promote as NumPy's do, integer
inputs of float functions give NumPy's float type (int8 -> float16, int32 -> float64)."""

from __future__ import annotations

import numpy as np

from tapejit.errors import DTypeError, op_error
from tapejit.numpy.arguments import operands
from tapejit.ops.operands import cast
from tapejit.ops.temporaries import spare_operand
from tapejit.primitives import arithmetic as arith
from tapejit.primitives import compare, elementwise
from tapejit.site import user_site
from tapejit.trace import bind, bind_into


def float_dtype(dtype: np.dtype) -> np.dtype:
    """The float type NumPy computes a float function of `dtype` in (bool/int8 -> f16, ...)."""
    return np.promote_types(dtype, np.float16)


def _floats(name: str, *xs) -> list:
    values = operands(name, *xs)
    dtype = float_dtype(values[0].dtype)
    return [cast(v, dtype) for v in values]


def _float_function(prim, name: str):
    def fn(x):
        spare = spare_operand(x)
        return bind_into(spare, prim, *_floats(name, x))
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} (NumPy's np.{name}); integers give NumPy's float type."
    return fn


exp = _float_function(elementwise.exp_p, "exp")
expm1 = _float_function(elementwise.expm1_p, "expm1")
log = _float_function(elementwise.log_p, "log")
log1p = _float_function(elementwise.log1p_p, "log1p")
sin = _float_function(elementwise.sin_p, "sin")
cos = _float_function(elementwise.cos_p, "cos")
tan = _float_function(elementwise.tan_p, "tan")
tanh = _float_function(elementwise.tanh_p, "tanh")
sqrt = _float_function(elementwise.sqrt_p, "sqrt")


def _no_bool(name: str):
    return op_error(DTypeError, name, "NumPy's boolean version of this is not supported",
                    "cast the booleans to an integer or float dtype first", user_site())


def _binary(prim, name: str, on_bool=None):
    def fn(x1, x2):
        spare = spare_operand(x1, x2)
        a, b = operands(name, x1, x2)
        if a.dtype.kind == "b":
            if on_bool is None:
                raise _no_bool(name)
            return bind(on_bool, a, b)
        return bind_into(spare, prim, a, b)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} with NumPy's broadcasting and dtype rules."
    return fn


add = _binary(arith.add_p, "add", compare.or_p)
subtract = _binary(arith.sub_p, "subtract")
multiply = _binary(arith.mul_p, "multiply", compare.and_p)
maximum = _binary(arith.maximum_p, "maximum", compare.or_p)
minimum = _binary(arith.minimum_p, "minimum", compare.and_p)


def divide(x1, x2):
    """True division; integer and bool operands give float64, as in NumPy."""
    spare = spare_operand(x1, x2)
    a, b = operands("divide", x1, x2)
    if a.dtype.kind != "f":
        a, b = cast(a, np.float64), cast(b, np.float64)
    return bind_into(spare, arith.div_p, a, b)


true_divide = divide


def power(x1, x2):
    """x1 ** x2 with NumPy's dtype rules; integer powers are exact below 2**53."""
    a, b = operands("power", x1, x2)
    if a.dtype.kind == "b":
        raise _no_bool("power")
    if a.dtype.kind == "f":
        return bind(arith.pow_p, a, b)
    wide = bind(arith.pow_p, cast(a, np.float64), cast(b, np.float64))
    return cast(wide, a.dtype)


pow = power  # noqa: A001


def negative(x):
    spare = spare_operand(x)
    (a,) = operands("negative", x)
    if a.dtype.kind == "b":
        raise _no_bool("negative")
    return bind_into(spare, arith.neg_p, a)


def square(x):
    spare = spare_operand(x)
    (a,) = operands("square", x)
    if a.dtype.kind == "b":
        return bind(compare.and_p, a, a)
    return bind_into(spare, arith.square_p, a)


def abs(x):  # noqa: A001
    """|x|; booleans stay as they are, as in NumPy."""
    spare = spare_operand(x)
    (a,) = operands("absolute", x)
    return a if a.dtype.kind == "b" else bind_into(spare, elementwise.abs_p, a)


absolute = abs


def arctan2(x1, x2):
    """The angle of (x2, x1) in [-pi, pi], NumPy's arctan2."""
    return bind(elementwise.atan2_p, *_floats("arctan2", x1, x2))


def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)) without overflow, as NumPy's (ties, infinities and NaN included);
    its derivatives are smooth: d/dx1 = sigmoid(x1 - x2)."""
    return bind(elementwise.logaddexp_p, *_floats("logaddexp", x1, x2))


def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2), as NumPy's, with logaddexp's smooth derivatives: computed as
    logaddexp(x1·log 2, x2·log 2) / log 2, whose scaling costs about |x1 - x2| ulp where the
    result is the far tail alone (logaddexp2(-1000, 0) = 1.3e-301 to 1e-13)."""
    a, b = _floats("logaddexp2", x1, x2)
    ln2 = np.log(2.0).astype(a.dtype)
    return bind(arith.div_p, bind(elementwise.logaddexp_p, a * ln2, b * ln2), ln2)

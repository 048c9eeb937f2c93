"""tj.math: elementwise math, comparisons and reductions (TF-style names)."""

from tapejit import math_more as _more
from tapejit.math_more import *  # noqa: F403 - the rest of tf.math
from tapejit.ops import (
    abs,
    add,
    argmax,
    argmin,
    atan2,
    cos,
    divide,
    equal,
    exp,
    expm1,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    reciprocal,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_sum,
    rsqrt,
    segment_sum,
    sigmoid,
    sign,
    sin,
    softplus,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    unsorted_segment_sum,
    where,
)
from tapejit.ops import stop_gradient as _stop_gradient
from tapejit.ops.operands import float_operand as _float_operand
from tapejit.primitives.special import erf_p as _erf_p
from tapejit.primitives.special import erfc_p as _erfc_p
from tapejit.trace import bind as _bind


def erf(x):
    """The error function 2/sqrt(pi) * integral of exp(-t**2) from 0 to x (tf.math.erf);
    integer inputs become float32."""
    return _bind(_erf_p, _float_operand(x, "erf"))


def erfc(x):
    """1 - erf(x), accurate where erf(x) is near 1 (tf.math.erfc)."""
    return _bind(_erfc_p, _float_operand(x, "erfc"))


def reduce_logsumexp(x, axis=None, keepdims: bool = False):
    """log(sum(exp(x))) over `axis`, computed stably (shifted by the max where it is finite).

    Its derivatives are those of log(sum(exp(x))) at every order (the shift is a constant);
    an all -inf slice gives -inf with a zero gradient, as no finite change of x moves it.
    """
    peak = reduce_max(x, axis, keepdims=True)
    peak = _stop_gradient(where(less(abs(peak), float("inf")), peak, 0))
    total = reduce_sum(exp(x - peak), axis, keepdims=True)
    empty = equal(total, 0)
    out = where(empty, float("-inf"), log(where(empty, 1, total))) + peak
    return out if keepdims else reduce_sum(out, axis) if axis is not None else reduce_sum(out)


def reduce_variance(x, axis=None, keepdims: bool = False):
    mean = reduce_mean(x, axis, keepdims=True)
    return reduce_mean(square(x - mean), axis, keepdims)


def reduce_std(x, axis=None, keepdims: bool = False):
    return sqrt(reduce_variance(x, axis, keepdims))


def squared_difference(x, y):
    return square(subtract(x, y))


__all__ = ["abs", "add", "argmax", "argmin", "atan2", "cos", "divide", "equal", "erf", "erfc",
           "exp", "expm1", "greater", "greater_equal", "less", "less_equal", "log", "log1p",
           "logical_and", "logical_not", "logical_or", "maximum", "minimum", "multiply",
           "negative", "not_equal", "pow", "reciprocal", "reduce_logsumexp", "reduce_max",
           "reduce_mean", "reduce_min", "reduce_std", "reduce_sum", "reduce_variance", "rsqrt",
           "segment_sum", "sigmoid", "sign", "sin", "softplus", "sqrt", "square",
           "squared_difference", "subtract", "tan", "tanh", "unsorted_segment_sum"] + _more.__all__

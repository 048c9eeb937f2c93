"""tj.math: elementwise math, comparisons and reductions (TF-style names)."""

from tapejit import math_more as _more
from tapejit import ops as _ops
from tapejit.math_more import *  # noqa: F403 - the rest of tf.math
from tapejit.math_more.compat import divide, maximum, minimum, sign
from tapejit.math_more.compat import tf_binary as _binary
from tapejit.math_more.compat import tf_reduction as _reduction
from tapejit.math_more.compat import tf_unary as _unary
from tapejit.ops import argmax, argmin, segment_sum, unsorted_segment_sum, where
from tapejit.ops import stop_gradient as _stop_gradient
from tapejit.ops.operands import float_operand as _float_operand
from tapejit.primitives.special import erf_p as _erf_p
from tapejit.primitives.special import erfc_p as _erfc_p
from tapejit.trace import bind as _bind

# TF's signatures over the ops tj.math shares with other namespaces: (x, name=None),
# (x, y, name=None), (input_tensor, axis=None, keepdims=False, name=None).
abs = _unary(_ops.abs, "abs")  # noqa: A001 - TF's name
cos = _unary(_ops.cos, "cos")
exp = _unary(_ops.exp, "exp")
expm1 = _unary(_ops.expm1, "expm1")
log = _unary(_ops.log, "log")
log1p = _unary(_ops.log1p, "log1p")
logical_not = _unary(_ops.logical_not, "logical_not")
negative = _unary(_ops.negative, "negative")
reciprocal = _unary(_ops.reciprocal, "reciprocal")
rsqrt = _unary(_ops.rsqrt, "rsqrt")
sigmoid = _unary(_ops.sigmoid, "sigmoid")
sin = _unary(_ops.sin, "sin")
sqrt = _unary(_ops.sqrt, "sqrt")
square = _unary(_ops.square, "square")
tan = _unary(_ops.tan, "tan")
tanh = _unary(_ops.tanh, "tanh")
add = _binary(_ops.add, "add")
equal = _binary(_ops.equal, "equal")
greater = _binary(_ops.greater, "greater")
greater_equal = _binary(_ops.greater_equal, "greater_equal")
less = _binary(_ops.less, "less")
less_equal = _binary(_ops.less_equal, "less_equal")
logical_and = _binary(_ops.logical_and, "logical_and")
logical_or = _binary(_ops.logical_or, "logical_or")
multiply = _binary(_ops.multiply, "multiply")
not_equal = _binary(_ops.not_equal, "not_equal")
pow = _binary(_ops.pow, "pow")  # noqa: A001 - TF's name
subtract = _binary(_ops.subtract, "subtract")
reduce_max = _reduction(_ops.reduce_max, "reduce_max")
reduce_mean = _reduction(_ops.reduce_mean, "reduce_mean")
reduce_min = _reduction(_ops.reduce_min, "reduce_min")
reduce_sum = _reduction(_ops.reduce_sum, "reduce_sum")


def atan2(y, x, name=None):
    """The angle of the point (x, y), elementwise, in [-pi, pi] (tf.math.atan2); integer
    inputs become float32."""
    del name
    return _ops.atan2(y, x)


def softplus(features, name=None):
    """log(exp(x) + 1), elementwise (tf.math.softplus)."""
    del name
    return _ops.softplus(features)


def erf(x, name=None):
    """The error function 2/sqrt(pi) * integral of exp(-t**2) from 0 to x (tf.math.erf);
    integer inputs become float32."""
    del name
    return _bind(_erf_p, _float_operand(x, "erf"))


def erfc(x, name=None):
    """1 - erf(x), accurate where erf(x) is near 1 (tf.math.erfc)."""
    del name
    return _bind(_erfc_p, _float_operand(x, "erfc"))


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) over `axis`, computed stably (shifted by the max where it is finite)
    (tf.math.reduce_logsumexp).

    Its derivatives are those of log(sum(exp(x))) at every order (the shift is a constant);
    an all -inf slice gives -inf with a zero gradient, as no finite change of x moves it.
    """
    del name
    x = input_tensor
    peak = _ops.reduce_max(x, axis, keepdims=True)
    peak = _stop_gradient(where(_ops.less(_ops.abs(peak), float("inf")), peak, 0))
    total = _ops.reduce_sum(_ops.exp(x - peak), axis, keepdims=True)
    empty = _ops.equal(total, 0)
    out = where(empty, float("-inf"), _ops.log(where(empty, 1, total))) + peak
    if keepdims:
        return out
    return _ops.reduce_sum(out, axis) if axis is not None else _ops.reduce_sum(out)


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """The mean of the squared deviations from the mean over `axis`
    (tf.math.reduce_variance)."""
    del name
    mean = _ops.reduce_mean(input_tensor, axis, keepdims=True)
    return _ops.reduce_mean(_ops.square(input_tensor - mean), axis, keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """The square root of reduce_variance over `axis` (tf.math.reduce_std)."""
    del name
    return _ops.sqrt(reduce_variance(input_tensor, axis, keepdims))


def squared_difference(x, y, name=None):
    """(x - y)**2, elementwise (tf.math.squared_difference)."""
    del name
    return _ops.square(_ops.subtract(x, y))


__all__ = ["abs", "add", "argmax", "argmin", "atan2", "cos", "divide", "equal", "erf", "erfc",
           "exp", "expm1", "greater", "greater_equal", "less", "less_equal", "log", "log1p",
           "logical_and", "logical_not", "logical_or", "maximum", "minimum", "multiply",
           "negative", "not_equal", "pow", "reciprocal", "reduce_logsumexp", "reduce_max",
           "reduce_mean", "reduce_min", "reduce_std", "reduce_sum", "reduce_variance", "rsqrt",
           "segment_sum", "sigmoid", "sign", "sin", "softplus", "sqrt", "square",
           "squared_difference", "subtract", "tan", "tanh", "unsorted_segment_sum"] + _more.__all__

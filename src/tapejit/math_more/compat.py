"""tf.math's versions of functions tj.math shares with tapejit.ops: TF's signatures (argument
names, `name=None` accepted and unused), and TF's results where they differ from the shared
op's: maximum/minimum give a tie's whole gradient to x (TF's _MaximumMinimumGrad), divide is
TF's truediv, sign has a zero (not an absent) gradient (TF's _SignGrad). The shared ops
themselves, used by tj.numpy and others, are unchanged."""

from __future__ import annotations

from tapejit import ops
from tapejit.math_more.elementwise import truediv
from tapejit.ops.operands import binary_operands, float_operand
from tapejit.ops.temporaries import forwards_operands


def _named(fn, wrapper, name: str):
    """`wrapper` with fn's docstring, under TF's function name (no __wrapped__: inspect shows
    the wrapper's own, TF's, signature)."""
    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = fn.__doc__ or f"Elementwise {name} (tf.math.{name})."
    wrapper.__module__ = __name__
    return wrapper


def tf_unary(fn, name: str):
    """fn(x) as TF's name(x, name=None)."""
    @forwards_operands
    def wrapper(x, name=None):
        del name
        return fn(x)
    return _named(fn, wrapper, name)


def tf_binary(fn, name: str):
    """fn(x, y) as TF's name(x, y, name=None)."""
    @forwards_operands
    def wrapper(x, y, name=None):
        del name
        return fn(x, y)
    return _named(fn, wrapper, name)


def tf_reduction(fn, name: str):
    """fn(x, axis, keepdims) as TF's name(input_tensor, axis=None, keepdims=False, name=None)."""
    def wrapper(input_tensor, axis=None, keepdims=False, name=None):
        del name
        return fn(input_tensor, axis, keepdims)
    return _named(fn, wrapper, name)


def _tf_extremum(op: str, value_fn, selector, x, y):
    """x where selector(x, y) holds or x is NaN, else y: TF's value (x on ties, signed zeros
    included; a NaN on either side wins) and TF's gradient, all of it to x where
    selector(x, y) holds, to y elsewhere. Where x is NaN, x takes it (TF's goes to y)."""
    a, b = binary_operands(op, x, y)
    if a.dtype.kind != "f":
        return value_fn(a, b)
    keep_x = ops.logical_or(selector(a, b), ops.not_equal(a, a))
    return ops.where(keep_x, a, b)


def maximum(x, y, name=None):
    """The elementwise maximum (tf.math.maximum): x where x >= y (ties, signed zeros
    included), NaN where either is NaN; the gradient goes to the side chosen (TF's
    _MaximumMinimumGrad). tj.numpy.maximum keeps NumPy's value and JAX's split gradient."""
    del name
    return _tf_extremum("maximum", ops.maximum, ops.greater_equal, x, y)


def minimum(x, y, name=None):
    """The elementwise minimum (tf.math.minimum): x where x <= y, as tf.math.maximum."""
    del name
    return _tf_extremum("minimum", ops.minimum, ops.less_equal, x, y)


def divide(x, y, name=None):
    """x / y, Python's true division (tf.math.divide is x / y, i.e. tf.math.truediv): 8- and
    16-bit integers divide in float32, 32- and 64-bit ones in float64."""
    return truediv(x, y, name)


def sign(x, name=None):
    """-1, 0 or 1 by x's sign, NaN for NaN (tf.math.sign). Its gradient is zeros, as TF's
    _SignGrad, not an absent (None) one: the value is selected past x by a condition that
    always holds, so x stays connected with a zero derivative."""
    del name
    s = ops.sign(x)
    if s.dtype.kind != "f":
        return s
    always = ops.logical_not(ops.greater(ops.abs(s), 1))  # |s| <= 1, or s NaN
    return ops.where(always, s, float_operand(x, "sign"))

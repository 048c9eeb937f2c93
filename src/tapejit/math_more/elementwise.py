"""tf.math's elementwise functions that tj.math lacked: inverse and hyperbolic trigonometry,
rounding, classification, TF's divisions and the no-NaN products, softmax and friends."""

from __future__ import annotations

import math

from tapejit import dtypes
from tapejit.errors import DTypeError, op_error
from tapejit.ops import (
    abs,
    cast,
    divide,
    equal,
    exp,
    identity,
    less,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    not_equal,
    reduce_max,
    reduce_sum,
    softplus,
    stop_gradient,
    where,
)
from tapejit.ops.operands import binary_operands, float_operand, numeric_operand
from tapejit.primitives import rounding, trig
from tapejit.site import user_site
from tapejit.trace import bind


def _float_unary(prim, op: str):
    def fn(x, name=None):
        del name
        return bind(prim, float_operand(x, op))
    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"Elementwise {op} (tf.math.{op}); integer inputs become float32."
    return fn


sinh, cosh = _float_unary(trig.sinh_p, "sinh"), _float_unary(trig.cosh_p, "cosh")
asin, acos = _float_unary(trig.asin_p, "asin"), _float_unary(trig.acos_p, "acos")
atan, asinh = _float_unary(trig.atan_p, "atan"), _float_unary(trig.asinh_p, "asinh")
acosh, atanh = _float_unary(trig.acosh_p, "acosh"), _float_unary(trig.atanh_p, "atanh")
floor, ceil = _float_unary(rounding.floor_p, "floor"), _float_unary(rounding.ceil_p, "ceil")
rint = _float_unary(rounding.round_p, "rint")


def round(x, name=None):  # noqa: A001 - TF's name
    """The nearest integer, halves to even (tf.math.round); integers are returned as they are."""
    del name
    x = numeric_operand(x, "round")
    return identity(x) if x.dtype.kind in "iu" else bind(rounding.round_p, x)


def is_nan(x, name=None):
    """Elementwise x != x (tf.math.is_nan)."""
    del name
    x = float_operand(x, "is_nan")
    return not_equal(x, x)


def is_inf(x, name=None):
    """Elementwise |x| == inf (tf.math.is_inf)."""
    del name
    return equal(abs(float_operand(x, "is_inf")), math.inf)


def is_finite(x, name=None):
    """Elementwise |x| < inf, false for NaN (tf.math.is_finite)."""
    del name
    return less(abs(float_operand(x, "is_finite")), math.inf)


def _numbers(op: str, x, y):
    """Both operands in one dtype (tj.math's promotion); booleans are refused, as by TF."""
    a, b = binary_operands(op, x, y)
    if a.dtype.kind == "b":
        raise op_error(DTypeError, op, "expects numeric operands, got bool",
                       "cast them to a number first", user_site())
    return a, b


def _floats(op: str, x, y):
    a, b = binary_operands(op, x, y)
    return (a, b) if a.dtype.kind == "f" else (cast(a, dtypes.float32), cast(b, dtypes.float32))


def floordiv(x, y, name=None):
    """floor(x / y) (tf.math.floordiv): floats as TF computes it, integers exactly (an
    integer x // 0 gives 0 where TF raises). No gradient, as in TF."""
    del name
    a, b = _numbers("floordiv", x, y)
    if a.dtype.kind == "f":
        return bind(rounding.floor_p, divide(a, b))
    return bind(rounding.floor_divide_p, a, b)


def floormod(x, y, name=None):
    """The remainder with the divisor's sign (tf.math.floormod, tf.math.mod): for floats TF's
    fmod(x, y) + y where the signs differ; gradient (1, -floor(x / y)). An integer x % 0
    gives 0 where TF raises."""
    del name
    a, b = _numbers("floormod", x, y)
    if a.dtype.kind != "f":
        return bind(rounding.mod_p, a, b)
    trunc_mod = bind(rounding.fmod_p, a, b)
    flip = logical_and(not_equal(trunc_mod, 0), not_equal(less(b, 0), less(trunc_mod, 0)))
    return where(flip, trunc_mod + b, trunc_mod)


mod = floormod


def truediv(x, y, name=None):
    """x / y (tf.math.truediv): 8- and 16-bit integers divide in float32, 32- and 64-bit
    ones in float64, as in TF."""
    del name
    a, b = _numbers("truediv", x, y)
    if a.dtype.kind in "iu":
        dtype = dtypes.float32 if a.dtype.itemsize <= 2 else dtypes.float64
        a, b = cast(a, dtype), cast(b, dtype)
    return divide(a, b)


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y == 0, with a zero gradient there (tf.math.divide_no_nan)."""
    del name
    a, b = _floats("divide_no_nan", x, y)
    zero = equal(b, 0)
    return where(zero, 0, a / where(zero, 1, b))


def reciprocal_no_nan(x, name=None):
    """1 / x, and 0 where x == 0 (tf.math.reciprocal_no_nan)."""
    del name
    return divide_no_nan(1, x)


def multiply_no_nan(x, y, name=None):
    """x * y, and +0 where y == 0 even for x inf or NaN (tf.math.multiply_no_nan). Gradient
    (y, x), zero for x where y == 0 as in TF; for y where y == 0 and x is inf or NaN it is
    0 (TF's is inf or NaN there)."""
    del name
    a, b = _floats("multiply_no_nan", x, y)
    zero = equal(b, 0)
    product = where(logical_and(zero, logical_not(is_finite(a))), 0, a) * b
    return where(zero, product + 0.0, product)  # + 0.0: TF's +0 where x < 0


def xlogy(x, y, name=None):
    """x * log(y), and 0 where x == 0 (even for y 0 or NaN), with TF's gradient (log(y),
    x / y), zero where x == 0 (tf.math.xlogy)."""
    del name
    a, b = _floats("xlogy", x, y)
    nonzero = not_equal(a, 0)
    return where(nonzero, a * log(where(nonzero, b, 1)), 0)


def xlog1py(x, y, name=None):
    """x * log1p(y), and 0 where x == 0 (even for y -1 or NaN), with TF's gradient
    (log1p(y), x / (y + 1)), zero where x == 0 (tf.math.xlog1py)."""
    del name
    a, b = _floats("xlog1py", x, y)
    nonzero = not_equal(a, 0)
    return where(nonzero, a * log1p(where(nonzero, b, 0)), 0)


def truncatediv(x, y, name=None):
    """x / y rounded toward zero, for integers only, as TF's kernels (tf.math.truncatediv):
    -7 / 5 is -1. An integer x / 0 gives 0 where TF raises. No gradient (integers)."""
    del name
    a, b = _numbers("truncatediv", x, y)
    if a.dtype.kind not in "iu":
        raise op_error(DTypeError, "truncatediv", f"has TF kernels for integers only, got "
                       f"{a.dtype.name}", "use tf.math.truediv and tf.math.floor / ceil, or "
                       "cast to an integer dtype", user_site())
    # x - fmod(x, y) is an exact multiple of y: floor division of it rounds toward zero
    return bind(rounding.floor_divide_p, a - bind(rounding.fmod_p, a, b), b)


_TRUNCATEMOD_DTYPES = (dtypes.int32, dtypes.int64, dtypes.float16, dtypes.float32,
                       dtypes.float64)


def truncatemod(x, y, name=None):
    """The remainder of x / y rounded toward zero, with x's sign: C's fmod (tf.math.
    truncatemod), for int32, int64 and floats, as TF. TF registers no gradient; tapejit's is
    fmod's (1, -trunc(x / y)). An integer x % 0 gives 0 where TF raises."""
    del name
    a, b = _numbers("truncatemod", x, y)
    if a.dtype not in _TRUNCATEMOD_DTYPES:
        raise op_error(DTypeError, "truncatemod", f"expects int32, int64 or float operands, "
                       f"as TF, got {a.dtype.name}", "cast them to int32 or int64 first",
                       user_site())
    return bind(rounding.fmod_p, a, b)


def xdivy(x, y, name=None):
    """x / y, and 0 where x == 0, with a zero gradient there (tf.math.xdivy)."""
    del name
    a, b = _floats("xdivy", x, y)
    nonzero = not_equal(a, 0)
    return where(nonzero, a / where(nonzero, b, 1), 0)


def logical_xor(x, y, name="LogicalXor"):
    """x != y for booleans (tf.math.logical_xor)."""
    del name
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)))


def softsign(features, name=None):
    """x / (|x| + 1) (tf.math.softsign)."""
    del name
    x = float_operand(features, "softsign")
    return x / (abs(x) + 1)


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x) (tf.math.log_sigmoid)."""
    del name
    return -softplus(-float_operand(x, "log_sigmoid"))


def _shifted(logits, axis, op: str):
    """logits - max(logits) along `axis` (default -1, the max not differentiated), and that
    axis."""
    x = float_operand(logits, op)
    axis = -1 if axis is None else axis
    return x - stop_gradient(reduce_max(x, axis, keepdims=True)), axis


def softmax(logits, axis=None, name=None):
    """exp(x) / sum(exp(x)) along `axis`, by default the last (tf.math.softmax)."""
    del name
    shifted, axis = _shifted(logits, axis, "softmax")
    e = exp(shifted)
    return e / reduce_sum(e, axis, keepdims=True)


def log_softmax(logits, axis=None, name=None):
    """x - log(sum(exp(x))) along `axis`, by default the last, as TF's kernel computes it
    (tf.math.log_softmax; a row of -inf gives NaN, as in TF)."""
    del name
    shifted, axis = _shifted(logits, axis, "log_softmax")
    return shifted - log(reduce_sum(exp(shifted), axis, keepdims=True))

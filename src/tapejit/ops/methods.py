"""The Python operators and methods of Tensor, Tracer and Variable, as a table of ops."""

from __future__ import annotations

from tapejit.ops import operands as _operands
from tapejit.ops.arithmetic import add, divide, multiply, negative, power, subtract
from tapejit.ops.at import IndexUpdateHelper
from tapejit.ops.compare import (
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    not_equal,
)
from tapejit.ops.elementwise import abs
from tapejit.ops.indexing import getitem
from tapejit.ops.linalg import matmul
from tapejit.ops.operands import cast
from tapejit.ops.shape import transpose
from tapejit.ops.temporaries import forwards_operands
from tapejit.primitives.rounding import floor_divide_p, mod_p

floordiv = _operands.binary_function(
    floor_divide_p, "floordiv", "x // y: the largest integer <= x / y (tf.math.floordiv; "
    "Python's and NumPy's result; integer x // 0 is 0).")
floormod = _operands.binary_function(
    mod_p, "floormod", "x % y with the divisor's sign (tf.math.floormod; Python's and "
    "NumPy's result; integer x % 0 is 0).")


def _reflected(op):
    """`op` with its operands swapped: the method of a reflected operator (`2 * t`)."""
    return forwards_operands(lambda self, other: op(other, self))


def _divmod(x, y):
    return floordiv(x, y), floormod(x, y)


METHODS = {
    "__add__": add, "__radd__": _reflected(add),
    "__sub__": subtract, "__rsub__": _reflected(subtract),
    "__mul__": multiply, "__rmul__": _reflected(multiply),
    "__truediv__": divide, "__rtruediv__": _reflected(divide),
    "__pow__": power, "__rpow__": _reflected(power),
    "__floordiv__": floordiv, "__rfloordiv__": _reflected(floordiv),
    "__mod__": floormod, "__rmod__": _reflected(floormod),
    "__divmod__": _divmod, "__rdivmod__": _reflected(_divmod),
    "__matmul__": matmul, "__rmatmul__": _reflected(matmul),
    "__neg__": negative, "__abs__": abs,
    "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
    "__eq__": equal, "__ne__": not_equal,
    "__getitem__": getitem,
    "T": property(transpose),
    "astype": cast,
    "at": property(IndexUpdateHelper),
}

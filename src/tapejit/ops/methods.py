"""The Python operators and methods of Tensor, Tracer and Variable, as a table of ops."""

from __future__ import annotations

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

METHODS = {
    "__add__": add, "__radd__": lambda self, other: add(other, self),
    "__sub__": subtract, "__rsub__": lambda self, other: subtract(other, self),
    "__mul__": multiply, "__rmul__": lambda self, other: multiply(other, self),
    "__truediv__": divide, "__rtruediv__": lambda self, other: divide(other, self),
    "__pow__": power, "__rpow__": lambda self, other: power(other, self),
    "__matmul__": matmul, "__rmatmul__": lambda self, other: matmul(other, self),
    "__neg__": negative, "__abs__": abs,
    "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
    "__eq__": equal, "__ne__": not_equal,
    "__getitem__": getitem,
    "T": property(transpose),
    "astype": cast,
    "at": property(IndexUpdateHelper),
}

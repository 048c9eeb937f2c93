"""The user-level ops, gathered from the primitive families (Tensor operators call these)."""

from tapejit.operands import as_operand, cast
from tapejit.primitives.arithmetic import (
                                           add,
                                           divide,
                                           maximum,
                                           minimum,
                                           multiply,
                                           negative,
                                           pow,
                                           power,
                                           reciprocal,
                                           square,
                                           subtract,
)
from tapejit.primitives.compare import (
                                           equal,
                                           greater,
                                           greater_equal,
                                           less,
                                           less_equal,
                                           logical_and,
                                           logical_not,
                                           logical_or,
                                           not_equal,
                                           where,
)
from tapejit.primitives.convert import stop_gradient
from tapejit.primitives.elementwise import (
                                           abs,
                                           cos,
                                           exp,
                                           expm1,
                                           log,
                                           log1p,
                                           rsqrt,
                                           sigmoid,
                                           sign,
                                           sin,
                                           softplus,
                                           sqrt,
                                           tan,
                                           tanh,
)
from tapejit.primitives.indexing import getitem
from tapejit.primitives.linalg import matmul, tensordot
from tapejit.primitives.reduce import reduce_max, reduce_mean, reduce_min, reduce_sum, sum_to_shape
from tapejit.primitives.shape import (
                                           broadcast_to,
                                           concat,
                                           expand_dims,
                                           full,
                                           full_like,
                                           pad,
                                           reshape,
                                           reverse,
                                           squeeze,
                                           stack,
                                           transpose,
                                           zeros_like_type,
)

__all__ = [
    "abs", "add", "as_operand", "broadcast_to", "cast", "concat", "cos", "divide", "equal",
    "exp", "expand_dims", "expm1", "full", "full_like", "getitem", "greater", "greater_equal",
    "less",
    "less_equal", "log", "log1p", "logical_and", "logical_not", "logical_or", "matmul",
    "maximum", "minimum", "multiply", "negative", "not_equal", "pad", "pow", "power",
    "reciprocal", "reduce_max", "reduce_mean", "reduce_min", "reduce_sum", "reshape", "reverse",
    "rsqrt", "sigmoid", "sign", "sin", "softplus", "sqrt", "square", "squeeze", "stack",
    "stop_gradient", "subtract", "sum_to_shape", "tan", "tanh", "tensordot", "transpose",
    "where", "zeros_like_type",
]

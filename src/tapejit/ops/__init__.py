"""User-level ops (`tj.ops`): dtype policy, Python scalars, broadcasting and indexing above
the strict primitives. Importing it gives tensors their operators and methods."""

from tapejit.ops.arithmetic import (
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
from tapejit.ops.compare import (
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
from tapejit.ops.einsum import einsum
from tapejit.ops.elementwise import (
    abs,
    atan2,
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
from tapejit.ops.gathers import (
    argmax,
    argmin,
    dynamic_slice,
    dynamic_update_slice,
    gather,
    gather_nd,
    one_hot,
    scatter_nd,
    segment_sum,
    unsorted_segment_sum,
)
from tapejit.ops.indexing import getitem
from tapejit.ops.linalg import matmul, tensordot
from tapejit.ops.methods import METHODS
from tapejit.ops.operands import as_operand, cast, convert_to_tensor, identity, stop_gradient
from tapejit.ops.reduce import reduce_max, reduce_mean, reduce_min, reduce_sum
from tapejit.ops.shape import (
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
from tapejit.ops.tiling import embedding_lookup, repeat, split, tile
from tapejit.tensor import install_methods

install_methods(METHODS)

__all__ = [
    "abs", "add", "argmax", "argmin", "as_operand", "atan2", "broadcast_to", "cast", "concat",
    "convert_to_tensor", "cos", "divide", "dynamic_slice", "dynamic_update_slice", "einsum",
    "equal", "exp", "expand_dims", "expm1", "full", "full_like", "gather", "gather_nd",
    "getitem", "greater", "greater_equal", "identity", "one_hot", "scatter_nd", "segment_sum",
    "unsorted_segment_sum",
    "less", "less_equal", "log", "log1p", "logical_and", "logical_not", "logical_or", "matmul",
    "maximum", "minimum", "multiply", "negative", "not_equal", "pad", "pow", "power",
    "reciprocal", "reduce_max", "reduce_mean", "reduce_min", "reduce_sum", "reshape", "reverse",
    "rsqrt", "sigmoid", "sign", "sin", "softplus", "sqrt", "square", "squeeze", "stack",
    "stop_gradient", "subtract", "tan", "tanh", "tensordot", "transpose", "where",
    "zeros_like_type", "embedding_lookup", "repeat", "split", "tile",
]

"""More of tf.math, composed from tapejit's ops; tj.math imports all of it. Each function
keeps TF's name, signature (`name` is accepted and unused) and results, and TF's gradient
where TF defines it specially (divide_no_nan, xlogy, xdivy, l2_normalize, ...). Dtypes follow
tj.math: mixed operands promote, integer inputs of float-only functions become float32."""

from tapejit.math_more.elementwise import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atanh,
    ceil,
    cosh,
    divide_no_nan,
    floor,
    floordiv,
    floormod,
    is_finite,
    is_inf,
    is_nan,
    log_sigmoid,
    log_softmax,
    logical_xor,
    mod,
    multiply_no_nan,
    reciprocal_no_nan,
    rint,
    round,
    sinh,
    softmax,
    softsign,
    truediv,
    xdivy,
    xlogy,
)
from tapejit.math_more.reductions import (
    add_n,
    count_nonzero,
    cumprod,
    cumsum,
    l2_normalize,
    reduce_all,
    reduce_any,
    reduce_euclidean_norm,
    reduce_prod,
)
from tapejit.math_more.segments import segment_max, segment_mean, segment_min, top_k

__all__ = ["acos", "acosh", "add_n", "asin", "asinh", "atan", "atanh", "ceil",
           "count_nonzero", "cosh", "cumprod", "cumsum", "divide_no_nan", "floor", "floordiv",
           "floormod", "is_finite", "is_inf", "is_nan", "l2_normalize", "log_sigmoid",
           "log_softmax", "logical_xor", "mod", "multiply_no_nan", "reciprocal_no_nan",
           "reduce_all", "reduce_any", "reduce_euclidean_norm", "reduce_prod", "rint",
           "round", "segment_max", "segment_mean", "segment_min", "sinh", "softmax",
           "softsign", "top_k", "truediv", "xdivy", "xlogy"]

"""Reductions with NumPy's signatures (axis, keepdims, dtype) and result dtypes."""

from __future__ import annotations

import numpy as np

from tapejit.ops import reduce as tf_reduce
from tapejit.ops.numpy_policy import operands
from tapejit.ops.operands import cast


def _sum_dtype(dtype: np.dtype) -> np.dtype:
    """NumPy sums bools and small integers in the platform integer (int64 here)."""
    if dtype.kind == "b" or (dtype.kind == "i" and dtype.itemsize < 8):
        return np.dtype(np.int64)
    if dtype.kind == "u" and dtype.itemsize < 8:
        return np.dtype(np.uint64)
    return dtype


def sum(a, axis=None, dtype=None, keepdims=False):  # noqa: A001
    (a,) = operands("sum", a)
    a = cast(a, dtype if dtype is not None else _sum_dtype(a.dtype))
    return tf_reduce.reduce_sum(a, axis, keepdims)


def mean(a, axis=None, dtype=None, keepdims=False):
    """The mean; integers average in float64, as in NumPy."""
    (a,) = operands("mean", a)
    target = dtype if dtype is not None else (a.dtype if a.dtype.kind == "f" else np.float64)
    return tf_reduce.reduce_mean(cast(a, target), axis, keepdims)


def max(a, axis=None, keepdims=False):  # noqa: A001
    (a,) = operands("max", a)
    return tf_reduce.reduce_max(a, axis, keepdims)


def min(a, axis=None, keepdims=False):  # noqa: A001
    (a,) = operands("min", a)
    return tf_reduce.reduce_min(a, axis, keepdims)


amax, amin = max, min

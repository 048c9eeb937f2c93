"""tj.zeros, tj.ones, tj.zeros_like, tj.ones_like, tj.fill."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes, ops
from tapejit.tensor import Tensor


def zeros(shape, dtype=dtypes.float32) -> Tensor:
    return Tensor(np.zeros(shape, dtypes.canonical(dtype, "zeros"))[()])


def ones(shape, dtype=dtypes.float32) -> Tensor:
    return Tensor(np.ones(shape, dtypes.canonical(dtype, "ones"))[()])


def fill(dims, value) -> Tensor:
    array = np.asarray(value)
    dtype = dtypes.python_scalar_dtype(value) if not isinstance(value, np.generic) else \
        array.dtype
    return Tensor(np.full(dims, value, dtype)[()])


def zeros_like(x, dtype=None):
    """Zeros of x's shape (a traced value under jit, so shapes stay symbolic)."""
    x = ops.as_operand(x, "zeros_like")
    return ops.full_like(x, 0, dtypes.canonical(dtype or x.dtype, "zeros_like"))


def ones_like(x, dtype=None):
    x = ops.as_operand(x, "ones_like")
    return ops.full_like(x, 1, dtypes.canonical(dtype or x.dtype, "ones_like"))

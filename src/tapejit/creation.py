"""tj.zeros, tj.ones, tj.zeros_like, tj.ones_like, tj.fill, tj.eye."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes, ops
from tapejit.errors import op_error
from tapejit.site import user_site
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


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None) -> Tensor:
    """TensorFlow's `tf.eye`: a `num_rows` x `num_columns` (default square) matrix with ones
    on its diagonal, repeated over `batch_shape`."""
    rows = _size("eye", "num_rows", num_rows)
    columns = rows if num_columns is None else _size("eye", "num_columns", num_columns)
    batch = () if batch_shape is None else tuple(
        _size("eye", "batch_shape", b) for b in np.atleast_1d(np.asarray(batch_shape)))
    matrix = np.eye(rows, columns, dtype=dtypes.canonical(dtype, "eye"))
    return Tensor(np.ascontiguousarray(np.broadcast_to(matrix, batch + matrix.shape)))


def _size(op: str, what: str, value) -> int:
    array = np.asarray(value)
    if array.ndim != 0 or array.dtype.kind not in "iu" or int(array) < 0:
        raise op_error(ValueError, op, f"{what} must be a non-negative integer, got {value!r}",
                       f"pass {what} as a Python int >= 0", user_site())
    return int(array)

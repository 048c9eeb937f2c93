"""tapejit.numpy: NumPy names over tapejit's primitives (for JAX and NumPy users)."""

from __future__ import annotations

import numpy as _np

from tapejit import ops as _ops
from tapejit.dtypes import float32, int32
from tapejit.ops import (
    abs,
    atan2,
    concat,
    divide,
    exp,
    log1p,
    maximum,
    minimum,
    multiply,
    power,
    reshape,
    subtract,
)
from tapejit.tensor import Tensor, constant

pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, None
absolute, true_divide, pow, arctan2 = abs, divide, power, atan2


def asarray(a, dtype=None) -> Tensor:
    """A tensor (kept as is when it already is one and the dtype matches)."""
    if isinstance(a, Tensor) and (dtype is None or _np.dtype(dtype) == a.dtype):
        return a
    if isinstance(a, Tensor):
        return _ops.cast(a, dtype)
    return constant(a if dtype is not None or not isinstance(a, float) else _np.float32(a),
                    dtype)


array = asarray


def sum(a, axis=None, keepdims=False):  # noqa: A001
    return _ops.reduce_sum(a, axis, keepdims)


def mean(a, axis=None, keepdims=False):
    return _ops.reduce_mean(a, axis, keepdims)


def max(a, axis=None, keepdims=False):  # noqa: A001
    return _ops.reduce_max(a, axis, keepdims)


def min(a, axis=None, keepdims=False):  # noqa: A001
    return _ops.reduce_min(a, axis, keepdims)


amax, amin = max, min



def dot(a, b):
    """NumPy's dot for 1-d and 2-d operands (matmul semantics)."""
    return _ops.matmul(a, b)


def transpose(a, axes=None):
    return _ops.transpose(a, axes)


def concatenate(arrays, axis=0):
    return concat(arrays, axis)


def clip(a, a_min, a_max):
    out = a
    if a_min is not None:
        out = maximum(out, a_min)
    if a_max is not None:
        out = minimum(out, a_max)
    return out


def zeros(shape, dtype=float32) -> Tensor:
    return Tensor(_np.zeros(shape, dtype)[()])


def ones(shape, dtype=float32) -> Tensor:
    return Tensor(_np.ones(shape, dtype)[()])


def full(shape, fill_value, dtype=float32) -> Tensor:
    return Tensor(_np.full(shape, fill_value, dtype)[()])


def zeros_like(a, dtype=None):
    return _ops.full(a.shape, 0, dtype or a.dtype)


def ones_like(a, dtype=None):
    return _ops.full(a.shape, 1, dtype or a.dtype)


def arange(*args, dtype=None) -> Tensor:
    values = _np.arange(*args)
    if dtype is None:
        dtype = float32 if values.dtype.kind == "f" else int32
    return Tensor(values.astype(dtype))


def linspace(start, stop, num=50, dtype=float32) -> Tensor:
    return Tensor(_np.linspace(start, stop, num).astype(dtype))


def flip(a, axis=None):
    a = _ops.as_operand(a, "flip")
    return _ops.reverse(a, tuple(range(len(a.shape))) if axis is None else axis)


def ravel(a):
    return reshape(a, (-1,))


def broadcast_to(a, shape):
    return _ops.broadcast_to(a, shape)


def outer(a, b):
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


def logaddexp(a, b):
    top = maximum(a, b)
    return top + log1p(exp(-abs(subtract(a, b))))


__all__ = [name for name in dir() if not name.startswith("_")]

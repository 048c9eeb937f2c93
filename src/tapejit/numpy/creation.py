"""Arrays from data and from shapes, with NumPy's signatures and dtype rules (Python data
under tapejit's policy: float32, int32)."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.ops.indexing import getitem
from tapejit.ops.numpy_policy import is_weak, list_dtype, operand, operands, result_dtype
from tapejit.ops.operands import cast
from tapejit.ops.shape import concat, expand_dims, reshape, transpose
from tapejit.ops.shape import full_like as _full_like
from tapejit.tensor import Tensor, Variable


def asarray(a, dtype=None, order=None, *, copy=None):
    """`a` as a tensor: a tensor of the right dtype as it is; lists holding tensors stacked
    by recorded ops (their gradient flows); NumPy data keeps its dtype; Python data follows
    tapejit's policy. A dtype converts (a recorded op for tensors)."""
    del order, copy
    target = _dtype(a) if dtype is None else dtypes.canonical(dtype, "asarray")
    out = operand(a, target, "asarray")
    return out if isinstance(out, Tensor) else Tensor(np.array(out))


def array(object, dtype=None, *, copy=True, order="K", ndmin=0):  # noqa: A002
    """A new tensor from `object` (see asarray); `ndmin` adds leading axes of size 1."""
    del copy, order
    out = asarray(object, dtype)
    if out.ndim < ndmin:
        out = reshape(out, (1,) * (ndmin - out.ndim) + tuple(out.shape))
    return out


def _dtype(a) -> np.dtype:
    if isinstance(a, (Tensor, Variable, np.ndarray, np.generic)):
        return dtypes.canonical(a.dtype, "asarray")
    if isinstance(a, (list, tuple)):
        return list_dtype(a, "asarray")
    return result_dtype(a, op="asarray")


def _filled(shape, value, dtype) -> Tensor:
    dtype = dtypes.float64 if dtype is None else dtypes.canonical(dtype, "array creation")
    return Tensor(np.full(shape, value, dtype)[()])


def zeros(shape, dtype=float) -> Tensor:
    """Zeros of `shape`; NumPy's default dtype float64."""
    return _filled(shape, 0, dtype)


def ones(shape, dtype=float) -> Tensor:
    return _filled(shape, 1, dtype)


def full(shape, fill_value, dtype=None) -> Tensor:
    """`shape` filled with `fill_value`, of `dtype` or the value's dtype."""
    return _filled(shape, fill_value, dtype or _dtype(fill_value))


def zeros_like(a, dtype=None):
    return full_like(a, 0, dtype)


def ones_like(a, dtype=None):
    return full_like(a, 1, dtype)


def full_like(a, fill_value, dtype=None):
    """A tensor shaped like `a` (a traced value under jit, so shapes stay symbolic)."""
    a = asarray(a)
    return _full_like(a, fill_value, dtypes.canonical(dtype or a.dtype, "full_like"))


def arange(start, stop=None, step=None, dtype=None) -> Tensor:
    """NumPy's arange; Python numbers give int32 or float32 by default."""
    values = np.arange(start, stop, step) if step is not None else (
        np.arange(start, stop) if stop is not None else np.arange(start))
    if dtype is None:
        dtype = result_dtype(*[v for v in (start, stop, step) if v is not None], op="arange")
    return Tensor(values.astype(dtypes.canonical(dtype, "arange")))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """NumPy's linspace, differentiable in `start` and `stop` (which may be tensors of any
    shape: the samples run along a new `axis`); Python endpoints give float32."""
    num = int(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    lo, hi = operands("linspace", start, stop)
    if dtype is None:
        python = is_weak(start) and is_weak(stop)
        dtype = dtypes.float32 if python else np.promote_types(lo.dtype, np.float16)
    dtype = dtypes.canonical(dtype, "linspace")
    lo, hi = asarray(cast(lo, dtype)), asarray(cast(hi, dtype))
    div = num - 1 if endpoint else num
    delta = hi - lo
    steps = asarray(np.arange(num, dtype=dtype).reshape((num,) + (1,) * lo.ndim))
    samples = steps * (delta / div) + lo if div > 0 else steps * delta + lo
    if endpoint and num > 1:
        samples = concat([getitem(samples, slice(0, num - 1)), expand_dims(hi, 0)], 0)
    if axis % samples.ndim:
        order = list(range(1, samples.ndim))
        order.insert(axis % samples.ndim, 0)
        samples = transpose(samples, order)
    step = delta / div if div > 0 else asarray(np.full(delta.shape, np.nan, dtype))
    return (samples, step) if retstep else samples

"""Arrays from data and from shapes, with NumPy's signatures and dtype rules (Python data
under tapejit's policy: float32, int32)."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import op_error
from tapejit.numpy.arguments import operands, reject_complex
from tapejit.numpy.transcendental import log10 as _log10
from tapejit.numpy.ufuncs import power as _power
from tapejit.ops.containers import holds_tensors
from tapejit.ops.elementwise import sign as _sign
from tapejit.ops.indexing import getitem
from tapejit.ops.numpy_policy import is_weak, list_dtype, operand, result_dtype
from tapejit.ops.operands import cast
from tapejit.ops.shape import broadcast_to, concat, expand_dims, reshape, transpose
from tapejit.ops.shape import full_like as _full_like
from tapejit.site import user_site
from tapejit.tensor import Tensor, Variable
from tapejit.trace import Tracer


def asarray(a, dtype=None, order=None, *, copy=None):
    """`a` as a tensor: a tensor of the right dtype as it is; lists holding tensors stacked
    by recorded ops (their gradient flows); NumPy data keeps its dtype; Python data follows
    tapejit's policy. A dtype converts (a recorded op for tensors)."""
    del order, copy
    reject_complex(a, "asarray")
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


def zeros(shape, dtype=float, order="C", *, device=None, like=None) -> Tensor:
    """Zeros of `shape`; NumPy's default dtype float64."""
    return _filled(shape, 0, dtype)


def ones(shape, dtype=float, order="C", *, device=None, like=None) -> Tensor:
    return _filled(shape, 1, dtype)


def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    """`shape` filled with `fill_value` (an array broadcasts; a tensor keeps its gradient),
    of `dtype` or the value's dtype."""
    dtype = dtypes.canonical(dtype or _dtype(fill_value), "full")
    if isinstance(fill_value, (Tensor, Variable)) or (
            isinstance(fill_value, (list, tuple)) and holds_tensors(fill_value)):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        return broadcast_to(asarray(fill_value, dtype), shape)
    return _filled(shape, fill_value, dtype)


def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return full_like(a, 0, dtype, shape=shape)


def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    return full_like(a, 1, dtype, shape=shape)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """A tensor shaped like `a` (or `shape`), filled with `fill_value`; a traced value under
    jit, so shapes stay symbolic."""
    a = asarray(a)
    dtype = dtypes.canonical(dtype or a.dtype, "full_like")
    if shape is not None:
        return full(shape, fill_value, dtype)
    return _full_like(a, fill_value, dtype)


def arange(start, stop=None, step=None, dtype=None, *, device=None, like=None) -> Tensor:
    """NumPy's arange: int64 or float64 by default, as NumPy, except that Python numbers
    alone give int32 or float32 (tapejit's policy)."""
    given = [v for v in (start, stop, step) if v is not None]
    values = np.arange(start, stop, step)
    if dtype is None:
        dtype = values.dtype if not all(is_weak(v) for v in given) else result_dtype(
            *given, op="arange")
    return Tensor(values.astype(dtypes.canonical(dtype, "arange")))


def _sample_dtype(dtype: np.dtype, python: bool) -> np.dtype:
    """linspace's and geomspace's dtype: NumPy's result_type(start, stop, float(num)), with
    Python endpoints under the policy (float32)."""
    if python:
        return dtypes.float32
    return dtype if dtype.kind == "f" else dtypes.float64


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """NumPy's linspace, differentiable in `start` and `stop` (which may be tensors of any
    shape: the samples run along a new `axis`); Python endpoints give float32."""
    num = int(num)
    if num < 0:
        raise op_error(ValueError, "linspace", f"Number of samples, {num}, must be "
                       "non-negative.", "pass num >= 0", user_site())
    lo, hi = operands("linspace", start, stop)
    if dtype is None:
        dtype = _sample_dtype(lo.dtype, is_weak(start) and is_weak(stop))
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


def eye(N, M=None, k=0, dtype=float, order="C", *, device=None, like=None):  # noqa: N803
    """Ones on the k-th diagonal of an N x M array (np.eye; float64 by default)."""
    return Tensor(np.eye(N, M, k, dtypes.canonical(dtype, "eye")))


def identity(n, dtype=None, *, like=None):
    """The n x n identity (np.identity; float64 by default)."""
    return eye(n, dtype=float if dtype is None else dtype)


def empty(shape, dtype=float, order="C", *, device=None, like=None) -> Tensor:
    """np.empty: a tensor of `shape` (its values are zeros: tensors are never
    uninitialised)."""
    return zeros(shape, dtype)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """np.empty_like: zeros shaped like `prototype` (or `shape`)."""
    return zeros_like(prototype, dtype, shape=shape)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """base ** linspace(start, stop, num) (np.logspace), differentiable in the endpoints."""
    exponents = linspace(start, stop, num, endpoint, dtype=None, axis=axis)
    base = asarray(base) if not is_weak(base) else base
    if not is_weak(base) and base.ndim:
        base = expand_dims(base, axis % exponents.ndim)
    powers = _power(base, exponents)
    return powers if dtype is None else cast(powers, dtypes.canonical(dtype, "logspace"))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Numbers spaced evenly on a log scale from `start` to `stop`, both exact (np.geomspace);
    negative endpoints of equal sign give negative numbers. Eagerly, a zero endpoint raises
    ValueError as in NumPy."""
    lo, hi = operands("geomspace", start, stop)
    dt = _sample_dtype(lo.dtype, is_weak(start) and is_weak(stop))
    lo, hi = asarray(cast(lo, dt)), asarray(cast(hi, dt))
    if not isinstance(lo, Tracer) and not isinstance(hi, Tracer) and (
            np.any(lo.numpy() == 0) or np.any(hi.numpy() == 0)):
        raise op_error(ValueError, "geomspace", "Geometric sequence cannot include zero",
                       "give non-zero endpoints", user_site())
    sign = _sign(lo)
    samples = _power(10.0, linspace(_log10(lo / sign), _log10(hi / sign), num, endpoint))
    num = int(num)
    if num > 0:
        parts = [expand_dims(lo / sign, 0)]
        middle = getitem(samples, slice(1, num - 1 if endpoint and num > 1 else num))
        parts.append(middle)
        if endpoint and num > 1:
            parts.append(expand_dims(hi / sign, 0))
        samples = concat(parts, 0)
    samples = samples * sign
    if axis % samples.ndim:
        order = list(range(1, samples.ndim))
        order.insert(axis % samples.ndim, 0)
        samples = transpose(samples, order)
    return samples if dtype is None else cast(samples, dtypes.canonical(dtype, "geomspace"))

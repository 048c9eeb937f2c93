"""Sorting and order statistics: sort (differentiable in the values), argsort, median,
quantile, percentile (np.*; method 'linear')."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import op_error
from tapejit.numpy.arguments import axes, one_axis, operand, reject_out
from tapejit.numpy.logic import isnan
from tapejit.numpy.reductions import kept_shape, lanes, truth_reduce
from tapejit.ops.compare import where as _select
from tapejit.ops.numpy_policy import is_weak, strong_dtype
from tapejit.ops.operands import cast
from tapejit.ops.reduce import reduce_max
from tapejit.ops.shape import reshape, stack
from tapejit.primitives import sort as sort_prims
from tapejit.primitives.slicing import slice_
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import Tracer

_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


def _sort_args(name: str, a, axis, kind, order):
    if kind not in _KINDS:
        raise op_error(ValueError, name, f"sort kind must be one of {_KINDS[1:]}, got {kind!r}",
                       "omit kind: tapejit always sorts stably", user_site())
    if order is not None:
        raise op_error(ValueError, name, "order= applies to structured arrays, which tapejit "
                       "does not have", "omit order", user_site())
    x = operand(a, name)
    if axis is None:
        return reshape(x, (-1,)), 0
    if x.ndim == 0:
        raise op_error(ValueError, name, "cannot sort a 0-d array along an axis",
                       "pass axis=None, or reshape it to (1,)", user_site())
    return x, one_axis(axis, x.ndim, name)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Indices that sort `a` along `axis` (np.argsort), int64; always stable (equal values
    keep their order: one of the results NumPy's kinds allow), NaN last."""
    x, axis = _sort_args("argsort", a, axis, kind, order)
    return sort_prims.argsort(x, axis)


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """`a` sorted along `axis` (np.sort; NaN last); differentiable: each value's gradient
    goes back to the element it came from."""
    x, axis = _sort_args("sort", a, axis, kind, order)
    return sort_prims.permute_along_axis(x, sort_prims.argsort(x, axis), axis)


def _position(x, index: int):
    """Element `index` of the last axis, that axis removed."""
    start = [0] * x.ndim
    start[-1] = index
    end = list(x.shape)
    end[-1] = index + 1
    return reshape(slice_(x, start, end, (1,) * x.ndim), tuple(x.shape[:-1]))


def _lerp(low, high, weight: float, dtype):
    """NumPy's interpolation between order statistics: the difference in the data's dtype,
    the rest in the result's; exact at both ends."""
    diff = cast(high - low, dtype)
    low, high = cast(low, dtype), cast(high, dtype)
    if weight >= 0.5:
        return high - diff * (1 - weight)
    return low + diff * weight


def _quantile_of_sorted(ordered, q: float, dtype):
    n = ordered.shape[-1]
    index = n * q + (1 - q) - 1
    below = int(np.clip(np.floor(index), 0, n - 1))
    above = int(np.clip(below + 1, 0, n - 1))
    weight = float(index - np.floor(index)) if 0 <= index < n - 1 else 0.0
    low, high = _position(ordered, below), _position(ordered, above)
    return cast(low, dtype) if weight == 0 else _lerp(low, high, weight, dtype)


def _static_q(q, op: str, scale: float = 1.0) -> tuple[np.ndarray, np.dtype | None]:
    """The quantiles as float64 values, and the dtype they bring (None for a Python number,
    which is weak, as in NumPy)."""
    if isinstance(q, Tracer):
        raise op_error(TypeError, op, "q must be known when tracing (it picks the order "
                       "statistics)", "pass q as a number or a NumPy array", user_site())
    weak = is_weak(q)
    dtype = None if weak else strong_dtype(q, op)
    values = np.asarray(q.numpy() if isinstance(q, Tensor) else q, np.float64) / scale
    if np.any((values < 0) | (values > 1)) or np.any(np.isnan(values)):
        raise op_error(ValueError, op, f"quantiles must be in the range [0, 1], got {values}",
                       "pass q in [0, 1] (percentile: [0, 100])", user_site())
    return values, dtype


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None):
    """The q-th quantiles along `axis` (np.quantile, method 'linear'): of a's dtype for a
    Python number q, else of a's and q's common one; integers give float64; a lane holding
    NaN gives NaN. Differentiable in `a` (through the sort)."""
    return _quantile("quantile", a, _static_q(q, "quantile"), axis, out, method, keepdims,
                     weights)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """The q-th percentiles (np.percentile): quantile(a, q / 100)."""
    return _quantile("percentile", a, _static_q(q, "percentile", 100.0), axis, out, method,
                     keepdims, weights)


def _quantile(op: str, a, q, axis, out, method, keepdims, weights):
    reject_out(out, op)
    if method != "linear" or weights is not None:
        raise op_error(NotImplementedError, op, f"method {method!r} with weights "
                       f"{'given' if weights is not None else 'None'} is not supported",
                       "use method='linear' without weights", user_site())
    qs, q_dtype = q
    x = operand(a, op)
    dtype = x.dtype if x.dtype.kind == "f" else dtypes.float64
    dtype = dtype if q_dtype is None else np.promote_types(dtype, q_dtype)
    reduced = axes(axis, x.ndim, op)
    shape = kept_shape(x.shape, reduced, keepdims)
    merged = lanes(x, reduced)
    if merged.shape[-1] == 0:
        raise op_error(ValueError, op, "cannot take a quantile of an empty lane",
                       "reduce a non-empty axis", user_site())
    ordered = sort(merged, -1)
    nan_lane = truth_reduce(reduce_max, isnan(merged), (merged.ndim - 1,))
    results = [reshape(_select(nan_lane, np.nan, _quantile_of_sorted(ordered, float(v), dtype)),
                       shape) for v in qs.ravel()]
    if qs.ndim == 0:
        return results[0]
    return reshape(stack(results, 0), qs.shape + shape)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median along `axis` (np.median): the middle value, or the mean of the two middle
    ones; NaN in a lane gives NaN; integers give float64."""
    reject_out(out, "median")
    x = operand(a, "median")
    if x.dtype.kind != "f":
        x = cast(x, dtypes.float64)
    reduced = axes(axis, x.ndim, "median")
    shape = kept_shape(x.shape, reduced, keepdims)
    merged = lanes(x, reduced)
    n = merged.shape[-1]
    if n == 0:
        raise op_error(ValueError, "median", "cannot take the median of an empty lane",
                       "reduce a non-empty axis", user_site())
    ordered = sort(merged, -1)
    middle = _position(ordered, n // 2)
    if n % 2 == 0:
        middle = (_position(ordered, n // 2 - 1) + middle) * 0.5
    nan_lane = truth_reduce(reduce_max, isnan(merged), (merged.ndim - 1,))
    return reshape(_select(nan_lane, np.nan, middle), shape)



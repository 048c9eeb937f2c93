"""Reductions with NumPy's signatures (axis, dtype, keepdims, initial, ddof) and result
dtypes: sum, prod, mean, var, std, max, min, ptp, all, any, count_nonzero, average."""

from __future__ import annotations

import builtins

import numpy as np

from tapejit import dtypes
from tapejit.errors import ShapeError, op_error
from tapejit.numpy.arguments import axes, operand, operands, reject_out, reject_where
from tapejit.numpy.logic import as_bool
from tapejit.numpy.ufuncs import maximum, minimum, subtract
from tapejit.ops import reduce as tf_reduce
from tapejit.ops.elementwise import sqrt
from tapejit.ops.operands import cast
from tapejit.ops.shape import broadcast_to, full, reshape, transpose
from tapejit.primitives import scan
from tapejit.primitives.slicing import slice_
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import Tracer

_NO_VALUE = object()


def accumulator_dtype(dtype: np.dtype) -> np.dtype:
    """What NumPy sums and multiplies in: bools and small integers in the platform integer
    (int64), small unsigned integers in uint64, everything else in its own dtype."""
    if dtype.kind == "b" or (dtype.kind == "i" and dtype.itemsize < 8):
        return dtypes.int64
    if dtype.kind == "u" and dtype.itemsize < 8:
        return dtypes.uint64
    return dtype


def kept_shape(shape, reduced, keepdims: bool) -> tuple[int, ...]:
    if keepdims:
        return tuple(1 if i in reduced else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in reduced)


def _checks(op: str, out, where) -> None:
    reject_out(out, op)
    reject_where(where, op)


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,  # noqa: A001
        where=True):
    """The sum over `axis` (np.sum): bools and small integers add up in int64."""
    _checks("sum", out, where)
    x = operand(a, "sum")
    x = cast(x, accumulator_dtype(x.dtype) if dtype is None else dtype)
    total = tf_reduce.reduce_sum(x, axes(axis, x.ndim, "sum"), keepdims)
    return total if initial is _NO_VALUE else total + x.dtype.type(initial)


def lanes(x, reduced: tuple[int, ...]):
    """x with the `reduced` axes moved last and merged into one: (kept..., n)."""
    kept = [i for i in range(x.ndim) if i not in reduced]
    moved = transpose(x, kept + list(reduced))
    n = int(np.prod([x.shape[i] for i in reduced], dtype=np.int64))
    return reshape(moved, tuple(x.shape[i] for i in kept) + (n,))


def last_along(x, axis: int):
    """The last element along `axis` (which is not empty), the axis removed."""
    start = [0] * x.ndim
    start[axis] = x.shape[axis] - 1
    part = slice_(x, start, x.shape, (1,) * x.ndim)
    return reshape(part, tuple(s for i, s in enumerate(x.shape) if i != axis))


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE,
         where=True):
    """The product over `axis` (np.prod), as the last of the running products, so its
    gradient is finite where factors are zero."""
    _checks("prod", out, where)
    x = operand(a, "prod")
    x = cast(x, accumulator_dtype(x.dtype) if dtype is None else dtype)
    reduced = axes(axis, x.ndim, "prod")
    shape = kept_shape(x.shape, reduced, keepdims)
    merged = lanes(x, reduced)
    if merged.shape[-1] == 0:
        result = full(shape, 1, x.dtype)
    else:
        result = reshape(last_along(scan.cumprod(merged, merged.ndim - 1), merged.ndim - 1),
                         shape)
    return result if initial is _NO_VALUE else result * x.dtype.type(initial)


def _mean_dtypes(dtype: np.dtype, requested) -> tuple[np.dtype, np.dtype]:
    """(the dtype NumPy accumulates a mean in, the result's dtype)."""
    if requested is not None:
        requested = dtypes.canonical(requested, "mean")
        return (dtypes.float32 if requested == dtypes.float16 else requested), requested
    if dtype.kind != "f":
        return dtypes.float64, dtypes.float64
    return (dtypes.float32 if dtype == dtypes.float16 else dtype), dtype


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
    """The mean (np.mean); integers average in float64, float16 in float32."""
    _checks("mean", out, where)
    x = operand(a, "mean")
    work, result = _mean_dtypes(x.dtype, dtype)
    return cast(tf_reduce.reduce_mean(cast(x, work), axes(axis, x.ndim, "mean"), keepdims),
                result)


def _degrees_of_freedom(ddof, correction) -> float:
    if correction is _NO_VALUE:
        return ddof
    if ddof != 0:
        raise op_error(ValueError, "var", "ddof and correction are the same argument, given "
                       "twice", "pass one of them", user_site())
    return correction


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
        mean=_NO_VALUE, correction=_NO_VALUE):  # noqa: A002
    """The variance sum(|x - mean|**2) / (n - ddof) (np.var): integers in float64; n - ddof
    <= 0 gives inf or NaN, as NumPy."""
    _checks("var", out, where)
    x = operand(a, "var")
    work, result = _mean_dtypes(x.dtype, dtype)
    x = cast(x, work)
    reduced = axes(axis, x.ndim, "var")
    center = tf_reduce.reduce_mean(x, reduced, True) if mean is _NO_VALUE else cast(
        operand(mean, "var"), work)
    deviation = x - center
    n = int(np.prod([x.shape[i] for i in reduced], dtype=np.int64))
    count = builtins.max(n - _degrees_of_freedom(ddof, correction), 0)
    total = tf_reduce.reduce_sum(deviation * deviation, reduced, keepdims)
    return cast(total / work.type(count), result)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=True,
        mean=_NO_VALUE, correction=_NO_VALUE):  # noqa: A002
    """The standard deviation sqrt(var) (np.std)."""
    _checks("std", out, where)
    variance = var(a, axis, dtype, None, ddof, keepdims, mean=mean, correction=correction)
    return cast(sqrt(variance), variance.dtype)


def _extremum(name: str, reduce_fn, combine):
    def fn(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=True):
        _checks(name, out, where)
        x = operand(a, name)
        reduced = axes(axis, x.ndim, name)
        if initial is _NO_VALUE and builtins.any(x.shape[i] == 0 for i in reduced):
            raise op_error(ValueError, name, f"zero-size array to reduction operation "
                           f"{name}imum which has no identity (shape {x.shape})",
                           "pass initial=..., or reduce a non-empty axis", user_site())
        if x.dtype.kind == "b":
            result = truth_reduce(reduce_fn, x, reduced, keepdims)
        else:
            result = reduce_fn(x, reduced, keepdims)
        return result if initial is _NO_VALUE else combine(result, x.dtype.type(initial))
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"The {name}imum over `axis` (np.{name}); NaN propagates; an empty "
                  f"reduction needs `initial`, as in NumPy. Ties share the gradient.")
    return fn


max = _extremum("max", tf_reduce.reduce_max, maximum)  # noqa: A001
min = _extremum("min", tf_reduce.reduce_min, minimum)  # noqa: A001
amax, amin = max, min


def ptp(a, axis=None, out=None, keepdims=False):
    """max - min over `axis` (np.ptp)."""
    reject_out(out, "ptp")
    return subtract(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


def truth_reduce(reduce_fn, x, reduced, keepdims: bool = False):
    """A max (any) or min (all) of booleans, taken over uint8: the Numba backend's
    reductions have no boolean accumulator."""
    return cast(reduce_fn(cast(x, dtypes.uint8), reduced, keepdims), dtypes.bool_)


def _truth(name: str, reduce_fn):
    def fn(a, axis=None, out=None, keepdims=False, *, where=True):
        _checks(name, out, where)
        x = as_bool(a, name)
        return truth_reduce(reduce_fn, x, axes(axis, x.ndim, name), keepdims)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Whether {name} elements along `axis` are nonzero (np.{name})."
    return fn


all = _truth("all", tf_reduce.reduce_min)  # noqa: A001
any = _truth("any", tf_reduce.reduce_max)  # noqa: A001


def count_nonzero(a, axis=None, *, keepdims=False):
    """The number of nonzero elements along `axis`, in int64 (np.count_nonzero; a 0-d
    tensor where NumPy gives a Python int)."""
    x = cast(as_bool(a, "count_nonzero"), dtypes.int64)
    return tf_reduce.reduce_sum(x, axes(axis, x.ndim, "count_nonzero"), keepdims)


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """The weighted average sum(a * w) / sum(w) (np.average); weights of a's shape, or 1-d
    along a single `axis`. Eagerly, weights summing to zero raise ZeroDivisionError as in
    NumPy; under jit they give inf or NaN."""
    x = operand(a, "average")
    if weights is None:
        avg = mean(x, axis, keepdims=keepdims)
        reduced = axes(axis, x.ndim, "average")
        count = np.prod([x.shape[i] for i in reduced], dtype=np.int64)
        return (avg, full(avg.shape, count, avg.dtype)) if returned else avg
    x, w = operands("average", x, weights)
    dtype = x.dtype if x.dtype.kind == "f" else np.promote_types(x.dtype, dtypes.float64)
    x, w = cast(x, dtype), _aligned_weights(cast(w, dtype), x, axis)
    reduced = axes(axis, x.ndim, "average")
    scale = tf_reduce.reduce_sum(w, reduced, keepdims)
    _check_nonzero(scale)
    avg = tf_reduce.reduce_sum(x * w, reduced, keepdims) / scale
    if returned:
        return avg, broadcast_to(scale, avg.shape)
    return avg


def _aligned_weights(w, x, axis):
    if tuple(w.shape) == tuple(x.shape):
        return w
    if axis is None or not isinstance(axis, (int, np.integer)) or w.ndim != 1 or (
            w.shape[0] != x.shape[axis % x.ndim] if x.ndim else True):
        raise op_error(ShapeError, "average", f"weights of shape {w.shape} do not fit a of "
                       f"shape {x.shape} along axis {axis}",
                       "give weights of a's shape, or 1-d weights along one axis", user_site())
    return reshape(w, tuple(s if i == axis % x.ndim else 1 for i, s in enumerate(x.shape)))


def _check_nonzero(scale) -> None:
    if isinstance(scale, Tracer) or not isinstance(scale, Tensor):
        return
    if np.any(np.asarray(scale.numpy()) == 0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")

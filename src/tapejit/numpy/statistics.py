"""Statistics and binning with NumPy's signatures and dtypes: cov, corrcoef, trapezoid,
searchsorted and digitize (np.*). Searches do a fixed amount of work whatever the data
(comparisons with every element, or bisection steps), so they trace, compile and batch
like any other op."""

from __future__ import annotations

import warnings

import numpy as np

from tapejit import dtypes
from tapejit.errors import op_error
from tapejit.numpy.arguments import known_values, operand, operands
from tapejit.numpy.arith import clip
from tapejit.numpy.contractions import matmul
from tapejit.numpy.indexing import argmax
from tapejit.numpy.joining import concatenate
from tapejit.numpy.logic import isnan, less, logical_and, logical_not, logical_or, where
from tapejit.numpy.matrices import diagonal
from tapejit.numpy.rearranging import flip
from tapejit.numpy.reductions import any as _any
from tapejit.numpy.reductions import average, mean
from tapejit.numpy.reductions import sum as _sum
from tapejit.numpy.scans import diff
from tapejit.numpy.shaping import atleast_2d, reshape, squeeze, transpose
from tapejit.numpy.ufuncs import add, divide, minimum, multiply, sqrt, subtract
from tapejit.ops import reduce as tf_reduce
from tapejit.ops.gathers import gather_along
from tapejit.ops.operands import cast
from tapejit.ops.shape import full
from tapejit.site import user_site
from tapejit.tensor import Tensor


def one_dimensional(x, op: str):
    """x, which must be 1-d, with NumPy's errors for other ranks."""
    if x.ndim == 0:
        raise op_error(ValueError, op, "object of too small depth for desired array",
                       "pass a 1-d array", user_site())
    if x.ndim > 1:
        raise op_error(ValueError, op, f"object too deep for desired array (shape {x.shape})",
                       "pass a 1-d array", user_site())
    return x


def precedes(x, y):
    """x < y in np.sort's order, where NaN is above everything."""
    below = less(x, y)
    if x.dtype.kind != "f":
        return below
    return logical_or(below, logical_and(isnan(y), logical_not(isnan(x))))


_COMPARED_AT_ONCE = 32
"""Up to this many sorted elements, a search compares each value with all of them (one
fused kernel); beyond, it bisects (a gather and a kernel per step, each costing compile
time under jit)."""


def sorted_count(a, v, right: bool = False):
    """For each element of `v`, how many elements of the sorted 1-d `a` go before it: those
    below it (right=False) or not above it (right=True), in np.sort's order. int64, of v's
    shape. Short `a` is compared whole; longer `a` is bisected, one step per bit of len(a),
    so the work is fixed when tracing."""
    n = a.shape[0]
    if n <= _COMPARED_AT_ONCE:
        v = v[..., None]
        before = logical_not(precedes(v, a)) if right else precedes(a, v)
        return tf_reduce.reduce_sum(cast(before, dtypes.int64), (v.ndim - 1,), False)
    count = full(v.shape, 0, dtypes.int64)
    step = 1 << (n.bit_length() - 1)
    while step:
        reach = count + step
        probe = gather_along(a, minimum(reach, n) - 1, 0)
        before = logical_not(precedes(v, probe)) if right else precedes(probe, v)
        count = where(logical_and(reach <= n, before), reach, count)
        step //= 2
    return count


def _side(side) -> bool:
    if not isinstance(side, str):
        raise op_error(TypeError, "searchsorted", f"search side must be str, not "
                       f"{type(side).__name__}", "pass side='left' or 'right'", user_site())
    if side not in ("left", "right"):
        raise op_error(ValueError, "searchsorted", f"search side must be 'left' or 'right' "
                       f"(got {side!r})", "pass side='left' or 'right'", user_site())
    return side == "right"


def _sorted_by(a, sorter):
    order = operand(sorter, "searchsorted")
    if order.dtype.kind not in "iu":
        raise op_error(TypeError, "searchsorted", "sorter must only contain integers",
                       "pass the int indices np.argsort gives", user_site())
    if order.ndim != 1:
        raise op_error(TypeError, "searchsorted", "could not parse sorter argument "
                       f"(shape {order.shape})", "pass a 1-d array of indices", user_site())
    if order.shape[0] != a.shape[0]:
        raise op_error(ValueError, "searchsorted", f"sorter.size must equal a.size "
                       f"({order.shape[0]} != {a.shape[0]})", "pass one index per element",
                       user_site())
    values = known_values(order)
    if values is not None and np.any((values < 0) | (values >= a.shape[0])):
        raise op_error(ValueError, "searchsorted", "Sorter index out of range.",
                       f"use indices in [0, {a.shape[0]})", user_site())
    return gather_along(a, cast(order, dtypes.int64), 0)


def searchsorted(a, v, side="left", sorter=None):
    """Where each of `v` goes into the sorted 1-d `a` to keep it sorted (np.searchsorted):
    int64 indices of v's shape, NaN sorting last. Under jit, traced `sorter` indices out of
    range are clamped rather than raising."""
    right = _side(side)
    a, v = operands("searchsorted", a, v)
    one_dimensional(a, "searchsorted")
    if sorter is not None:
        a = _sorted_by(a, sorter)
    return sorted_count(a, v, right)


def _direction(values: np.ndarray) -> int:
    """NumPy's monotonicity of bins: 1 rising (or all equal), -1 falling, 0 neither. The
    direction is set by the first element that differs from the first one."""
    v = values.astype(np.float64)
    differing = np.flatnonzero(v[1:] != v[0]) if v.size else v
    if differing.size == 0:
        return 1
    if v[0] < v[differing[0] + 1]:
        return 0 if np.any(v[:-1] > v[1:]) else 1
    return 0 if np.any(v[:-1] < v[1:]) else -1


def _traced_falling(bins):
    """NumPy's test for falling bins, in the graph: the first element that differs from
    the first one is not above it."""
    first, rest = bins[0], bins[1:]
    differs = logical_or(rest != first, isnan(first))
    following = gather_along(rest, argmax(differs), 0)
    return logical_and(_any(differs), logical_not(less(first, following)))


def digitize(x, bins, right=False):
    """The index of the bin each of `x` falls in (np.digitize): int64 of x's shape; bins
    rising or falling. Known bins that are neither raise ValueError, as in NumPy; under jit,
    traced bins are taken as falling when their first change goes down, and never raise."""
    values, edges = operands("digitize", x, bins)
    one_dimensional(edges, "digitize")
    n = edges.shape[0]
    data = known_values(edges)
    direction = None if data is None else _direction(data)
    if direction == 0:
        raise op_error(ValueError, "digitize", "bins must be monotonically increasing or "
                       "decreasing", "sort the bins", user_site())
    rising = sorted_count(edges, values, not right) if direction != -1 else None
    falling = None
    if direction != 1:
        falling = n - sorted_count(flip(edges), values, not right)
    if direction is not None:
        return rising if direction == 1 else falling
    if n < 2:
        return rising
    return where(_traced_falling(edges), falling, rising)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of y along `axis` by the trapezoidal rule (np.trapezoid), with sample
    points `x` or spacing `dx`. Integer and boolean data give float64, as in NumPy, except
    with a Python number dx (the default 1.0 too): float32, by tapejit's policy for Python
    numbers next to integers."""
    values = operand(y, "trapezoid")
    if not isinstance(axis, (int, np.integer)) or not -values.ndim <= axis < values.ndim:
        raise op_error(IndexError, "trapezoid", f"axis {axis!r} is out of range for y of "
                       f"shape {values.shape}", "pass an axis of y", user_site())
    axis = int(axis) % values.ndim
    if x is None:
        spacing = dx
    else:
        points = operand(x, "trapezoid")
        if points.ndim == 1:
            spacing = diff(points)
            spacing = reshape(spacing, tuple(spacing.shape[0] if i == axis else 1
                                             for i in range(values.ndim)))
        else:
            spacing = diff(points, axis=axis)
    later = values[(slice(None),) * axis + (slice(1, None),)]
    earlier = values[(slice(None),) * axis + (slice(None, -1),)]
    areas = multiply(spacing, add(later, earlier))
    if areas.dtype.kind != "f":
        areas = cast(areas, dtypes.float64)
    return _sum(divide(areas, 2.0), axis)


def _check_ddof(ddof) -> None:
    if ddof is not None and ddof != int(ddof):
        raise op_error(ValueError, "cov", f"ddof must be integer, got {ddof!r}",
                       "pass an integer ddof", user_site())


def _variables(m, y, rowvar, dtype):
    """The variables as rows of one 2-d array of the working dtype (NumPy's rules)."""
    x = operand(m, "cov")
    other = None if y is None else operand(y, "cov")
    for name, value in (("m", x), ("y", other)):
        if value is not None and value.ndim > 2:
            raise op_error(ValueError, "cov", f"{name} has more than 2 dimensions (shape "
                           f"{value.shape})", "pass 1-d or 2-d arrays", user_site())
    if dtype is None:
        dtype = np.promote_types(x.dtype if other is None else
                                 np.promote_types(x.dtype, other.dtype), dtypes.float64)
    dtype = dtypes.canonical(dtype, "cov")
    if dtype.kind != "f":
        raise op_error(TypeError, "cov", f"cannot subtract the float means from dtype "
                       f"{dtype}", "pass a float dtype, or none", user_site())
    rows = cast(atleast_2d(x), dtype)
    if not rowvar and x.ndim != 1:
        rows = transpose(rows)
    if rows.shape[0] == 0 or other is None:
        return rows
    more = cast(atleast_2d(other), dtype)
    if not rowvar and more.shape[0] != 1:
        more = transpose(more)
    return concatenate((rows, more), axis=0)


def _weights(values, name: str, samples: int, integral: bool):
    """fweights/aweights as float64, with NumPy's checks (of known values only)."""
    if values is None:
        return None
    w = cast(operand(values, "cov"), dtypes.float64)
    data = known_values(w)
    if integral and data is not None and not np.all(data == np.around(data)):
        raise op_error(TypeError, "cov", f"{name} must be integer", "pass whole counts",
                       user_site())
    if w.ndim > 1:
        raise op_error(RuntimeError, "cov", f"cannot handle multidimensional {name}",
                       "pass 1-d weights", user_site())
    if w.ndim == 0 or w.shape[0] != samples:
        raise op_error(RuntimeError, "cov", f"incompatible numbers of samples and {name} "
                       f"({samples} samples, {name} of shape {w.shape})",
                       "pass one weight per observation", user_site())
    if data is not None and np.any(data < 0):
        raise op_error(ValueError, "cov", f"{name} cannot be negative",
                       "pass non-negative weights", user_site())
    return w


def _no_degrees_of_freedom() -> None:
    warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=4)


def _unweighted(rows, ddof: int):
    centered = subtract(rows, mean(rows, axis=1, keepdims=True))
    fact = rows.shape[1] - ddof
    if fact <= 0:
        _no_degrees_of_freedom()
        fact = 0.0
    with np.errstate(divide="ignore"):
        scale = np.true_divide(1, fact)
    return cast(multiply(matmul(centered, transpose(centered)), scale), rows.dtype)


def _weighted(rows, ddof: int, w, aweights):
    center, total = average(rows, axis=1, weights=w, returned=True)
    centered = cast(subtract(rows, center[:, None]), rows.dtype)
    total = total[0]
    if ddof == 0:
        fact = total
    elif aweights is None:
        fact = total - ddof
    else:
        fact = total - ddof * _sum(multiply(w, aweights)) / total
    data = known_values(fact)
    if data is not None and data <= 0:
        _no_degrees_of_freedom()
    fact = where(fact <= 0, 0.0, fact)
    product = matmul(centered, transpose(multiply(centered, w)))
    return multiply(product, divide(1.0, fact))


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """The covariance matrix of the variables in the rows of m (and y) (np.cov): float64
    unless `dtype` says otherwise, 0-d for a single variable. No degrees of freedom left
    gives inf or NaN, with NumPy's RuntimeWarning when that is known eagerly."""
    _check_ddof(ddof)
    rows = _variables(m, y, rowvar, dtype)
    if rows.shape[0] == 0:
        return Tensor(np.zeros((0, 0)))
    ddof = (0 if bias else 1) if ddof is None else int(ddof)
    samples = rows.shape[1]
    f = _weights(fweights, "fweights", samples, True)
    a = _weights(aweights, "aweights", samples, False)
    w = a if f is None else (f if a is None else multiply(f, a))
    c = _unweighted(rows, ddof) if w is None else _weighted(rows, ddof, w, a)
    return squeeze(c)


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """Pearson correlation coefficients (np.corrcoef): cov scaled by the standard
    deviations and clipped to [-1, 1]; a single variable gives c / c (1, or NaN)."""
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return divide(c, c)
    deviation = sqrt(diagonal(c))
    c = divide(divide(c, deviation[:, None]), deviation[None, :])
    return clip(c, -1, 1)

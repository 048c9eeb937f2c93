"""np.histogram, histogram_bin_edges, histogram2d and histogramdd. Given numbers of bins,
the shapes are known, so they trace and compile: the edges come from the (traced) minimum
and maximum, or from `range`, by NumPy's linspace arithmetic, and each value's bin by
NumPy's arithmetic and its corrections for values on an edge (the last bin closed, values
outside the range dropped). Given edges, values are counted by searching the sorted data.
A string estimator ('auto', 'fd', ...) needs the data: eager only. np.histogram's counts
are int64; with weights, sums in the weights' dtype, differentiable in the weights.

Every intermediate has the dtype NumPy gives it (NEP 50: a Python number in `range` is
weak), so the edges and bins are NumPy's to the last bit. Under jit, what NumPy checks on
the data cannot raise: non-finite data without `range` give NaN edges and zero counts, and
too many bins for the data's range give NumPy's arithmetic on the coinciding edges."""

from __future__ import annotations

import operator
import warnings
from typing import NamedTuple

import numpy as np

from tapejit import dtypes
from tapejit.errors import TracerArrayError, op_error
from tapejit.numpy.arguments import operand, operands
from tapejit.numpy.arith import clip
from tapejit.numpy.creation import asarray
from tapejit.numpy.indexing import take
from tapejit.numpy.joining import concatenate
from tapejit.numpy.logic import (
    equal,
    greater_equal,
    isfinite,
    less,
    less_equal,
    logical_and,
    not_equal,
    where,
)
from tapejit.numpy.reductions import max as _max
from tapejit.numpy.reductions import min as _min
from tapejit.numpy.reductions import sum as _sum
from tapejit.numpy.rounding import floor_divide, mod
from tapejit.numpy.scans import cumsum, diff
from tapejit.numpy.shaping import atleast_2d, ravel, reshape, transpose
from tapejit.numpy.sorting import argsort
from tapejit.numpy.statistics import sorted_count
from tapejit.numpy.ufuncs import add, divide, multiply, subtract
from tapejit.ops.gathers import unsorted_segment_sum
from tapejit.ops.operands import cast
from tapejit.ops.shape import full_like
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import Tracer

ESTIMATORS = ("auto", "doane", "fd", "rice", "scott", "sqrt", "stone", "sturges")


class _Grid(NamedTuple):
    """`count` equal bins: edges; bounds the data are compared with (numbers, or 0-d tensors);
    first edge and range width in NumPy's bin arithmetic; under jit, whether finite."""

    edges: Tensor
    count: int
    low: object
    high: object
    start: object
    span: object
    valid: object = None


def known(x) -> bool:
    return not isinstance(x, Tracer)


def _in_numpy_dtype(fn, a, b):
    """fn(a, b) computed in the dtype NumPy computes it in (a Python number is weak)."""
    dtype = np.result_type(*(v.dtype if isinstance(v, Tensor) else v for v in (a, b)))
    return fn(*(cast(v, dtype) if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype)[()])
                for v in (a, b)))


def _beyond_integers(x, bound) -> bool:
    """A Python int bound outside the range of x's integer dtype (NumPy compares exactly)."""
    if type(bound) is not int or x.dtype.kind not in "iu":
        return False
    info = np.iinfo(x.dtype)
    return not info.min <= bound <= info.max


def _kept(x, grid: _Grid):
    """Which elements fall in [low, high], compared as NumPy compares them."""
    sides = []
    for bound, compare, outside_is_true in ((grid.low, greater_equal, lambda b: b < 0),
                                            (grid.high, less_equal, lambda b: b > 0)):
        if _beyond_integers(x, bound):
            sides.append(full_like(x, outside_is_true(bound), dtypes.bool_))
        else:
            sides.append(_in_numpy_dtype(compare, x, bound))
    keep = logical_and(*sides)
    return keep if grid.valid is None else logical_and(keep, grid.valid)


def _data_and_weights(a, weights, op: str):
    x = operand(a, op)
    if x.dtype == dtypes.bool_:
        warnings.warn(f"Converting input from bool to {np.uint8} for compatibility.",
                      RuntimeWarning, stacklevel=3)
        x = cast(x, dtypes.uint8)
    if weights is None:
        return ravel(x), None
    w = operand(weights, op)
    if tuple(w.shape) != tuple(x.shape):
        raise op_error(ValueError, op, f"weights should have the same shape as a. (a: "
                       f"{tuple(x.shape)}, weights: {tuple(w.shape)})",
                       "pass one weight per value", user_site())
    return ravel(x), ravel(w)


def _bin_count(x, bins, bounds, w, op: str):
    """An int (that many equal bins) or a tensor of edges, with NumPy's checks."""
    if isinstance(bins, str):
        return _estimated_count(x, bins, bounds, w, op)
    if isinstance(bins, Tracer) and bins.ndim == 0:
        raise op_error(TracerArrayError, op, "the number of bins sets the result's shape, and "
                       "this traced bin count has no value", "pass bins as a Python int",
                       user_site())
    if np.ndim(bins) == 0:
        try:
            count = operator.index(bins)
        except TypeError:
            raise op_error(TypeError, op, "`bins` must be an integer, a string, or an array",
                           f"pass an int, not {bins!r}", user_site()) from None
        if count < 1:
            raise op_error(ValueError, op, "`bins` must be positive, when an integer",
                           f"pass at least 1, not {count}", user_site())
        return count
    if np.ndim(bins) != 1:
        raise op_error(ValueError, op, "`bins` must be 1d, when an array",
                       f"pass the edges as a 1-d array, not shape {np.shape(bins)}", user_site())
    edges = asarray(bins)
    if known(edges):
        values = np.asarray(edges.concrete(op))
        if np.any(values[:-1] > values[1:]):
            raise op_error(ValueError, op, "`bins` must increase monotonically, when an array",
                           "sort the edges", user_site())
    return edges


def _estimated_count(x, name: str, bounds, w, op: str) -> int:
    """The number of bins NumPy's estimator `name` chooses for the data (eager only)."""
    if name not in ESTIMATORS:
        raise op_error(ValueError, op, f"{name!r} is not a valid estimator for `bins`",
                       f"use one of {ESTIMATORS}, an int or edges", user_site())
    if w is not None:
        raise op_error(TypeError, op, "Automated estimation of the number of bins is not "
                       "supported for weighted data", "pass an int or edges", user_site())
    if not known(x):
        raise op_error(TracerArrayError, op, f"the estimator {name!r} chooses the number of "
                       "bins, and so the result's shape, from the values of this traced "
                       "array", "pass an int or edges under jit (e.g. from "
                       "tnp.histogram_bin_edges(data, bins) computed outside)", user_site())
    data = np.asarray(x.concrete(op))
    return np.histogram_bin_edges(data, name, _concrete_range(bounds, op)).size - 1


def _concrete_range(bounds, op: str):
    if bounds is None:
        return None
    if any(isinstance(v, Tracer) for v in bounds):
        raise op_error(TracerArrayError, op, "range sets where the edges are and is checked, "
                       "so it cannot be traced", "pass range as numbers", user_site())
    return tuple(np.asarray(v.concrete(op))[()] if isinstance(v, Tensor) else v
                 for v in bounds)


def _unsigned_difference(high, low):
    """high - low (high >= low) as NumPy's histogram computes it: a signed integer
    difference in the unsigned type of the same size, so it cannot overflow."""
    dtype = np.result_type(high, low)
    if dtype.kind != "i":
        return np.subtract(high, low, dtype=dtype)
    return np.subtract(np.asarray(high, dtype), np.asarray(low, dtype), casting="unsafe",
                       dtype=np.dtype(f"u{dtype.itemsize}"))


def _check_finite_bins(edges: np.ndarray, count: int, op: str) -> None:
    if np.any(edges[:-1] >= edges[1:]):
        raise op_error(ValueError, op, f"Too many bins for data range. Cannot create {count} "
                       "finite-sized bins.", "ask for fewer bins, or a wider range",
                       user_site())


def known_bounds(bounds, op: str):
    """`range` checked and widened by 1 when empty, as NumPy does; 0 to 1 for no data."""
    low, high = (0, 1) if bounds is None else _concrete_range(bounds, op)
    if bounds is not None:
        if low > high:
            raise op_error(ValueError, op, "max must be larger than min in range parameter.",
                           "pass range=(min, max)", user_site())
        if not (np.isfinite(low) and np.isfinite(high)):
            raise op_error(ValueError, op, f"supplied range of [{low}, {high}] is not finite",
                           "pass finite bounds", user_site())
    return (low - 0.5, high + 0.5) if low == high else (low, high)


def _given_grid(x, count: int, bounds, op: str) -> _Grid:
    """Equal bins over a known range (`range`, or 0 to 1 for no data)."""
    low, high = known_bounds(bounds, op)
    bin_type = np.result_type(low, high, np.empty((0,), x.dtype))
    if bin_type.kind in "iu":
        bin_type = np.result_type(bin_type, float)
    edges = np.linspace(low, high, count + 1, endpoint=True, dtype=bin_type)
    return _Grid(Tensor(edges), count, low, high, low, _unsigned_difference(high, low))


def _even_edges(start, stop, count: int):
    """np.linspace(start, stop, count + 1) in the dtype of the 0-d tensors start and stop,
    by NumPy's arithmetic (including its path for a step that underflows to zero)."""
    dtype = start.dtype
    steps = Tensor(np.arange(count + 1, dtype=dtype))
    div = np.asarray(count, dtype)[()]
    delta = subtract(stop, start)
    step = divide(delta, div)
    spread = where(equal(step, 0), multiply(divide(steps, div), delta), multiply(steps, step))
    samples = add(spread, start)
    return concatenate([samples[:-1], reshape(stop, (1,))])


def data_grid(x, count: int, op: str) -> _Grid:
    """Equal bins from the data's minimum to its maximum (widened by 1 when equal)."""
    lo, hi = _min(x), _max(x)
    if known(lo) and not (np.isfinite(lo.numpy()) and np.isfinite(hi.numpy())):
        raise op_error(ValueError, op, f"autodetected range of [{lo.numpy()}, {hi.numpy()}] "
                       "is not finite", "drop the NaN and inf values, or pass range",
                       user_site())
    same = equal(lo, hi)
    if x.dtype.kind == "f":
        half = x.dtype.type(0.5)
        low, high = where(same, subtract(lo, half), lo), where(same, add(hi, half), hi)
        edges, valid = _even_edges(low, high, count), None
        if not known(lo):
            valid = logical_and(isfinite(lo), isfinite(hi))
            edges = where(valid, edges, np.nan)
        return _Grid(edges, count, low, high, low, subtract(high, low), valid)
    start, stop = cast(lo, dtypes.float64), cast(hi, dtypes.float64)
    start, stop = where(same, subtract(start, 0.5), start), where(same, add(stop, 0.5), stop)
    span = where(same, subtract(stop, start), _integer_width(lo, hi))
    return _Grid(_even_edges(start, stop, count), count, lo, hi, start, span)


def _integer_width(lo, hi):
    """hi - lo (hi >= lo) in float64, rounded once from the exact difference as NumPy
    rounds it (NumPy subtracts in the unsigned type). An int64 difference can pass 2**63,
    so it is taken in two exact halves, added in one rounding."""
    if lo.dtype.itemsize < 8:
        return subtract(cast(hi, dtypes.float64), cast(lo, dtypes.float64))
    if lo.dtype.kind == "u":
        return cast(subtract(hi, lo), dtypes.float64)
    base = 2 ** 32
    upper = subtract(floor_divide(hi, base), floor_divide(lo, base))
    lower = subtract(mod(hi, base), mod(lo, base))
    return add(multiply(cast(upper, dtypes.float64), float(base)), cast(lower, dtypes.float64))


def _grid(x, count: int, bounds, op: str) -> _Grid:
    grid = (data_grid(x, count, op) if bounds is None and x.size
            else _given_grid(x, count, bounds, op))
    if known(grid.edges):
        _check_finite_bins(np.asarray(grid.edges.concrete(op)), count, op)
    return grid


def _bins_of(x, grid: _Grid):
    """Each element's bin by NumPy's arithmetic, and whether it is counted."""
    keep = _kept(x, grid)
    edges, last = grid.edges, grid.count - 1
    values = cast(x, edges.dtype)
    offset = _in_numpy_dtype(subtract, values, grid.start)
    scaled = _in_numpy_dtype(multiply, _in_numpy_dtype(divide, offset, grid.span), grid.count)
    index = clip(cast(where(keep, scaled, 0), dtypes.int64), 0, last)
    index = where(less(values, take(edges, index)), index - 1, index)
    index = clip(index, 0, last)
    above = greater_equal(values, take(edges, index + 1))
    return where(logical_and(above, not_equal(index, last)), index + 1, index), keep


def _equal_bin_counts(x, grid: _Grid, w):
    index, keep = _bins_of(x, grid)
    if w is None:
        return unsorted_segment_sum(cast(keep, dtypes.int64), index, grid.count)
    sums = unsorted_segment_sum(where(keep, cast(w, dtypes.float64), 0.0), index, grid.count)
    return cast(sums, w.dtype)


def _counts_below_edges(ordered, edges):
    """How many sorted values lie below each edge, and not above the last (NumPy's search)."""
    values, edges = operands("histogram", ordered, edges)
    return concatenate([sorted_count(values, edges[:-1]),
                        sorted_count(values, edges[-1:], right=True)])


def _edge_counts(x, edges, w):
    """Counts (or weight sums) between given edges: differences of cumulative counts."""
    order = argsort(x)
    if w is None:
        return diff(_counts_below_edges(take(x, order), edges))
    if w.dtype == dtypes.bool_:
        raise op_error(TypeError, "histogram", "Cannot cast ufunc 'add' output from dtype("
                       "'int64') to dtype('bool') with casting rule 'same_kind' (bool weights"
                       " with edges)", "pass the weights as integers", user_site())
    totals = cumsum(take(w, order))
    running = concatenate([Tensor(np.zeros(1, w.dtype)), totals])
    below = take(running, _counts_below_edges(take(x, order), edges))
    return diff(cast(below, w.dtype))


def _density(counts, edges):
    widths = cast(diff(edges), dtypes.float64)
    total = cast(_sum(counts), dtypes.float64)
    return divide(divide(cast(counts, dtypes.float64), widths), total)


def histogram(a, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """(counts, bin_edges) of the flattened `a` (np.histogram). `bins`: a number of equal
    bins over `range` (default: the data's minimum to maximum), increasing edges, or
    the name of one of NumPy's estimators (eager only). Counts are int64; with `weights`,
    sums of the weights in their dtype (each bin's sum taken in float64, as NumPy does for
    arrays of up to 65536 elements); density=True gives float64 densities."""
    x, w = _data_and_weights(a, weights, "histogram")
    found = _bin_count(x, bins, range, w, "histogram")
    if isinstance(found, int):
        grid = _grid(x, found, range, "histogram")
        counts, edges = _equal_bin_counts(x, grid, w), grid.edges
    else:
        counts, edges = _edge_counts(x, found, w), found
    return (_density(counts, edges) if density else counts), edges


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    """The edges np.histogram would use (np.histogram_bin_edges); see tnp.histogram."""
    x, w = _data_and_weights(a, weights, "histogram_bin_edges")
    found = _bin_count(x, bins, range, w, "histogram_bin_edges")
    if isinstance(found, int):
        return _grid(x, found, range, "histogram_bin_edges").edges
    return found


def _points(sample, op: str):
    """The sample as N points of D coordinates: a 2-d array as it is, anything else (D
    arrays of N values, or one 1-d array) as np.atleast_2d(sample).T."""
    points = asarray(sample)
    if not (hasattr(sample, "shape") and points.ndim == 2):
        points = transpose(atleast_2d(points))
    if points.ndim != 2:
        raise op_error(ValueError, op, f"the sample must be N points of D coordinates (got "
                       f"shape {tuple(points.shape)})", "pass an (N, D) array", user_site())
    return points


def _axis_edges(column, bins, bounds, axis: int, op: str):
    """np.histogramdd's edges along one axis: `bins` equal bins over the data or `range`
    (np.linspace's own dtype), or the edges given."""
    if np.ndim(bins) == 1:
        edges = asarray(bins)
        if known(edges) and np.any(np.diff(np.asarray(edges.concrete(op))) < 0):
            raise op_error(ValueError, op, f"`bins[{axis}]` must be monotonically increasing, "
                           "when an array", "sort the edges", user_site())
        return edges
    if np.ndim(bins) != 0:
        raise op_error(ValueError, op, f"`bins[{axis}]` must be a scalar or 1d array",
                       "pass a number of bins or 1-d edges per axis", user_site())
    if bins < 1:
        raise op_error(ValueError, op, f"`bins[{axis}]` must be positive, when an integer",
                       "pass at least 1", user_site())
    low, high = (None, None) if bounds is None and column.size else known_bounds(bounds, op)
    try:
        count = operator.index(bins)
    except TypeError:
        raise op_error(TypeError, op, f"`bins[{axis}]` must be an integer, when a scalar",
                       f"pass an int, not {bins!r}", user_site()) from None
    if low is None:
        return data_grid(column, count, op).edges
    return Tensor(np.linspace(low, high, count + 1))


def _cell_index(column, edges):
    """0 below the first edge, len(edges) above the last, else the bin (the last closed)."""
    values, ends = operands("histogramdd", column, edges)
    index = sorted_count(ends, values, right=True)
    return where(equal(values, ends[-1]), index - 1, index)


def _per_axis(values, dims: int, what: str, op: str) -> list:
    if values is None:
        return [None] * dims
    if len(values) != dims:
        raise op_error(ValueError, op, f"{what} must have one entry per dimension ({dims})",
                       f"pass {dims} entries, or one value for every axis", user_site())
    return list(values)


def histogramdd(sample, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """(hist, edges) of N points in D dimensions (np.histogramdd): float64 counts (or sums
    of the weights, differentiable in them), a list of D edge arrays. `bins` is one or D
    bin counts or edge arrays; values on an axis's last edge fall in its last bin."""
    op = "histogramdd"
    points = _points(sample, op)
    dims = points.shape[1]
    try:
        bins = _per_axis(bins, dims, "The dimension of bins", op)
    except TypeError:
        bins = [bins] * dims
    bounds = _per_axis(range, dims, "range argument", op)
    edges = [_axis_edges(points[:, i], b, r, i, op) for i, (b, r) in enumerate(zip(bins, bounds))]
    sizes = [e.shape[0] + 1 for e in edges]
    cells = [_cell_index(points[:, i], e) for i, e in enumerate(edges)]
    cell = cells[0]
    for size, more in zip(sizes[1:], cells[1:]):
        cell = add(multiply(cell, size), more)
    values = Tensor(np.ones(points.shape[0]))
    if weights is not None:
        values = cast(operand(weights, op), dtypes.float64)
        if tuple(values.shape) != (points.shape[0],):
            raise op_error(ValueError, op, "The weights and list don't have the same length.",
                           f"pass {points.shape[0]} weights, one per point", user_site())
    hist = unsorted_segment_sum(values, cell, int(np.prod(sizes)))
    hist = reshape(hist, sizes)[(slice(1, -1),) * dims]
    return (_densities(hist, edges) if density else hist), edges


def _densities(hist, edges):
    """Counts per unit of volume, as a fraction of the total (np.histogramdd's density)."""
    total = _sum(hist)
    for axis, e in enumerate(edges):
        hist = divide(hist, reshape(diff(e), [-1 if i == axis else 1 for i in np.arange(
            len(edges))]))
    return divide(hist, total)


def histogram2d(x, y, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """(hist, xedges, yedges) of the points (x, y) (np.histogram2d): see tnp.histogramdd;
    `bins` is a count or edges for both axes, or a pair of them."""
    try:
        pair = len(bins) in (1, 2)
    except TypeError:
        pair = True
    if not pair:
        bins = [asarray(bins)] * 2
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]

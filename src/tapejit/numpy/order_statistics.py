"""Order statistics with NumPy's semantics (method 'linear'): median, quantile, percentile
and their NaN-ignoring forms nanmedian, nanquantile, nanpercentile (np.*).

Each slice is sorted (NaN last) and read at positions computed from its count of values:
its length for median and quantile, its count of non-NaN values for the nan* forms, so those
compile under jit too (where the counts are unknown). Everything differentiates through the
sort. A NaN in a slice makes median and quantile NaN; an all-NaN slice makes the nan* forms
NaN, eagerly with NumPy's RuntimeWarning "All-NaN slice encountered".
"""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, op_error
from tapejit.numpy.arguments import axes, operand, reject_out
from tapejit.numpy.indexing import take_along_axis
from tapejit.numpy.logic import equal, greater_equal, isnan, logical_not
from tapejit.numpy.logic import where as select
from tapejit.numpy.nanfunctions import warn_where
from tapejit.numpy.reductions import kept_shape, lanes
from tapejit.numpy.reductions import sum as sum_of
from tapejit.numpy.rounding import floor
from tapejit.numpy.shaping import slice_along
from tapejit.numpy.sorting import sort
from tapejit.numpy.ufuncs import maximum, minimum
from tapejit.ops.numpy_policy import is_weak, strong_dtype
from tapejit.ops.operands import cast
from tapejit.ops.shape import full, reshape, stack
from tapejit.site import user_site, warn_at_user_line
from tapejit.tensor import Tensor
from tapejit.trace import Tracer

NUMPY_METHODS = ("inverted_cdf", "averaged_inverted_cdf", "closest_observation",
                 "interpolated_inverted_cdf", "hazen", "weibull", "linear", "median_unbiased",
                 "normal_unbiased", "lower", "higher", "midpoint", "nearest")


class _Sorted:
    """The slices of `x` reduced over `axis`, merged into a last axis and sorted (NaN last),
    with the count of values each statistic reads: its length (a Python int: positions are
    static slices), or with `skip_nans` the count of non-NaN values (int64 per slice:
    positions are gathers)."""

    def __init__(self, x, axis, keepdims: bool, op: str, skip_nans: bool):
        reduced = axes(axis, x.ndim, op)
        self.shape = kept_shape(x.shape, reduced, keepdims)
        merged = lanes(x, reduced)
        self.ordered = sort(merged, -1)
        self.length = merged.shape[-1]
        self.skip_nans = skip_nans and x.dtype.kind == "f"
        self.propagate_nans = not skip_nans and x.dtype.kind == "f"
        self.count = (sum_of(cast(logical_not(isnan(merged)), dtypes.int64), -1)
                      if self.skip_nans else self.length)

    def at(self, index):
        """The sorted values at `index` (an int, or one position per slice), clamped into
        the slice."""
        if isinstance(index, (int, np.integer)):
            return _position(self.ordered, min(max(int(index), 0), max(self.length - 1, 0)))
        last = maximum(self.count - 1, np.int64(0))
        clamped = minimum(maximum(index, np.int64(0)), last)
        picked = take_along_axis(self.ordered, reshape(clamped, tuple(clamped.shape) + (1,)),
                                 -1)
        return reshape(picked, tuple(clamped.shape))

    def finish(self, value):
        """value in the result's shape, NaN where the slice holds a NaN (median, quantile:
        NaN sorts last) or no non-NaN value (the nan* forms, eagerly with NumPy's warning)."""
        if self.skip_nans:
            empty = equal(self.count, 0)
            warn_where(empty, "All-NaN slice encountered")
            value = select(empty, np.asarray(np.nan, value.dtype)[()], value)
        elif self.propagate_nans and self.length:
            value = select(isnan(self.at(self.length - 1)), np.asarray(np.nan, value.dtype)[()],
                           value)
        return reshape(value, self.shape)

    def middle(self, dtype):
        """The middle value, or the mean of the two middle ones. np.median reads the middle
        one; np.nanmedian (masked arrays, for slices under 600) averages it with itself,
        which is the same value unless that overflows."""
        low, high = self.at((self.count - 1) // 2), self.at(self.count // 2)
        mean = (low + high) * dtype.type(0.5)
        if self.skip_nans:
            return mean
        return low if self.count % 2 else mean


def _position(x, index: int):
    """Element `index` of the last axis, that axis removed."""
    return reshape(slice_along(x, x.ndim - 1, index, index + 1), tuple(x.shape[:-1]))


def _empty_input(x, axis, keepdims: bool, op: str, dtype, leading=()):
    """NumPy's answer for an array with no elements: NaN (its nanmean), warning when the
    slices themselves are empty."""
    reduced = axes(axis, x.ndim, op)
    shape = kept_shape(x.shape, reduced, keepdims)
    if int(np.prod(shape)) > 0:
        warn_at_user_line("Mean of empty slice", RuntimeWarning)
    return full(tuple(leading) + tuple(shape), np.nan, dtype)


def _quantiles(q, x, op: str, percent: bool):
    """q's values as NumPy computes with them (percentiles divided by 100 in the data's
    float dtype, as NumPy does), checked to be in [0, 1]; the dtype q brings (None for a
    Python number, which is weak, as in NumPy); whether it is integral (then NumPy reads
    order statistics without interpolating, in the data's dtype)."""
    if isinstance(q, Tracer):
        raise op_error(TypeError, op, "q must be known when tracing (it picks the order "
                       "statistics)", "pass q as a number or a NumPy array", user_site())
    weak = is_weak(q)
    dtype = None if weak else strong_dtype(q, op)
    given = q if weak else np.asarray(q.numpy() if isinstance(q, Tensor) else q)
    if percent:
        values = np.asarray(np.true_divide(given, x.dtype.type(100) if x.dtype.kind == "f"
                                           else 100))
    else:
        values = np.asarray(given)
    if values.ndim > 2:
        raise op_error(ValueError, op, f"q must be a scalar or 1d (got shape {values.shape})",
                       "pass one quantile or a 1-d array of them", user_site())
    if np.any(np.isnan(values)) or np.any((values < 0) | (values > 1)):
        what = "Percentiles must be in the range [0, 100]" if percent else (
            "Quantiles must be in the range [0, 1]")
        raise op_error(ValueError, op, f"{what}, got {given}", "pass q in that range",
                       user_site())
    integral = values.dtype.kind in "biu"
    return (values.astype(np.int64) if integral else values), dtype, integral


def _check_method(op: str, method, weights) -> None:
    if method not in NUMPY_METHODS:
        raise op_error(ValueError, op, f"{method!r} is not a valid method. Use one of: "
                       f"{', '.join(NUMPY_METHODS)}", "use method='linear'", user_site())
    if method != "linear":
        raise op_error(NotImplementedError, op, f"method {method!r} is not supported",
                       "use method='linear' (the default)", user_site())
    if weights is not None:
        raise op_error(ValueError, op, "Only method 'inverted_cdf' supports weights. Got: "
                       "linear.", "omit weights", user_site())


def _lerp(low, high, weight, dtype):
    """NumPy's interpolation between neighbouring order statistics: the difference in the
    data's dtype, the rest in the result's; exact at both ends. `weight` is one number (a
    static position) or one per slice."""
    diff = cast(high - low, dtype)
    low, high = cast(low, dtype), cast(high, dtype)
    one = dtype.type(1)
    if isinstance(weight, np.generic):
        weight = dtype.type(weight)
        return high - diff * (one - weight) if weight >= 0.5 else low + diff * weight
    weight = cast(weight, dtype)
    return select(greater_equal(weight, dtype.type(0.5)), high - diff * (one - weight),
                  low + diff * weight)


def _quantile_of_sorted(sorted_: _Sorted, q: np.generic, dtype):
    """The quantile q of each slice, at the virtual position (count - 1) * q computed in
    q's dtype, as NumPy; an integral q (0 or 1) reads an order statistic."""
    count = sorted_.count
    if q.dtype.kind == "i":
        return cast(sorted_.at((count - 1) * q), dtype)
    if isinstance(count, int):
        position = q.dtype.type(count - 1) * q
        below = np.floor(position)
        return _lerp(sorted_.at(int(below)), sorted_.at(int(below) + 1), position - below,
                     dtype)
    position = cast(count - 1, q.dtype) * q
    below = floor(position)
    index = cast(below, dtypes.int64)
    return _lerp(sorted_.at(index), sorted_.at(index + 1), position - below, dtype)


def _result_dtype(x, q_dtype, integral: bool, op: str) -> np.dtype:
    if integral:
        return x.dtype
    if x.dtype.kind == "b":
        raise op_error(DTypeError, op, "numpy boolean subtract, the `-` operator, is not "
                       "supported (interpolating between booleans)",
                       "cast a to a number first, or pass an integer q", user_site())
    dtype = x.dtype if x.dtype.kind == "f" else dtypes.float64
    return dtype if q_dtype is None else np.promote_types(dtype, q_dtype)


def _median(op: str, a, axis, out, keepdims, skip_nans: bool):
    reject_out(out, op)
    x = operand(a, op)
    if x.dtype.kind != "f":
        x = cast(x, dtypes.float64)
    if x.size == 0:
        return _empty_input(x, axis, keepdims, op, x.dtype)
    sorted_ = _Sorted(x, axis, keepdims, op, skip_nans)
    return sorted_.finish(sorted_.middle(x.dtype))


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median along `axis` (np.median): the middle value, or the mean of the two middle
    ones; NaN in a slice gives NaN; integers give float64; an array with no elements gives
    NaN (eagerly with NumPy's warning)."""
    return _median("median", a, axis, out, keepdims, skip_nans=False)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median of the non-NaN values along `axis` (np.nanmedian); an all-NaN slice, or an
    array with no elements, gives NaN (eagerly with NumPy's warnings)."""
    return _median("nanmedian", a, axis, out, keepdims, skip_nans=True)


def _quantile(op: str, a, q, percent: bool, axis, out, method, keepdims, weights,
              skip_nans: bool):
    reject_out(out, op)
    _check_method(op, method, weights)
    x = operand(a, op)
    qs, q_dtype, integral = _quantiles(q, x, op, percent)
    dtype = _result_dtype(x, q_dtype, integral, op)
    if x.size == 0 and skip_nans:
        return _empty_input(x, axis, keepdims, op, dtype, qs.shape)
    if x.size == 0 and any(x.shape[d] == 0 for d in axes(axis, x.ndim, op)):
        raise op_error(IndexError, op, "cannot take a quantile of an empty slice",
                       "reduce a non-empty axis", user_site())
    sorted_ = _Sorted(x, axis, keepdims, op, skip_nans)
    results = [sorted_.finish(_quantile_of_sorted(sorted_, v, dtype)) for v in qs.ravel()]
    if qs.ndim == 0:
        return results[0]
    return reshape(stack(results, 0), qs.shape + tuple(sorted_.shape))


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None):
    """The q-th quantiles along `axis` (np.quantile, method 'linear'; q in [0, 1], known when
    tracing), with q's dimensions first: of a's dtype for a Python number q, else of a's and
    q's common one; integers give float64; an integer q reads an order statistic in a's
    dtype, as NumPy; NaN in a slice gives NaN. Differentiable in `a` (through the sort)."""
    return _quantile("quantile", a, q, False, axis, out, method, keepdims, weights, False)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """The q-th percentiles (np.percentile): quantile(a, q / 100)."""
    return _quantile("percentile", a, q, True, axis, out, method, keepdims, weights, False)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None):
    """quantile of the non-NaN values (np.nanquantile). An all-NaN slice gives NaN; an array
    with no elements gives NaNs of shape q.shape + the result's (NumPy answers with its
    nanmean there, without q's dimensions)."""
    return _quantile("nanquantile", a, q, False, axis, out, method, keepdims, weights, True)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None):
    """The q-th percentiles of the non-NaN values (np.nanpercentile): nanquantile(a,
    q / 100)."""
    return _quantile("nanpercentile", a, q, True, axis, out, method, keepdims, weights, True)

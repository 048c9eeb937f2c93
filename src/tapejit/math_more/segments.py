"""tf.math's segment reductions over known segment ids, sorted (segment_mean, segment_max,
segment_min, segment_prod) or not (unsorted_segment_mean/max/min/prod), and top_k, composed
from segment_sum, where, reductions and the sort primitives."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tapejit import dtypes
from tapejit.errors import ShapeError, TracerArrayError, op_error
from tapejit.math_more.elementwise import truediv
from tapejit.math_more.reductions import one_axis, reduce_prod
from tapejit.ops import (
    abs,
    cast,
    expand_dims,
    reduce_max,
    reduce_min,
    reduce_sum,
    reshape,
    reverse,
    segment_sum,
    sign,
    where,
)
from tapejit.ops.index_values import index_value, is_traced, require_integer
from tapejit.ops.operands import numeric_operand
from tapejit.primitives import rounding, sort
from tapejit.primitives.reduce import highest, lowest
from tapejit.primitives.slicing import slice_
from tapejit.site import user_site
from tapejit.trace import bind


def _error(kind, op: str, problem: str, fix: str):
    return op_error(kind, op, problem, fix, user_site())


def _segments(data, segment_ids, op: str):
    """data, and the known, sorted, non-negative ids (NumPy), one per row of data."""
    data = numeric_operand(data, op)
    ids = index_value(segment_ids, op)
    if is_traced(ids):
        raise _error(TracerArrayError, op, "its output size (the last segment id + 1) "
                     "depends on the values of traced segment_ids",
                     "pass segment_ids as NumPy data or an eager tensor")
    require_integer(ids, op)
    if ids.ndim != 1 or np.any(ids < 0) or np.any(np.diff(ids) < 0):
        raise _error(ValueError, op, "segment ids must be a vector of non-negative, "
                     "non-decreasing ids", "sort the ids")
    if data.ndim == 0 or data.shape[0] != len(ids):
        raise _error(ShapeError, op, f"{len(ids)} segment ids for data of shape "
                     f"{tuple(data.shape)}", "give one segment id per row of data")
    return data, ids


def _per_row(values: np.ndarray, data) -> np.ndarray:
    """A per-segment (or per-row) NumPy vector shaped to broadcast against data's rows."""
    return values.reshape(values.shape + (1,) * (data.ndim - 1))


def segment_mean(data, segment_ids, name=None):
    """The mean of data's rows by sorted segment id, 0 for an empty segment (integers divide
    toward zero, as in TF) (tf.math.segment_mean)."""
    del name
    data, ids = _segments(data, segment_ids, "segment_mean")
    total = segment_sum(data, ids)
    count = np.maximum(np.bincount(ids, minlength=total.shape[0]), 1)
    count = _per_row(count.astype(data.dtype), data)
    if data.dtype.kind == "f":
        return total / count
    return bind(rounding.floor_divide_p, abs(total), count) * sign(total)


def _segment_extremum(data, segment_ids, op: str, reduce_fn, fill):
    """reduce_fn over a (segments, rows, ...) copy of data, rows outside a segment `fill`."""
    data, ids = _segments(data, segment_ids, op)
    hits = ids == np.arange(int(ids[-1]) + 1 if len(ids) else 0)[:, None]
    best = reduce_fn(where(_per_row(hits, data), expand_dims(data, 0), fill(data.dtype)), 1)
    return where(_per_row(~hits.any(1), data), 0, best)


def segment_max(data, segment_ids, name=None):
    """The largest of data's rows by sorted segment id, 0 for an empty segment
    (tf.math.segment_max); ties share the gradient, as in TF."""
    del name
    return _segment_extremum(data, segment_ids, "segment_max", reduce_max, lowest)


def segment_min(data, segment_ids, name=None):
    """The smallest of data's rows by sorted segment id, 0 for an empty segment
    (tf.math.segment_min); ties share the gradient, as in TF."""
    del name
    return _segment_extremum(data, segment_ids, "segment_min", reduce_min, highest)


def segment_prod(data, segment_ids, name=None):
    """The product of data's rows by sorted segment id, 1 for an empty segment
    (tf.math.segment_prod); the gradient is the product of the segment's other entries, as
    TF's (also where the segment holds zeros)."""
    del name
    data, ids = _segments(data, segment_ids, "segment_prod")
    hits = ids == np.arange(int(ids[-1]) + 1 if len(ids) else 0)[:, None]
    return reduce_prod(where(_per_row(hits, data), expand_dims(data, 0), 1), 1)


def _unsorted(data, segment_ids, num_segments, op: str):
    """data with one row per segment id, and a (num_segments, rows) NumPy mask of the rows in
    each segment; ids must be known, of shape a prefix of data's, negative ids are dropped,
    as in TF."""
    data = numeric_operand(data, op)
    ids, count = index_value(segment_ids, op), index_value(num_segments, op)
    if is_traced(ids) or is_traced(count):
        raise _error(TracerArrayError, op, "its output rows depend on the values of traced "
                     "segment_ids or num_segments",
                     "pass them as NumPy data or eager tensors")
    require_integer(ids, op)
    require_integer(count, op)
    if count.ndim != 0 or count < 0:
        raise _error(ValueError, op, f"num_segments must be a non-negative integer scalar, "
                     f"got {count!r}", "pass the number of segments")
    if tuple(data.shape[:ids.ndim]) != ids.shape:
        raise _error(ShapeError, op, f"segment_ids of shape {ids.shape} are not a prefix of "
                     f"data's shape {tuple(data.shape)}", "give one segment id per row of data")
    if np.any(ids >= count):
        raise _error(ValueError, op, f"segment ids {sorted(set(ids[ids >= count].tolist()))} "
                     f"are not in [0, {int(count)})", "raise num_segments")
    if ids.ndim != 1:
        data = reshape(data, (ids.size,) + tuple(data.shape[ids.ndim:]))
    hits = ids.reshape(-1) == np.arange(int(count))[:, None]
    return data, hits


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """The mean of data's rows by segment id, 0 for an empty segment; TF's sum / max(count, 1)
    with `/` its truediv, so integer data gives floats (tf.math.unsorted_segment_mean)."""
    del name
    data, hits = _unsorted(data, segment_ids, num_segments, "unsorted_segment_mean")
    total = reduce_sum(where(_per_row(hits, data), expand_dims(data, 0), 0), 1)
    count = _per_row(np.maximum(hits.sum(1), 1).astype(data.dtype), data)
    return truediv(total, count)


def _unsorted_extremum(data, segment_ids, num_segments, op: str, reduce_fn, fill):
    data, hits = _unsorted(data, segment_ids, num_segments, op)
    best = reduce_fn(where(_per_row(hits, data), expand_dims(data, 0), fill(data.dtype)), 1)
    limit = np.finfo(data.dtype) if data.dtype.kind == "f" else np.iinfo(data.dtype)
    empty = limit.min if fill is lowest else limit.max
    return where(_per_row(~hits.any(1), data), data.dtype.type(empty), best)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """The largest of data's rows by segment id; an empty segment gets the dtype's lowest
    finite value, as TF's numeric_limits::lowest() (tf.math.unsorted_segment_max). Ties share
    the gradient, as in TF."""
    del name
    return _unsorted_extremum(data, segment_ids, num_segments, "unsorted_segment_max",
                              reduce_max, lowest)


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """The smallest of data's rows by segment id; an empty segment gets the dtype's largest
    finite value, as TF's numeric_limits::max() (tf.math.unsorted_segment_min). Ties share
    the gradient, as in TF."""
    del name
    return _unsorted_extremum(data, segment_ids, num_segments, "unsorted_segment_min",
                              reduce_min, highest)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """The product of data's rows by segment id, 1 for an empty segment
    (tf.math.unsorted_segment_prod); the gradient is the product of the segment's other
    entries, as TF's (also where the segment holds zeros)."""
    del name
    data, hits = _unsorted(data, segment_ids, num_segments, "unsorted_segment_prod")
    return reduce_prod(where(_per_row(hits, data), expand_dims(data, 0), 1), 1)


TopKV2 = namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type=dtypes.int32, name=None):  # noqa: A002
    """The k largest entries along the last axis, largest first, the lower index first among
    equals, and their indices (tf.math.top_k); always sorted. The values' gradient goes back
    to the entries they came from."""
    del sorted, name
    x = numeric_operand(input, "top_k")
    last = one_axis(x, -1, "top_k")
    n, k = x.shape[last], int(k)
    if not 0 <= k <= n:
        raise _error(ValueError, "top_k", f"k = {k} is not in [0, {n}] (the last axis' size)",
                     f"take at most {n} entries")
    index_type = dtypes.canonical(index_type, "top_k")
    # a stable ascending sort of the reversed axis, read backwards: largest first, ties in
    # their original order
    order = reverse(sort.argsort(reverse(x, last), last), last)
    order = (n - 1) - order
    values = sort.permute_along_axis(x, order, last)
    start, limit = (0,) * x.ndim, tuple(x.shape[:-1]) + (k,)
    return TopKV2(slice_(values, start, limit, (1,) * x.ndim),
                  cast(slice_(order, start, limit, (1,) * x.ndim), index_type))

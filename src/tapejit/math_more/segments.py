"""tf.math's segment reductions over sorted, known segment ids (segment_mean, segment_max,
segment_min) and top_k, composed from segment_sum, where, reductions and the sort
primitives."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tapejit import dtypes
from tapejit.errors import ShapeError, TracerArrayError, op_error
from tapejit.math_more.reductions import one_axis
from tapejit.ops import (
    abs,
    cast,
    expand_dims,
    reduce_max,
    reduce_min,
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

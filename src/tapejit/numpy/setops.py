"""NumPy's unique (and NumPy 2's unique_values, unique_counts, unique_inverse, unique_all)
and bincount. Their result sizes depend on the data, so they run eagerly only (a traced
argument raises with a fix, as tnp.nonzero does). The integer results are NumPy's own; the
values are gathered from the input, so a unique value's gradient reaches the element it
was taken from (its first occurrence) and bincount's reaches its weights."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tapejit import dtypes
from tapejit.errors import op_error
from tapejit.numpy.arguments import operand
from tapejit.numpy.indexing import take
from tapejit.numpy.logic import concrete_data
from tapejit.ops.gathers import unsorted_segment_sum
from tapejit.ops.operands import cast
from tapejit.site import user_site
from tapejit.tensor import Tensor


class UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def _indices(values) -> Tensor:
    return Tensor(np.asarray(values, np.int64))


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):  # noqa: A002 (NumPy's name)
    """The sorted unique elements (np.unique; along `axis`, the unique slices), with the
    first-occurrence indices, the inverse and the counts on request; eager only."""
    x = operand(ar, "unique")
    data = concrete_data(x, "unique")
    found = np.unique(data, return_index=True, return_inverse=return_inverse,
                      return_counts=return_counts, axis=axis, equal_nan=equal_nan,
                      sorted=sorted)
    first = found[1]
    values = take(x, _indices(first), axis=axis)
    extras = [found[1]] if return_index else []
    extras += list(found[2:])
    if not extras:
        return values
    return (values, *(_indices(e) for e in extras))


def _first_positions(flat: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Where each of `values` (distinct, NaNs each on their own, in order of appearance)
    first occurs in `flat`."""
    sorted_values, first = np.unique(flat, return_index=True, equal_nan=False)
    nan = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, bool)
    numbers = ~np.isnan(sorted_values) if sorted_values.dtype.kind == "f" else slice(None)
    positions = np.empty(values.shape, np.int64)
    positions[~nan] = first[numbers][np.searchsorted(sorted_values[numbers], values[~nan])]
    positions[nan] = np.flatnonzero(np.isnan(flat)) if nan.any() else []
    return positions


def _unique_as(op: str, x, np_fn):
    """np_fn's result on x's data, its values gathered from x."""
    x = operand(x, op)
    data = concrete_data(x, op)
    found = np_fn(data)
    values = found if isinstance(found, np.ndarray) else found.values
    flat = data.ravel()
    gathered = take(x, _indices(_first_positions(flat, values)))
    return found, gathered


def unique_values(x, /):
    """np.unique_values: the distinct values (NaNs distinct, NumPy's order); eager only."""
    return _unique_as("unique_values", x, np.unique_values)[1]


def unique_counts(x, /):
    """np.unique_counts: (values, counts); eager only."""
    found, values = _unique_as("unique_counts", x, np.unique_counts)
    return UniqueCountsResult(values, _indices(found.counts))


def unique_inverse(x, /):
    """np.unique_inverse: (values, inverse_indices of x's shape); eager only."""
    found, values = _unique_as("unique_inverse", x, np.unique_inverse)
    return UniqueInverseResult(values, _indices(found.inverse_indices))


def unique_all(x, /):
    """np.unique_all: (values, indices, inverse_indices, counts); eager only."""
    found, values = _unique_as("unique_all", x, np.unique_all)
    return UniqueAllResult(values, _indices(found.indices), _indices(found.inverse_indices),
                           _indices(found.counts))


def bincount(x, /, weights=None, minlength=0):
    """Occurrences of each value of a 1-d array of non-negative integers (np.bincount),
    int64; with weights, their sums in float64 (differentiable in the weights). Eager only:
    the length is max(x) + 1."""
    ids = operand(x, "bincount")
    data = concrete_data(ids, "bincount")
    if data.dtype.kind not in "biu":
        raise op_error(TypeError, "bincount", f"cannot count values of dtype {data.dtype}",
                       "pass non-negative integers (x.astype(int))", user_site())
    if data.ndim != 1:
        raise op_error(ValueError, "bincount", f"object too deep for desired array: x has "
                       f"shape {data.shape}", "pass a 1-d array", user_site())
    if data.size and data.min() < 0:
        raise op_error(ValueError, "bincount", "'list' argument must have no negative "
                       "elements", "shift the values to start at 0", user_site())
    if minlength is None or int(minlength) < 0:
        raise op_error(ValueError, "bincount", f"minlength must be non-negative, got "
                       f"{minlength!r}", "pass minlength >= 0", user_site())
    length = max(int(data.max()) + 1 if data.size else 0, int(minlength))
    if weights is None:
        return _indices(np.bincount(data, minlength=length))
    w = operand(weights, "bincount")
    if tuple(w.shape) != data.shape:
        raise op_error(ValueError, "bincount", f"the weights and list don't have the same "
                       f"length: {tuple(w.shape)} and {data.shape}",
                       "pass one weight per value", user_site())
    return unsorted_segment_sum(cast(w, dtypes.float64), Tensor(data.astype(np.int64)), length)

"""NumPy's set routines on 1-d data: intersect1d, union1d, setdiff1d and setxor1d. Their
result sizes depend on the data, so they run eagerly only (a traced argument raises with a
fix, as tnp.unique does). NumPy computes which values and indices they are; the values are
then gathered from the inputs (flattened, ar1's elements before ar2's), each from its first
occurrence, so their gradients reach the elements they were taken from."""

from __future__ import annotations

import numpy as np

from tapejit.numpy.arguments import operand, operands
from tapejit.numpy.indexing import take
from tapejit.numpy.joining import concatenate
from tapejit.numpy.logic import concrete_data
from tapejit.numpy.shaping import ravel
from tapejit.tensor import Tensor


def occurrences(flat: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Where each of `values` occurs in `flat`: the k-th repeat of a value in `values` at
    its k-th occurrence in `flat` (NaNs count as equal to each other here)."""
    order = np.argsort(flat, kind="stable")
    first = np.searchsorted(flat[order], values, "left")
    by_value = np.argsort(values, kind="stable")
    ranked = values[by_value]
    repeat = np.empty(values.shape, np.int64)
    repeat[by_value] = np.arange(values.size) - np.searchsorted(ranked, ranked, "left")
    return order[first + repeat].astype(np.int64)


def _gathered(x, data: np.ndarray, values: np.ndarray):
    """`values` (found in `data`, the data of x) as elements of x, so gradients flow."""
    return take(ravel(x), Tensor(occurrences(data.ravel(), values)))


def _indices(values) -> Tensor:
    return Tensor(np.asarray(values, np.int64))


def _joined(op: str, ar1, ar2):
    """ar1 and ar2 in their common dtype, flattened end to end, with the data of each."""
    a, b = operands(op, ar1, ar2)
    first, second = concrete_data(a, op), concrete_data(b, op)
    return concatenate([ravel(a), ravel(b)]), first, second


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    """The sorted values found in both arrays (np.intersect1d), taken from ar1; with
    return_indices, also where they first occur in each flattened array (int64). With
    assume_unique, inputs holding repeats give NumPy's (unspecified) answer. Eager only."""
    joined, first, second = _joined("intersect1d", ar1, ar2)
    found = np.intersect1d(first, second, assume_unique, return_indices)
    values = found[0] if return_indices else found
    gathered = _gathered(joined, np.concatenate([first.ravel(), second.ravel()]), values)
    if not return_indices:
        return gathered
    return gathered, _indices(found[1]), _indices(found[2])


def union1d(ar1, ar2):
    """The sorted values found in either array (np.union1d; NaNs as one). Eager only."""
    joined, first, second = _joined("union1d", ar1, ar2)
    data = np.concatenate([first.ravel(), second.ravel()])
    return _gathered(joined, data, np.union1d(first, second))


def setdiff1d(ar1, ar2, assume_unique=False):
    """The values of ar1 not in ar2 (np.setdiff1d), in ar1's dtype: sorted and distinct,
    or, with assume_unique, in ar1's order. Eager only."""
    a = operand(ar1, "setdiff1d")
    first = concrete_data(a, "setdiff1d")
    second = concrete_data(operand(ar2, "setdiff1d"), "setdiff1d")
    return _gathered(a, first, np.setdiff1d(first, second, assume_unique))


def setxor1d(ar1, ar2, assume_unique=False):
    """The sorted values found in exactly one of the arrays (np.setxor1d). Eager only."""
    joined, first, second = _joined("setxor1d", ar1, ar2)
    data = np.concatenate([first.ravel(), second.ravel()])
    return _gathered(joined, data, np.setxor1d(first, second, assume_unique))

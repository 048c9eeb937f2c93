"""Sorting: sort (differentiable in the values) and argsort (np.*); the order statistics
built on them are in order_statistics.py."""

from __future__ import annotations

from tapejit.errors import AxisError, op_error
from tapejit.numpy.arguments import one_axis, operand
from tapejit.ops.shape import reshape
from tapejit.primitives import sort as sort_prims
from tapejit.site import user_site

_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


def reject_order(order, op: str) -> None:
    if order is not None:
        raise op_error(ValueError, op, "order= applies to structured arrays, which tapejit "
                       "does not have", "omit order", user_site())


def _sort_args(name: str, a, axis, kind, order):
    if kind not in _KINDS:
        raise op_error(ValueError, name, f"sort kind must be one of {_KINDS[1:]}, got {kind!r}",
                       "omit kind: tapejit always sorts stably", user_site())
    reject_order(order, name)
    x = operand(a, name)
    if axis is None:
        return reshape(x, (-1,)), 0
    if x.ndim == 0:
        raise op_error(AxisError, name, f"axis {axis} is out of bounds for array of "
                       "dimension 0 (a 0-d array has no axis to sort along)",
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

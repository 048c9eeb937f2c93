"""Running sums and products, and differences: cumsum, cumprod, diff, ediff1d (np.*)."""

from __future__ import annotations

import numpy as np

from tapejit.errors import ShapeError, op_error
from tapejit.numpy.arguments import one_axis, operand, operands, reject_out
from tapejit.numpy.logic import not_equal
from tapejit.numpy.reductions import accumulator_dtype
from tapejit.numpy.ufuncs import subtract
from tapejit.ops.operands import cast
from tapejit.ops.shape import broadcast_to, concat, reshape
from tapejit.primitives import scan
from tapejit.primitives.slicing import slice_
from tapejit.site import user_site


def _scanned(name: str, prim_fn, a, axis, dtype, out):
    reject_out(out, name)
    x = operand(a, name)
    x = cast(x, accumulator_dtype(x.dtype) if dtype is None else dtype)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return prim_fn(x, one_axis(axis, x.ndim, name))


def cumsum(a, axis=None, dtype=None, out=None):
    """Running sums along `axis` (the flattened array by default), np.cumsum: bools and
    small integers add up in int64."""
    return _scanned("cumsum", scan.cumsum, a, axis, dtype, out)


def cumprod(a, axis=None, dtype=None, out=None):
    """Running products along `axis` (np.cumprod); the gradient is finite where factors
    are zero."""
    return _scanned("cumprod", scan.cumprod, a, axis, dtype, out)


def _piece(x, axis: int, start: int, stop: int):
    begin = [0] * x.ndim
    end = list(x.shape)
    begin[axis], end[axis] = start, stop
    return slice_(x, begin, end, (1,) * x.ndim)


def _neighbour_difference(x, axis: int):
    n = x.shape[axis]
    later, earlier = _piece(x, axis, min(1, n), n), _piece(x, axis, 0, max(n - 1, 0))
    return not_equal(later, earlier) if x.dtype.kind == "b" else subtract(later, earlier)


_NO_VALUE = object()


def diff(a, n=1, axis=-1, prepend=_NO_VALUE, append=_NO_VALUE):
    """The n-th differences along `axis` (np.diff); booleans give not_equal."""
    if n < 0:
        raise op_error(ValueError, "diff", f"order must be non-negative but got {n}",
                       "pass n >= 0", user_site())
    x = operand(a, "diff")
    if x.ndim == 0:
        raise op_error(ShapeError, "diff", "diff requires input that is at least one "
                       "dimensional", "reshape the scalar to (1,)", user_site())
    axis = one_axis(axis, x.ndim, "diff")
    if n == 0:
        return x
    parts = [_edge(prepend, x, axis), x, _edge(append, x, axis)]
    given = [p for p in parts if p is not None]
    joined = concat(operands("diff", *given), axis) if len(given) > 1 else x
    for _ in range(n):
        joined = _neighbour_difference(joined, axis)
    return joined


def _edge(value, x, axis: int):
    """prepend/append as a block along `axis` (a scalar fills one slice)."""
    if value is _NO_VALUE:
        return None
    v = operand(value, "diff")
    if v.ndim == 0:
        shape = tuple(1 if i == axis else s for i, s in enumerate(x.shape))
        return broadcast_to(v, shape)
    return v


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened array, with optional values before and after
    (np.ediff1d; the result has the input's dtype)."""
    x = reshape(operand(ary, "ediff1d"), (-1,))
    parts = [_flat(to_begin, x.dtype), _neighbour_difference(x, 0), _flat(to_end, x.dtype)]
    parts = [p for p in parts if p is not None]
    return concat(parts, 0) if len(parts) > 1 else parts[0]


def _flat(value, dtype: np.dtype):
    if value is None:
        return None
    return reshape(cast(operand(value, "ediff1d"), dtype), (-1,))

"""broadcast_in_dim and reduce_sum, each the other's transpose; sums back to a shape and
filled tensors, which the other families' rules build on."""

from __future__ import annotations

import numpy as np

from tapejit.errors import DTypeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import axis_batch, check_axes, linear, shifted
from tapejit.primitives.shape import reshape
from tapejit.trace import bind


def _broadcast_type(x: TensorType, *, shape, broadcast_dimensions) -> TensorType:
    bd = broadcast_dimensions
    ok = (all(s >= 0 for s in shape) and len(bd) == x.ndim
          and all(a < b for a, b in zip(bd, bd[1:]))
          and all(0 <= d < len(shape) and x.shape[i] in (1, shape[d]) for i, d in enumerate(bd)))
    if not ok:
        raise TypeRuleError(f"cannot broadcast {x} to shape {shape} along dims {bd}",
                            "each operand dim must be 1 or equal the target dim it maps to")
    return TensorType(x.dtype, tuple(shape))


def _broadcast_impl(x, *, shape, broadcast_dimensions):
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(np.reshape(x, expanded), shape)


def _broadcast_transpose(ct, x, *, shape, broadcast_dimensions):
    bd = broadcast_dimensions
    summed = tuple(d for d in range(len(shape)) if d not in bd)
    stretched = tuple(d for i, d in enumerate(bd) if x.shape[i] == 1 and shape[d] != 1)
    axes = tuple(sorted(summed + stretched))
    out = reduce_sum(ct, axes) if axes else ct
    return (out if tuple(out.shape) == tuple(x.shape) else reshape(out, x.shape),)


broadcast_in_dim_p = linear("broadcast_in_dim", _broadcast_type, _broadcast_impl,
                            _broadcast_transpose, kind="broadcast", size_params=("shape",),
                            batch=axis_batch(lambda n, *, shape, broadcast_dimensions: {
                                "shape": (n,) + tuple(shape),
                                "broadcast_dimensions": (0,) + shifted(broadcast_dimensions)}))


def reduced_type(x: TensorType, axes) -> TensorType:
    """x's type without `axes` (checked to be distinct axes of x)."""
    check_axes(x, axes)
    return TensorType(x.dtype, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def _sum_type(x: TensorType, *, axes) -> TensorType:
    if x.dtype.kind == "b":
        raise TypeRuleError(f"cannot sum booleans {x}", "cast to an integer or float first",
                            DTypeError)
    return reduced_type(x, axes)


def kept_dims(ndim: int, axes) -> tuple[int, ...]:
    return tuple(d for d in range(ndim) if d not in axes)


def _sum_transpose(ct, x, *, axes):
    return (broadcast_in_dim(ct, x.shape, kept_dims(len(x.shape), axes)),)


def summation_run(shape: tuple, axes) -> int | None:
    """The first axis of a sum's trailing run, or None when the run has no axis longer than 1.

    This is reduce_sum's order of addition, NumPy's: the run (the last axes, all summed;
    size-1 axes do not break it) is added pairwise as one sequence in C order, and the runs'
    totals are added in loop order across the remaining summed axes. Every backend keeps it,
    so a float sum is the same number in every tier.
    """
    start = len(shape)
    while start > 0 and (start - 1 in axes or shape[start - 1] == 1):
        start -= 1
    if all(shape[d] == 1 for d in range(start, len(shape))):
        return None
    return start


reduce_sum_p: Primitive = linear(
    "reduce_sum", _sum_type, lambda x, *, axes: np.sum(x, axis=axes, dtype=x.dtype),
    _sum_transpose, kind="reduce", batch=axis_batch(lambda n, *, axes: {"axes": shifted(axes)}))


def broadcast_in_dim(x, shape, broadcast_dimensions):
    return bind(broadcast_in_dim_p, x, shape=tuple(shape),
                broadcast_dimensions=tuple(broadcast_dimensions))


def reduce_sum(x, axes):
    return bind(reduce_sum_p, x, axes=tuple(axes))


def broadcast_to(x, shape):
    """x broadcast to `shape`, NumPy-style (trailing dims aligned)."""
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    lead = len(shape) - len(x.shape)
    return broadcast_in_dim(x, shape, range(lead, len(shape)))


def full(shape, value, dtype):
    """A tensor of `shape` filled with `value` (a broadcast literal, so traces stay small)."""
    return broadcast_in_dim(np.asarray(value, dtype)[()], shape, ())


def zeros_like_type(t):
    """Zeros of t's type (t: anything with .shape and .dtype)."""
    return full(t.shape, 0, t.dtype)


def sum_to_shape(x, shape):
    """Sum a broadcast result back to `shape` (the transpose of NumPy broadcasting)."""
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    lead = len(x.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    out = reduce_sum(x, axes) if axes else x
    return out if tuple(out.shape) == shape else reshape(out, shape)

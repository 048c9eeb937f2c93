"""Basic indexing (`x[1:, ::-2, None, ..., 3]`) lowered to rev, slice, squeeze, expand_dims."""

from __future__ import annotations

import numpy as np

from tapejit.errors import op_error
from tapejit.ops.operands import as_operand
from tapejit.primitives.shape import expand_dims_p, rev_p, squeeze_p
from tapejit.primitives.slicing import slice_p
from tapejit.site import user_site
from tapejit.trace import bind


class _Plan:
    """What one index expression does: per input axis a slice or an int, plus new axes."""
    def __init__(self, ndim: int) -> None:
        self.starts: list[int] = []
        self.limits: list[int] = []
        self.strides: list[int] = []
        self.reversed: list[int] = []
        self.dropped: list[int] = []
        self.new_axes: list[int] = []
        self.ndim = ndim


def _index_error(message: str, fix: str) -> Exception:
    return op_error(IndexError, "getitem", message, fix, user_site())


def _expand_ellipsis(index: tuple, ndim: int) -> tuple:
    real = sum(1 for i in index if i is not None and i is not Ellipsis)
    if sum(1 for i in index if i is Ellipsis) > 1:
        raise _index_error("more than one Ellipsis", "use at most one `...`")
    if real > ndim:
        raise _index_error(f"{real} indices for a {ndim}-d tensor", "index at most ndim axes")
    fill = (slice(None),) * (ndim - real)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        return index[:at] + fill + index[at + 1:]
    return index + fill


def _as_int(i):
    if isinstance(i, (bool, np.bool_)):
        return None
    if isinstance(i, (int, np.integer)):
        return int(i)
    if hasattr(i, "__index__") and getattr(i, "shape", None) == ():
        return int(i.__index__())
    return None


def _add_int(plan: _Plan, axis: int, size: int, i: int) -> None:
    if not -size <= i < size:
        raise _index_error(f"index {i} is out of bounds for axis {axis} with size {size}",
                           f"use an index in [{-size}, {size})")
    i %= size
    plan.starts.append(i)
    plan.limits.append(i + 1)
    plan.strides.append(1)
    plan.dropped.append(axis)


def _add_slice(plan: _Plan, axis: int, size: int, s: slice) -> None:
    start, stop, step = s.indices(size)
    length = len(range(start, stop, step))
    if step < 0:
        plan.reversed.append(axis)
        start, step = size - 1 - start, -step
    plan.starts.append(start)
    plan.limits.append(start + (length - 1) * step + 1 if length else start)
    plan.strides.append(step)


def _plan(shape: tuple[int, ...], index) -> _Plan:
    index = index if isinstance(index, tuple) else (index,)
    index = _expand_ellipsis(index, len(shape))
    plan, axis, out_axis = _Plan(len(shape)), 0, 0
    for item in index:
        if item is None:
            plan.new_axes.append(out_axis)
            out_axis += 1
            continue
        i = _as_int(item)
        if i is not None:
            _add_int(plan, axis, shape[axis], i)
        elif isinstance(item, slice):
            _add_slice(plan, axis, shape[axis], item)
            out_axis += 1
        else:
            raise _index_error(
                f"index of type {type(item).__name__} is not supported (only ints, slices, "
                f"None and ...)", "advanced (array or boolean) indexing is not available yet; "
                "use tj.where for masks")
        axis += 1
    return plan


def getitem(x, index):
    """x[index] for basic indexing: ints, slices (any step), None and Ellipsis."""
    x = as_operand(x, "getitem")
    plan = _plan(tuple(x.shape), index)
    if plan.reversed:
        x = bind(rev_p, x, dimensions=tuple(plan.reversed))
    whole = zip(plan.starts, plan.limits, plan.strides, x.shape)
    if not all(s == 0 and lim == n and k == 1 for s, lim, k, n in whole):
        x = bind(slice_p, x, start_indices=tuple(plan.starts), limit_indices=tuple(plan.limits),
                 strides=tuple(plan.strides))
    if plan.dropped:
        x = bind(squeeze_p, x, dimensions=tuple(plan.dropped))
    if plan.new_axes:
        x = bind(expand_dims_p, x, dimensions=tuple(plan.new_axes))
    return x

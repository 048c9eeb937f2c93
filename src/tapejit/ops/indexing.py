"""`x[index]` with NumPy's rules. Basic indexing (ints, slices with any step, None, ...)
lowers to rev, slice, squeeze and expand_dims; integer arrays and boolean masks (known ones;
a mask's shape depends on its data) add one gather over the indexed axes, laid out as NumPy
lays out advanced indexing (see ops/index_plan.py).

Out-of-range indices raise NumPy's IndexError whenever their values are known (eagerly, and
for constants under jit); a traced index out of range is clamped into range, as JAX does.
"""

from __future__ import annotations

from tapejit.ops.index_plan import Item, is_basic, make_plan, parse_index
from tapejit.ops.index_values import check_mode, stack_columns
from tapejit.ops.operands import as_operand
from tapejit.primitives.indexing import gather_p
from tapejit.primitives.shape import expand_dims_p, rev_p, squeeze_p
from tapejit.primitives.slicing import slice_p
from tapejit.trace import bind


class _Basic:
    """What basic indexing does: per input axis a slice or an int, plus new axes."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.limits: list[int] = []
        self.strides: list[int] = []
        self.reversed: list[int] = []
        self.dropped: list[int] = []
        self.new_axes: list[int] = []

    def add_int(self, axis: int, i: int) -> None:
        self.starts.append(i)
        self.limits.append(i + 1)
        self.strides.append(1)
        self.dropped.append(axis)

    def add_slice(self, axis: int, size: int, s: slice) -> None:
        start, stop, step = s.indices(size)
        length = len(range(start, stop, step))
        if step < 0:
            self.reversed.append(axis)
            start, step = size - 1 - start, -step
        self.starts.append(start)
        self.limits.append(start + (length - 1) * step + 1 if length else start)
        self.strides.append(step)


def _basic(x, items: list[Item]):
    """x indexed by slices, ints (in range) and new axes: views, no gather."""
    plan, out_axis = _Basic(), 0
    for item in items:
        if item.kind == "new":
            plan.new_axes.append(out_axis)
            out_axis += 1
        elif item.kind == "int":
            plan.add_int(item.axis, item.value)
        else:
            plan.add_slice(item.axis, x.shape[item.axis], item.value)
            out_axis += 1
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


def _advanced(x, items: list[Item], mode: str, checked: bool):
    """Slices first (as views), then one gather over the integer-indexed axes."""
    sliced = [item if item.kind == "slice" else Item("slice", item.axis, slice(None))
              for item in items if item.kind != "new"]
    x = _basic(x, sliced)
    whole = [Item("slice", item.axis, slice(None)) if item.kind == "slice" else item
             for item in items]
    plan = make_plan(tuple(x.shape), whole, "getitem", checked)
    index = stack_columns(plan.columns, plan.sizes, plan.batch)
    return plan.finish(bind(gather_p, x, index, axes=plan.axes, mode=mode))


def getitem(x, index, mode=None):
    """x[index] under NumPy's rules (basic and advanced indexing, boolean masks eagerly).

    mode None: known out-of-range indices raise, traced ones are clamped; "clip": every
    index is clamped; "drop": out-of-range indices read zeros (x.at[index].get(mode=...)).
    """
    check_mode(mode, "getitem")
    x = as_operand(x, "getitem")
    items = parse_index(tuple(x.shape), index, "getitem", checked=mode is None)
    if mode is None and is_basic(items):
        return _basic(x, items)
    return _advanced(x, items, mode or "clip", checked=mode is None)

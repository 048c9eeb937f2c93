"""JAX's functional updates: `x.at[index].set(v)` (and add, subtract, multiply/mul, min, max,
get) return a new tensor; x is unchanged. `index` is any NumPy index (see ops/indexing.py).

Values are cast to x's dtype and broadcast to the shape of x[index]. An element hit by
several indices gets every update: add sums them, multiply multiplies, min/max keep the
extreme, and set keeps the last one in row-major order of the index (the same eagerly and
compiled; NumPy leaves this order unspecified, JAX calls it implementation-defined).
Gradients flow to x and to the values; set's gradient reaches only the update that won.

mode None: known out-of-range indices raise NumPy's IndexError; traced ones are dropped under
jit (JAX's rule for updates). "drop" and "clip" apply to known indices too.
"""

from __future__ import annotations

import numpy as np

from tapejit.ops import arithmetic
from tapejit.ops.index_plan import make_plan, parse_index
from tapejit.ops.index_values import check_mode, into_trace, stack_columns, values_as
from tapejit.ops.indexing import getitem
from tapejit.ops.operands import as_operand
from tapejit.primitives import indexing as prims
from tapejit.tensor import Tensor
from tapejit.trace import bind, top_trace

_SCATTERS = {"set": prims.scatter_p, "add": prims.scatter_add_p, "mul": prims.scatter_mul_p,
             "min": prims.scatter_min_p, "max": prims.scatter_max_p}
_WHOLE = {"set": lambda x, v: v if isinstance(v, Tensor) else Tensor(np.array(v)),
          "add": arithmetic.add, "mul": arithmetic.multiply, "min": arithmetic.minimum,
          "max": arithmetic.maximum}


def update(x, index, values, how: str, mode=None):
    """x with x[index] combined with `values` by `how` (set, add, mul, min, max)."""
    op = f"at[].{how}"
    check_mode(mode, op)
    x = as_operand(x, op)
    values = values_as(values, x.dtype, op)
    items = parse_index(tuple(x.shape), index, op, checked=mode is None)
    plan = make_plan(tuple(x.shape), items, op, checked=mode is None)
    updates = plan.updates(into_trace(values, top_trace([x, values, *plan.columns])), op)
    if not plan.axes:  # whole axes and new axes only: every element is updated once
        return _WHOLE[how](x, updates)
    index = stack_columns(plan.columns, plan.sizes, plan.batch)
    return bind(_SCATTERS[how], x, index, updates, axes=plan.axes, mode=mode or "drop")


class IndexUpdateRef:
    """`x.at[index]`: the updates of x at index, each returning a new tensor."""

    __slots__ = ("_x", "_index")

    def __init__(self, x, index) -> None:
        self._x, self._index = x, index

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x[index]; mode "clip" clamps every index, "drop" reads zeros out of range."""
        del indices_are_sorted, unique_indices
        return getitem(self._x, self._index, mode)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        del indices_are_sorted, unique_indices
        return update(self._x, self._index, values, "set", mode)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        del indices_are_sorted, unique_indices
        return update(self._x, self._index, values, "add", mode)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        del indices_are_sorted, unique_indices
        x = as_operand(self._x, "at[].subtract")
        negated = arithmetic.negative(values_as(values, x.dtype, "at[].subtract"))
        return update(x, self._index, negated, "add", mode)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        del indices_are_sorted, unique_indices
        return update(self._x, self._index, values, "mul", mode)

    mul = multiply

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        del indices_are_sorted, unique_indices
        return update(self._x, self._index, values, "min", mode)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        del indices_are_sorted, unique_indices
        return update(self._x, self._index, values, "max", mode)

    def __repr__(self) -> str:
        return f"_IndexUpdateRef({self._x!r}, {self._index!r})"


class IndexUpdateHelper:
    """`x.at`: index it (`x.at[index]`) to update x functionally."""

    __slots__ = ("_x",)

    def __init__(self, x) -> None:
        self._x = x

    def __getitem__(self, index) -> IndexUpdateRef:
        return IndexUpdateRef(self._x, index)

    def __repr__(self) -> str:
        return f"_IndexUpdateHelper({self._x!r})"

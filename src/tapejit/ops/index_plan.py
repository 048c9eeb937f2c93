"""NumPy's index expressions, read: `parse_index` turns `x[...]`'s index into one item per
indexed axis (slices, integers, integer arrays; boolean masks become their `nonzero()`
arrays) plus the new axes; `make_plan` turns items into one gather or scatter over the
indexed axes and the transpose that puts the result's axes where NumPy puts them.

NumPy's layout: integer arrays (and integers, when arrays are present) broadcast together to
a batch shape B; B's axes replace the indexed axes where the first of them was if they are
adjacent in the index, else they come first; slices keep their axes and None adds one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tapejit.errors import TracerArrayError, op_error
from tapejit.ops.index_values import (
    check_bounds,
    index_error,
    index_value,
    is_traced,
    out_of_range_fix,
    require_integer,
    wrap_negative,
)
from tapejit.ops.shape import broadcast_to
from tapejit.primitives.shape import expand_dims_p, squeeze_p, transpose_p
from tapejit.site import user_site
from tapejit.tensor import Tensor, Variable
from tapejit.trace import bind

_VALID = ("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer "
          "or boolean arrays are valid indices")


@dataclass(frozen=True)
class Item:
    """One entry of an index: kind "slice", "int", "array" (integers) or "new" (None)."""

    kind: str
    axis: int = -1
    value: object = None


def _mask_under_jit(op: str) -> Exception:
    return op_error(TracerArrayError, op,
                    "boolean mask indexing x[mask] has a data-dependent shape (the number of "
                    "True values), which a compiled function cannot have",
                    "keep the shape with tj.where(mask, x, 0) (or x.at[...] updates with "
                    "integer indices), or index eagerly outside tj.jit", user_site())


def _classify(entry, op: str) -> tuple[str, object]:
    if entry is None or entry is Ellipsis:
        return ("new" if entry is None else "ellipsis"), None
    if isinstance(entry, slice):
        return "slice", entry
    if isinstance(entry, (bool, np.bool_)):
        raise index_error(op, "a scalar boolean index (x[True]) is not supported",
                          "use x[None] for a new axis, or a boolean array mask")
    if isinstance(entry, (int, np.integer)):
        return "int", int(entry)
    if not isinstance(entry, (Tensor, Variable, np.ndarray, np.generic, list, tuple)):
        raise index_error(op, f"{_VALID}, got {type(entry).__name__}", "index with those")
    value = index_value(entry, op)
    if value.dtype.kind == "b":
        if is_traced(value):
            raise _mask_under_jit(op)
        if value.ndim == 0:
            return _classify(bool(value), op)
        return "mask", value
    if value.ndim == 0 and value.dtype.kind not in "iu":
        raise index_error(op, f"{_VALID}, got a {np.dtype(value.dtype).name} scalar",
                          "index with integers")
    require_integer(value, op)
    if value.ndim == 0 and not is_traced(value):
        return "int", int(value)
    return "array", value


def _expand_ellipsis(entries: list, ndim: int, op: str) -> list:
    used = sum(v.ndim if k == "mask" else 1 for k, v in entries if k not in ("new", "ellipsis"))
    if sum(k == "ellipsis" for k, _ in entries) > 1:
        raise index_error(op, "an index can only have a single ellipsis ('...')",
                          "use at most one `...`")
    if used > ndim:
        raise index_error(op, f"too many indices for array: array is {ndim}-dimensional, but "
                          f"{used} were indexed", "index at most ndim axes")
    fill = [("slice", slice(None))] * (ndim - used)
    for at, (kind, _) in enumerate(entries):
        if kind == "ellipsis":
            return entries[:at] + fill + entries[at + 1:]
    return entries + fill


def _mask_items(mask: np.ndarray, shape, axis: int, op: str) -> list[Item]:
    for d, (n, m) in enumerate(zip(shape[axis:], mask.shape)):
        if n != m:
            raise index_error(op, f"boolean index did not match indexed array along axis "
                              f"{axis + d}; size of axis is {n} but size of corresponding "
                              f"boolean axis is {m}", "give the mask the shape of the axes "
                              "it indexes")
    return [Item("array", axis + d, rows) for d, rows in enumerate(np.nonzero(mask))]


def parse_index(shape: tuple, index, op: str = "getitem", checked: bool = True) -> list[Item]:
    """The items of `index` for an array of `shape`; known integers are checked (NumPy's
    IndexError) and wrapped unless `checked` is False (then only wrapped)."""
    entries = [_classify(e, op) for e in (index if isinstance(index, tuple) else (index,))]
    items, axis = [], 0
    for kind, value in _expand_ellipsis(entries, len(shape), op):
        if kind == "new":
            items.append(Item("new"))
            continue
        if kind == "mask":
            items += _mask_items(value, shape, axis, op)
            axis += value.ndim
            continue
        if kind == "int":
            size = shape[axis]
            if checked and not -size <= value < size:
                raise index_error(op, f"index {value} is out of bounds for axis {axis} with "
                                  f"size {size}", out_of_range_fix(size))
            value = value + size if -size <= value < 0 else value
        items.append(Item(kind, axis, value))
        axis += 1
    return items


def is_basic(items: list[Item]) -> bool:
    return not any(item.kind == "array" for item in items)


@dataclass
class Plan:
    """A gather/scatter over `axes` with index `columns` broadcast to `batch`, whose result
    (batch, then the whole axes) becomes NumPy's by `order` (a transpose) and `new_axes`."""

    axes: tuple
    columns: list
    sizes: list
    batch: tuple
    order: tuple
    new_axes: tuple
    shape: tuple

    def finish(self, gathered):
        """The gathered slices in NumPy's layout."""
        if self.order != tuple(range(len(self.order))):
            gathered = bind(transpose_p, gathered, permutation=self.order)
        if self.new_axes:
            gathered = bind(expand_dims_p, gathered, dimensions=self.new_axes)
        return gathered

    def updates(self, values, op: str):
        """`values` broadcast to NumPy's result shape, in the scatter's layout."""
        values = _leading_ones_dropped(values, len(self.shape))
        try:
            values = broadcast_to(values, self.shape)
        except ValueError:
            raise op_error(ValueError, op, f"shape mismatch: value array of shape "
                           f"{tuple(values.shape)} could not be broadcast to indexing result "
                           f"of shape {self.shape}", "give values that broadcast to that shape",
                           user_site()) from None
        if self.new_axes:
            values = bind(squeeze_p, values, dimensions=self.new_axes)
        if self.order != tuple(range(len(self.order))):
            values = bind(transpose_p, values, permutation=tuple(np.argsort(self.order)))
        return values


def _leading_ones_dropped(values, ndim: int):
    extra = len(values.shape) - ndim
    if extra > 0 and all(n == 1 for n in values.shape[:extra]):
        return bind(squeeze_p, values, dimensions=tuple(range(extra)))
    return values


def _broadcast_batch(values: list, op: str) -> tuple:
    try:
        return tuple(np.broadcast_shapes(*[tuple(v.shape) for v in values]))
    except ValueError:
        shown = " ".join(str(tuple(v.shape)) for v in values)
        raise index_error(op, f"shape mismatch: indexing arrays could not be broadcast "
                          f"together with shapes {shown}", "give index arrays shapes that "
                          "broadcast") from None


def make_plan(shape: tuple, items: list[Item], op: str, checked: bool = True) -> Plan:
    """The gather/scatter for `items` on an array of `shape` (see the module docstring):
    integer items broadcast to a batch shape, slices that do not take a whole axis become
    integer ranges with an axis of their own (ahead of that batch), whole axes are kept."""
    advanced = [i for i in items if i.kind in ("int", "array")]
    values = []
    for item in advanced:
        value = np.asarray(item.value) if item.kind == "int" else item.value
        if checked:
            check_bounds(value, shape[item.axis], item.axis, op)
        values.append(wrap_negative(value, shape[item.axis]))
    ranged = [i for i in items if i.kind == "slice" and i.value.indices(shape[i.axis])
              != (0, shape[i.axis], 1)]
    whole = [i for i in items if i.kind == "slice" and i not in ranged]
    batch = _broadcast_batch(values, op) if values else ()
    n_ranged = len(ranged)
    positions = {}
    for j, item in enumerate(ranged):
        steps = np.arange(shape[item.axis])[item.value]
        positions[item.axis] = steps.reshape((-1,) + (1,) * (n_ranged - 1 - j + len(batch)))
    positions.update({item.axis: v for item, v in zip(advanced, values)})
    axes = tuple(sorted(positions))
    batch_all = tuple(np.arange(shape[i.axis])[i.value].size for i in ranged) + batch
    where = {i.axis: j for j, i in enumerate(ranged)}
    where.update({i.axis: len(batch_all) + j for j, i in enumerate(whole)})
    order, new_axes = _layout(items, where, range(n_ranged, len(batch_all)))
    kept = [shape[i.axis] for i in whole]
    sizes_g = list(batch_all) + kept
    core = [sizes_g[d] for d in order]
    for at in new_axes:
        core.insert(at, 1)
    return Plan(axes, [positions[a] for a in axes], [shape[a] for a in axes], batch_all,
                tuple(order), tuple(new_axes), tuple(core))


def _layout(items: list[Item], where: dict, batch_dims) -> tuple[list, list]:
    """NumPy's order of the result's axes (as gathered dims) and where None adds axes."""
    adv = [k for k, i in enumerate(items) if i.kind in ("int", "array")]
    adjacent = bool(adv) and adv[-1] - adv[0] + 1 == len(adv)
    order = [] if adjacent else list(batch_dims)
    new_axes = []
    for k, item in enumerate(items):
        if item.kind == "new":
            new_axes.append(len(order) + len(new_axes))
        elif item.kind == "slice":
            order.append(where[item.axis])
        elif adjacent and k == adv[0]:
            order += list(batch_dims)
    return order, new_axes

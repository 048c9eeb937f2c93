"""Joining, splitting and repeating arrays with NumPy's signatures: concatenate, stack,
hstack, vstack, dstack, column_stack, append, split, array_split, hsplit, vsplit, dsplit,
tile, repeat."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import ShapeError, op_error
from tapejit.numpy.arguments import one_axis, operand, reject_out
from tapejit.numpy.shaping import atleast_1d, atleast_2d, atleast_3d, ravel
from tapejit.ops import shape as tf_shape
from tapejit.ops import tiling
from tapejit.ops.numpy_policy import result_dtype
from tapejit.ops.operands import cast
from tapejit.primitives.slicing import slice_
from tapejit.site import user_site


def _common(arrays, op: str, dtype) -> list:
    arrays = list(arrays)
    if not arrays:
        raise op_error(ValueError, op, "need at least one array to join",
                       "pass a non-empty sequence of arrays", user_site())
    target = dtypes.canonical(dtype, op) if dtype is not None else result_dtype(*arrays, op=op)
    return [cast(operand(x, op), target) for x in arrays]


def concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join along an existing axis (np.concatenate); axis=None joins the flattened arrays."""
    reject_out(out, "concatenate")
    parts = _common(arrays, "concatenate", dtype)
    if axis is None:
        parts, axis = [tf_shape.reshape(p, (-1,)) for p in parts], 0
    if any(p.ndim == 0 for p in parts):
        raise op_error(ValueError, "concatenate", "zero-dimensional arrays cannot be "
                       "concatenated", "stack them, or reshape each to (1,)", user_site())
    return tf_shape.concat(parts, one_axis(axis, parts[0].ndim, "concatenate"))


concat = concatenate


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join equally shaped arrays along a new axis (np.stack)."""
    reject_out(out, "stack")
    parts = _common(arrays, "stack", dtype)
    if len({tuple(p.shape) for p in parts}) > 1:
        raise op_error(ShapeError, "stack", "all input arrays must have the same shape, got "
                       f"{[tuple(p.shape) for p in parts]}", "reshape or pad them first",
                       user_site())
    axis = one_axis(axis, parts[0].ndim + 1, "stack")
    return tf_shape.concat([tf_shape.expand_dims(p, axis) for p in parts], axis)


def _listed(fn, arrays):
    shaped = fn(*arrays)
    return list(shaped) if isinstance(shaped, tuple) else [shaped]


def hstack(tup, *, dtype=None, casting="same_kind"):
    """Join along the second axis (the first for 1-d arrays), np.hstack."""
    parts = _listed(atleast_1d, tup)
    return concatenate(parts, 0 if parts and parts[0].ndim == 1 else 1, dtype=dtype)


def vstack(tup, *, dtype=None, casting="same_kind"):
    """Join along the first axis, 1-d arrays as rows (np.vstack)."""
    return concatenate(_listed(atleast_2d, tup), 0, dtype=dtype)


def dstack(tup):
    """Join along the third axis (np.dstack)."""
    return concatenate(_listed(atleast_3d, tup), 2)


def column_stack(tup):
    """1-d arrays as columns, 2-d arrays as they are, joined along the second axis."""
    columns = []
    for a in tup:
        x = operand(a, "column_stack")
        columns.append(tf_shape.reshape(x, (-1, 1)) if x.ndim < 2 else x)
    return concatenate(columns, 1)


def append(arr, values, axis=None):
    """`values` after `arr` (np.append): flattened when axis is None."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis)


def _piece(x, axis: int, start: int, stop: int):
    begin, end = [0] * x.ndim, list(x.shape)
    begin[axis], end[axis] = start, max(start, stop)
    return slice_(x, begin, end, (1,) * x.ndim)


def _split_points(n: int, indices_or_sections, op: str, equal: bool) -> list[int]:
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise op_error(ValueError, op, "number sections must be larger than 0",
                           "pass a positive number of sections", user_site())
        if equal and n % sections:
            raise op_error(ValueError, op, f"array split does not result in an equal "
                           f"division ({n} into {sections})",
                           "use array_split for unequal parts", user_site())
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        return list(np.cumsum([0] + sizes))
    points = [int(i) for i in indices_or_sections]
    return [0] + [min(max(p + n if p < 0 else p, 0), n) for p in points] + [n]


def array_split(ary, indices_or_sections, axis=0):
    """Split into parts along `axis` (np.array_split): N sections (the first ones one
    longer when N does not divide the length), or at the given indices."""
    return _split(ary, indices_or_sections, axis, "array_split", equal=False)


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections, or at the given indices (np.split)."""
    return _split(ary, indices_or_sections, axis, "split", equal=True)


def _split(ary, indices_or_sections, axis, op: str, equal: bool):
    x = operand(ary, op)
    axis = one_axis(axis, x.ndim, op)
    points = _split_points(x.shape[axis], indices_or_sections, op, equal)
    return [_piece(x, axis, a, b) for a, b in zip(points, points[1:])]


def _split_along(op: str, min_ndim: int, axis_of):
    def fn(ary, indices_or_sections):
        x = operand(ary, op)
        if x.ndim < min_ndim:
            raise op_error(ValueError, op, f"{op} only works on arrays of {min_ndim} or more "
                           f"dimensions, got {x.ndim}", "reshape the array first", user_site())
        return split(x, indices_or_sections, axis_of(x.ndim))
    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"np.{op}: split along axis {axis_of(3)} (see split)."
    return fn


hsplit = _split_along("hsplit", 1, lambda ndim: 1 if ndim > 1 else 0)
vsplit = _split_along("vsplit", 2, lambda ndim: 0)
dsplit = _split_along("dsplit", 3, lambda ndim: 2)


def tile(A, reps):  # noqa: N803 (NumPy's name)
    """`A` repeated `reps` times along each axis (np.tile)."""
    x = operand(A, "tile")
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    ndim = max(x.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.ndim) + tuple(x.shape)
    return tiling.tile(tf_shape.reshape(x, shape), reps)


def repeat(a, repeats, axis=None):
    """Each element repeated (np.repeat): `repeats` a number, or one number per element
    along `axis` (known when tracing); axis=None repeats the flattened array."""
    x = operand(a, "repeat")
    if axis is None:
        x, axis = tf_shape.reshape(x, (-1,)), 0
    axis = one_axis(axis, x.ndim, "repeat")
    counts = np.asarray(repeats)
    if counts.ndim == 0 or counts.size == 1:
        count = int(counts.reshape(()))
        if count < 0:
            raise op_error(ValueError, "repeat", f"negative repeat count {count}",
                           "repeat a non-negative number of times", user_site())
        return tiling.repeat_each(x, axis, count)
    if counts.shape != (x.shape[axis],) or np.any(counts < 0):
        raise op_error(ValueError, "repeat", f"{counts.size} repeat counts for an axis of "
                       f"length {x.shape[axis]}", "give one non-negative count per element",
                       user_site())
    return tiling.repeat(x, counts, axis)

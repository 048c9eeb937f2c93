"""Reversing, rolling and rotating with NumPy's signatures: flip, fliplr, flipud, roll,
rot90."""

from __future__ import annotations

import numpy as np

from tapejit.errors import ShapeError, op_error
from tapejit.numpy.arguments import axes, one_axis, operand
from tapejit.ops import shape as tf_shape
from tapejit.primitives.slicing import slice_
from tapejit.site import user_site


def flip(m, axis=None):
    """`m` reversed along `axis` (all axes by default), np.flip."""
    x = operand(m, "flip")
    reversed_axes = axes(axis, x.ndim, "flip")
    return tf_shape.reverse(x, reversed_axes) if reversed_axes else x


def _flip_axis(op: str, axis: int, min_ndim: int):
    def fn(m):
        x = operand(m, op)
        if x.ndim < min_ndim:
            raise op_error(ValueError, op, f"input must be >= {min_ndim}-d, got {x.ndim}-d",
                           "reshape it first", user_site())
        return tf_shape.reverse(x, axis)
    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"`m` reversed along axis {axis} (np.{op})."
    return fn


fliplr = _flip_axis("fliplr", 1, 2)
flipud = _flip_axis("flipud", 0, 1)


def _rolled(x, axis: int, shift: int):
    n = x.shape[axis]
    shift = shift % n if n else 0
    if not shift:
        return x

    def piece(start, stop):
        begin, end = [0] * x.ndim, list(x.shape)
        begin[axis], end[axis] = start, stop
        return slice_(x, begin, end, (1,) * x.ndim)

    return tf_shape.concat([piece(n - shift, n), piece(0, n - shift)], axis)


def roll(a, shift, axis=None):
    """Elements shifted along `axis`, those leaving one end entering at the other
    (np.roll); axis=None rolls the flattened array. Shifts for the same axis add up."""
    x = operand(a, "roll")
    if axis is None:
        return tf_shape.reshape(_rolled(tf_shape.reshape(x, (-1,)), 0, int(shift)), x.shape)
    shifts, rolled_axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    total = {}
    for s, ax in zip(shifts.ravel(), rolled_axes.ravel()):
        ax = one_axis(int(ax), x.ndim, "roll")
        total[ax] = total.get(ax, 0) + int(s)
    for ax, s in total.items():
        x = _rolled(x, ax, s)
    return x


def rot90(m, k=1, axes=(0, 1)):  # noqa: A002 (NumPy's name)
    """`m` rotated by 90 degrees k times in the plane of `axes`, from the first axis
    toward the second (np.rot90)."""
    x = operand(m, "rot90")
    axes = tuple(axes)
    if len(axes) != 2:
        raise op_error(ValueError, "rot90", "len(axes) must be 2", "pass two axes",
                       user_site())
    if x.ndim < 2:
        raise op_error(ShapeError, "rot90", f"needs at least 2 dimensions, got {x.ndim}",
                       "reshape the array first", user_site())
    first, second = (one_axis(a, x.ndim, "rot90") for a in axes)
    if first == second:
        raise op_error(ValueError, "rot90", "axes must be different", "pass two distinct axes",
                       user_site())
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return tf_shape.reverse(x, (first, second))
    order = list(range(x.ndim))
    order[first], order[second] = order[second], order[first]
    if k == 1:
        return tf_shape.transpose(tf_shape.reverse(x, second), order)
    return tf_shape.reverse(tf_shape.transpose(x, order), second)

"""Shapes and axes with NumPy's signatures: reshape, ravel, transpose, moveaxis, swapaxes,
rollaxis, squeeze, expand_dims, atleast_1d/2d/3d, broadcast_to, broadcast_arrays,
shape/size/ndim, copy, astype."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import ShapeError, op_error
from tapejit.numpy.arguments import axes, one_axis, operand
from tapejit.numpy.creation import asarray
from tapejit.ops import shape as tf_shape
from tapejit.ops.operands import cast
from tapejit.site import user_site


def slice_along(x, axis: int, start, stop):
    """x[..., start:stop, ...] with the slice on `axis` (Python's slice rules: None and
    negative bounds)."""
    return x[(slice(None),) * axis + (slice(start, stop),)]


def reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    """`a` with a new shape of the same size (np.reshape); one entry may be -1. Only
    order='C'; `newshape` is NumPy's older name of `shape`."""
    if order != "C":
        raise op_error(NotImplementedError, "reshape", f"order={order!r} is not supported",
                       "use order='C' (transpose first for Fortran order)", user_site())
    if shape is None and newshape is None:
        raise op_error(TypeError, "reshape", "no shape given", "pass the new shape",
                       user_site())
    return tf_shape.reshape(operand(a, "reshape"), shape if shape is not None else newshape)


def ravel(a, order="C"):
    return reshape(a, (-1,), order)


def transpose(a, axes=None):  # noqa: A002 (NumPy's name)
    """`a` with its axes permuted (reversed by default), np.transpose."""
    x = operand(a, "transpose")
    if axes is None:
        return tf_shape.transpose(x)
    order = [one_axis(i, x.ndim, "transpose") for i in axes]
    if sorted(order) != list(range(x.ndim)):
        raise op_error(ValueError, "transpose", f"axes {tuple(axes)} are not a permutation of "
                       f"the {x.ndim} axes", "give each axis exactly once", user_site())
    return tf_shape.transpose(x, order)


permute_dims = transpose


def _axis_list(value, ndim: int, op: str) -> list[int]:
    values = [value] if isinstance(value, (int, np.integer)) else list(value)
    return [one_axis(v, ndim, op) for v in values]


def moveaxis(a, source, destination):
    """Axes moved to new positions, the others in their order (np.moveaxis)."""
    x = operand(a, "moveaxis")
    src = _axis_list(source, x.ndim, "moveaxis")
    dst = _axis_list(destination, x.ndim, "moveaxis")
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise op_error(ValueError, "moveaxis", "`source` and `destination` must be distinct "
                       "axes, as many of each", "give one destination per source axis",
                       user_site())
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return tf_shape.transpose(x, order)


def swapaxes(a, axis1, axis2):
    x = operand(a, "swapaxes")
    order = list(range(x.ndim))
    i, j = one_axis(axis1, x.ndim, "swapaxes"), one_axis(axis2, x.ndim, "swapaxes")
    order[i], order[j] = order[j], order[i]
    return tf_shape.transpose(x, order)


def rollaxis(a, axis, start=0):
    """np.rollaxis: `axis` moved to before position `start`."""
    x = operand(a, "rollaxis")
    axis = one_axis(axis, x.ndim, "rollaxis")
    if not -x.ndim <= start <= x.ndim:
        raise op_error(ShapeError, "rollaxis", f"start {start} is out of range for a "
                       f"{x.ndim}-d array", f"use start in [{-x.ndim}, {x.ndim}]", user_site())
    start = start + x.ndim if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return x
    order = [i for i in range(x.ndim) if i != axis]
    order.insert(start, axis)
    return tf_shape.transpose(x, order)


def expand_dims(a, axis):
    return tf_shape.expand_dims(operand(a, "expand_dims"), axis)


def squeeze(a, axis=None):
    """`a` without axes of size 1 (those given, or all), np.squeeze."""
    x = operand(a, "squeeze")
    if axis is not None:
        for i in axes(axis, x.ndim, "squeeze"):
            if x.shape[i] != 1:
                raise op_error(ValueError, "squeeze", f"cannot select an axis to squeeze out "
                               f"which has size not equal to one (axis {i} of {x.shape})",
                               "squeeze only axes of size 1", user_site())
    return tf_shape.squeeze(x, axis)


def _at_least(op: str, ndim: int, shaper):
    def fn(*arys):
        out = []
        for a in arys:
            x = operand(a, op)
            out.append(x if x.ndim >= ndim else tf_shape.reshape(x, shaper(tuple(x.shape))))
        return out[0] if len(out) == 1 else tuple(out)
    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = f"Each input with at least {ndim} dimensions (np.{op})."
    return fn


atleast_1d = _at_least("atleast_1d", 1, lambda s: s or (1,))
atleast_2d = _at_least("atleast_2d", 2, lambda s: ((1,) + s) if len(s) == 1 else (1, 1))
atleast_3d = _at_least("atleast_3d", 3, lambda s: (
    (1, 1, 1) if not s else (1,) + s + (1,) if len(s) == 1 else s + (1,)))


def broadcast_to(array, shape):
    return tf_shape.broadcast_to(operand(array, "broadcast_to"), shape)


def broadcast_shapes(*args):
    return np.broadcast_shapes(*args)


def broadcast_arrays(*args):
    """The inputs broadcast to their common shape, each in its own dtype (a tuple)."""
    values = [operand(a, "broadcast_arrays") for a in args]
    try:
        target = np.broadcast_shapes(*(tuple(v.shape) for v in values))
    except ValueError as e:
        raise op_error(ShapeError, "broadcast_arrays", str(e),
                       "make each trailing dimension equal or 1", user_site()) from None
    return tuple(tf_shape.broadcast_to(v, target) for v in values)


def shape(a):
    return tuple(operand(a, "shape").shape)


def ndim(a):
    return len(shape(a))


def size(a, axis=None):
    dims = shape(a)
    if axis is None:
        return int(np.prod(dims, dtype=np.int64))
    return dims[one_axis(axis, len(dims), "size")]


def copy(a, order="K", subok=False):
    """`a` as a tensor: tensors are immutable, so a copy is the value itself."""
    return asarray(a)


def astype(x, dtype, /, *, copy=True, device=None):
    """`x` converted to `dtype` (np.astype; a recorded op, differentiable float to float)."""
    return cast(operand(x, "astype"), dtypes.canonical(dtype, "astype"))

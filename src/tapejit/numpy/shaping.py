"""Shape functions with NumPy's signatures."""

from __future__ import annotations

from tapejit.ops import shape as tf_shape
from tapejit.ops.numpy_policy import operands, result_dtype
from tapejit.ops.operands import cast


def _one(a, op: str):
    return operands(op, a)[0]


def reshape(a, newshape=None, order="C", *, shape=None):
    if order != "C":
        raise NotImplementedError("tapejit.numpy.reshape supports order='C' only")
    return tf_shape.reshape(_one(a, "reshape"), shape if shape is not None else newshape)


def transpose(a, axes=None):
    return tf_shape.transpose(_one(a, "transpose"), axes)


def concatenate(arrays, axis=0, dtype=None):
    arrays = list(arrays)
    target = dtype if dtype is not None else result_dtype(*arrays, op="concatenate")
    parts = [cast(_one(x, "concatenate"), target) for x in arrays]
    if axis is None:
        parts = [ravel(p) for p in parts]
        axis = 0
    return tf_shape.concat(parts, axis)


def stack(arrays, axis=0, dtype=None):
    arrays = list(arrays)
    target = dtype if dtype is not None else result_dtype(*arrays, op="stack")
    return tf_shape.stack([cast(_one(x, "stack"), target) for x in arrays], axis)


def expand_dims(a, axis):
    return tf_shape.expand_dims(_one(a, "expand_dims"), axis)


def squeeze(a, axis=None):
    return tf_shape.squeeze(_one(a, "squeeze"), axis)


def flip(a, axis=None):
    a = _one(a, "flip")
    return tf_shape.reverse(a, tuple(range(a.ndim)) if axis is None else axis)


def ravel(a, order="C"):
    return reshape(a, (-1,), order)


def broadcast_to(array, shape):
    return tf_shape.broadcast_to(_one(array, "broadcast_to"), shape)

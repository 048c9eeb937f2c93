"""Shape functions under NumPy's conventions: negative axes, -1 in reshape, lists of
tensors of mixed dtypes."""

from __future__ import annotations

from math import prod

import numpy as np

from tapejit import dtypes
from tapejit.errors import AxisError, ShapeError, op_error
from tapejit.ops.operands import as_operand, cast
from tapejit.primitives.broadcast import broadcast_in_dim_p
from tapejit.primitives.shape import expand_dims_p, reshape_p, rev_p, squeeze_p, transpose_p
from tapejit.primitives.slicing import concatenate_p, pad_p
from tapejit.site import user_site
from tapejit.trace import Tracer, bind


def full(shape, value, dtype):
    """A tensor of `shape` filled with `value` (a broadcast literal)."""
    return bind(broadcast_in_dim_p, np.asarray(value, dtype)[()], shape=tuple(shape),
                broadcast_dimensions=())


def zeros_like_type(t):
    """Zeros of t's type (t: anything with .shape and .dtype), as an op result."""
    return full(t.shape, 0, t.dtype)


def full_like(x, value, dtype=None):
    """A tensor of x's shape filled with `value`; traced alongside x when x is traced, so
    compiled code sees a broadcast literal rather than a captured array."""
    scalar = np.asarray(value, x.dtype if dtype is None else dtype)[()]
    params = dict(shape=tuple(x.shape), broadcast_dimensions=())
    if isinstance(x, Tracer):
        return x._trace.emit(broadcast_in_dim_p, (scalar,), params)
    return bind(broadcast_in_dim_p, scalar, **params)


def broadcast_to(x, shape):
    """x broadcast to `shape` under NumPy's rules."""
    x = as_operand(x, "broadcast_to")
    shape = tuple(int(s) for s in shape)
    if tuple(x.shape) == shape:
        return x
    lead = len(shape) - len(x.shape)
    if lead < 0:
        raise op_error(ShapeError, "broadcast_to", f"cannot broadcast {x.shape} to {shape}",
                       "the target needs at least as many dimensions", user_site())
    return bind(broadcast_in_dim_p, x, shape=shape,
                broadcast_dimensions=tuple(range(lead, len(shape))))


def normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    """`axis` (None, an int or a sequence; negative counts from the end) as sorted axes."""
    axes = tuple(range(ndim)) if axis is None else (
        (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise op_error(AxisError, op, f"axis {a} is out of range for a {ndim}-d tensor",
                           f"use an axis in [{-ndim}, {ndim})", user_site())
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise op_error(ShapeError, op, f"repeated axis in {axes}", "give each axis once",
                       user_site())
    return tuple(sorted(out))


def normalize_axis(axis, ndim: int, op: str) -> int:
    """One `axis` (an integer, negative counting from the end) in [0, ndim): a tuple or a
    float is a TypeError, not its first entry."""
    if tuple(getattr(axis, "shape", (1,))) == () and np.dtype(axis.dtype).kind in "iu":
        axis = int(axis)  # a 0-d integer array or tensor (a traced one cannot be an axis)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise op_error(TypeError, op, f"axis must be a single integer, got {axis!r}",
                       "pass one axis, e.g. axis=-1", user_site())
    return normalize_axes(axis, ndim, op)[0]


def reshape(x, shape):
    """x with a new shape of the same size; one entry may be -1."""
    x = as_operand(x, "reshape")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise op_error(ShapeError, "reshape", f"more than one -1 in {shape}",
                       "give at most one unknown dimension", user_site())
    if -1 in shape:
        known = prod(s for s in shape if s != -1)
        size = prod(x.shape)
        if known == 0 or size % known:
            raise op_error(ShapeError, "reshape",
                           f"cannot reshape {x.shape} ({size} elements) to {shape}",
                           "the known dimensions must divide the size", user_site())
        shape = tuple(size // known if s == -1 else s for s in shape)
    if shape == tuple(x.shape):
        return x
    return bind(reshape_p, x, new_sizes=shape)


def transpose(x, perm=None):
    """x with its axes permuted (reversed by default)."""
    x = as_operand(x, "transpose")
    perm = tuple(reversed(range(len(x.shape)))) if perm is None else tuple(
        int(p) % max(len(x.shape), 1) for p in perm)
    if perm == tuple(range(len(x.shape))):
        return x
    return bind(transpose_p, x, permutation=perm)


def squeeze(x, axis=None):
    x = as_operand(x, "squeeze")
    dims = tuple(i for i, s in enumerate(x.shape) if s == 1) if axis is None else \
        normalize_axes(axis, len(x.shape), "squeeze")
    return bind(squeeze_p, x, dimensions=tuple(sorted(dims))) if dims else x


def expand_dims(x, axis):
    x = as_operand(x, "expand_dims")
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    dims = normalize_axes(axes, len(x.shape) + len(axes), "expand_dims")
    return bind(expand_dims_p, x, dimensions=tuple(sorted(dims)))


def concat(values, axis=0):
    """Join tensors along an existing axis (tf.concat)."""
    parts = [as_operand(v, "concat") for v in values]
    if not parts:
        raise op_error(ValueError, "concat", "no tensors to join", "pass a non-empty list",
                       user_site())
    dtype = parts[0].dtype
    for p in parts[1:]:
        dtype = dtypes.promote(dtype, p.dtype)
    parts = [cast(p, dtype) for p in parts]
    dim = normalize_axis(axis, max(len(parts[0].shape), 1), "concat")
    return bind(concatenate_p, *parts, dimension=dim) if len(parts) > 1 else parts[0]


def stack(values, axis=0):
    """Join tensors along a new axis."""
    parts = [as_operand(v, "stack") for v in values]
    if parts:
        axis = normalize_axis(axis, len(parts[0].shape) + 1, "stack")
    return concat([expand_dims(p, axis) for p in parts], axis)


def reverse(x, axis):
    x = as_operand(x, "reverse")
    return bind(rev_p, x, dimensions=normalize_axes(axis, len(x.shape), "reverse"))


def pad(x, paddings):
    """Zero padding, paddings = [[before, after], ...] per axis (tf.pad, constant zero)."""
    x = as_operand(x, "pad")
    pads = [tuple(int(v) for v in p) for p in paddings]
    if len(pads) != len(x.shape):
        raise op_error(ShapeError, "pad", f"{len(pads)} paddings for a {len(x.shape)}-d tensor",
                       "give one [before, after] pair per axis", user_site())
    return bind(pad_p, x, low=tuple(p[0] for p in pads), high=tuple(p[1] for p in pads),
                interior=(0,) * len(pads))

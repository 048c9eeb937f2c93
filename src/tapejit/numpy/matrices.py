"""Diagonals, triangles and products of matrices with NumPy's signatures: diagonal, diag,
diagflat, trace, tril, triu, tri, kron, cross; and meshgrid."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import ShapeError, op_error
from tapejit.numpy.arguments import one_axis, operand, operands, reject_out
from tapejit.numpy.reductions import sum as _sum
from tapejit.numpy.shaping import moveaxis, ravel
from tapejit.ops import shape as tf_shape
from tapejit.ops.compare import where as _select
from tapejit.primitives.slicing import pad, slice_
from tapejit.site import user_site
from tapejit.tensor import Tensor


def _diagonal_length(n: int, m: int, offset: int) -> int:
    return max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal of the (axis1, axis2) planes, as a last axis (np.diagonal): the
    elements a[..., i, i + offset]."""
    x = operand(a, "diagonal")
    if x.ndim < 2:
        raise op_error(ValueError, "diagonal", "diag requires an array of at least two "
                       "dimensions", "pass a matrix (or a stack of them)", user_site())
    i, j = one_axis(axis1, x.ndim, "diagonal"), one_axis(axis2, x.ndim, "diagonal")
    if i == j:
        raise op_error(ValueError, "diagonal", "axis1 and axis2 cannot be the same",
                       "pass two distinct axes", user_site())
    planes = moveaxis(x, (i, j), (-2, -1))
    n, m = planes.shape[-2:]
    lead = tuple(planes.shape[:-2])
    flat = tf_shape.reshape(planes, lead + (n * m,))
    length = _diagonal_length(n, m, offset)
    start = offset if offset >= 0 else -offset * m
    begin, end = [0] * len(lead) + [start if length else 0], list(lead) + [0]
    end[-1] = start + (length - 1) * (m + 1) + 1 if length else 0
    return slice_(flat, begin, end, (1,) * len(lead) + (m + 1,))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """The sum of the diagonal (np.trace), with sum's dtype rules."""
    reject_out(out, "trace")
    return _sum(diagonal(a, offset, axis1, axis2), -1, dtype)


def diag(v, k=0):
    """The k-th diagonal of a 2-d array, or a square 2-d array with `v` on its k-th
    diagonal (np.diag)."""
    x = operand(v, "diag")
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise op_error(ValueError, "diag", f"input must be 1- or 2-d, got {x.ndim}-d",
                       "pass a vector or a matrix", user_site())
    n = x.shape[0]
    size = n + abs(k)
    if n == 0:
        return tf_shape.full((size, size), 0, x.dtype)
    first = k if k >= 0 else -k * size
    last = first + (n - 1) * (size + 1) + 1
    return tf_shape.reshape(pad(x, (first,), (size * size - last,), (size,)), (size, size))


def diagflat(v, k=0):
    """A 2-d array with the flattened input on its k-th diagonal (np.diagflat)."""
    return diag(ravel(v), k)


def tri(N, M=None, k=0, dtype=float):  # noqa: N803 (NumPy's names)
    """Ones at and below the k-th diagonal (np.tri)."""
    return Tensor(np.tri(N, M, k, dtypes.canonical(dtype, "tri")))


def _triangle(op: str, lower: bool):
    def fn(m, k=0):
        x = operand(m, op)
        if x.ndim == 0:
            raise op_error(ValueError, op, "input must be at least 1-d", "pass a matrix",
                           user_site())
        rows, cols = (x.shape[-2:] if x.ndim > 1 else (x.shape[-1], x.shape[-1]))
        mask = np.tri(rows, cols, k if lower else k - 1, dtype=bool)
        zero = x.dtype.type(0)
        return _select(mask, x, zero) if lower else _select(mask, zero, x)
    fn.__name__ = fn.__qualname__ = op
    fn.__doc__ = (f"The elements {'at and below' if lower else 'at and above'} the k-th "
                  f"diagonal, zeros elsewhere (np.{op}).")
    return fn


tril = _triangle("tril", True)
triu = _triangle("triu", False)


def kron(a, b):
    """The Kronecker product (np.kron): blocks a[i, j] * b."""
    x, y = operands("kron", a, b)
    ndim = max(x.ndim, y.ndim)
    xs = (1,) * (ndim - x.ndim) + tuple(x.shape)
    ys = (1,) * (ndim - y.ndim) + tuple(y.shape)
    left = tf_shape.reshape(x, tuple(v for s in xs for v in (s, 1)))
    right = tf_shape.reshape(y, tuple(v for s in ys for v in (1, s)))
    return tf_shape.reshape(left * right, tuple(p * q for p, q in zip(xs, ys)))


def _components(x, op: str):
    if x.shape[-1] not in (2, 3):
        raise op_error(ValueError, op, f"incompatible dimensions for cross product (dimension "
                       f"must be 2 or 3), got {x.shape[-1]}", "pass 2- or 3-vectors",
                       user_site())
    return [x[..., i] for i in range(x.shape[-1])]


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of vectors along the given axes (np.cross); 2-vectors have a zero
    third component, and two 2-vectors give the z component alone."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x, y = operands("cross", a, b)
    if x.ndim == 0 or y.ndim == 0:
        raise op_error(ShapeError, "cross", "the inputs must be arrays of vectors",
                       "pass arrays with a vector axis", user_site())
    x, y = moveaxis(x, axisa, -1), moveaxis(y, axisb, -1)
    u, v = _components(x, "cross"), _components(y, "cross")
    if len(u) == len(v) == 2:
        return u[0] * v[1] - u[1] * v[0]
    zero = x.dtype.type(0)
    u, v = (u + [zero])[:3], (v + [zero])[:3]
    parts = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]
    shape = np.broadcast_shapes(*(tuple(np.shape(p)) for p in parts))
    result = tf_shape.stack([tf_shape.broadcast_to(p, shape) for p in parts], -1)
    return moveaxis(result, -1, axisc)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate arrays from coordinate vectors (np.meshgrid; a tuple): 'xy' indexing
    swaps the first two axes; sparse=True keeps them unbroadcast."""
    if indexing not in ("xy", "ij"):
        raise op_error(ValueError, "meshgrid", "Valid values for `indexing` are 'xy' and "
                       "'ij'.", "pass indexing='xy' or 'ij'", user_site())
    vectors = [ravel(x) for x in xi]
    ndim = len(vectors)
    out = []
    for i, v in enumerate(vectors):
        shape = [1] * ndim
        shape[i] = v.shape[0]
        if indexing == "xy" and ndim > 1 and i < 2:
            shape[0], shape[1] = shape[1], shape[0]
        out.append(tf_shape.reshape(v, tuple(shape)))
    if not sparse and out:
        full = np.broadcast_shapes(*(tuple(o.shape) for o in out))
        out = [tf_shape.broadcast_to(o, full) for o in out]
    return tuple(out)

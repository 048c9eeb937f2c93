"""NumPy's linalg.norm, and the vector and matrix norms tj.linalg.norm shares: reductions and
singular values, so every norm differentiates (the 2-norm's gradient at 0 is NaN, as
sqrt's is)."""

from __future__ import annotations

import numpy as np

from tapejit import ops
from tapejit.errors import ShapeError, op_error
from tapejit.ops.numpy_policy import operands
from tapejit.primitives import spectral
from tapejit.site import user_site


def norm_axes(axis, ndim: int, op: str = "norm") -> tuple[int, ...]:
    if axis is None:
        axes = tuple(range(ndim))
    elif isinstance(axis, (int, np.integer)):
        axes = (int(axis),)
    elif isinstance(axis, (tuple, list)) and all(isinstance(a, (int, np.integer))
                                                 for a in axis):
        axes = tuple(int(a) for a in axis)
    else:
        raise op_error(TypeError, op, f"'axis' must be None, an integer or a tuple of "
                       f"integers, got {axis!r}", "pass axis=-1 or axis=(-2, -1)", user_site())
    for a in axes:
        if not -ndim <= a < ndim:
            raise op_error(ShapeError, op, f"axis {a} is out of bounds for an array of "
                           f"dimension {ndim}", f"use axes in [{-ndim}, {ndim})", user_site())
    return tuple(a % ndim for a in axes)


def _max(x, axis: int, keepdims: bool):
    """max over `axis`, 0 when it is empty (NumPy's initial=0)."""
    if x.shape[axis] == 0:
        return ops.reduce_sum(x, axis, keepdims)
    return ops.reduce_max(x, axis, keepdims)


def vector_norm(x, ord, axis: int, keepdims: bool = False):
    """NumPy's vector norms along one axis: inf, -inf, 0, 1, 2 (None) and any other p."""
    if ord is None or (not isinstance(ord, str) and ord == 2):
        return ops.sqrt(ops.reduce_sum(x * x, axis, keepdims))
    if isinstance(ord, str):
        raise op_error(ValueError, "norm", f"invalid norm order {ord!r} for vectors",
                       "use None, inf, -inf, 0, 1, 2 or another number", user_site())
    magnitude = ops.abs(x)
    if ord == np.inf:
        return _max(magnitude, axis, keepdims)
    if ord == -np.inf:
        return ops.reduce_min(magnitude, axis, keepdims)
    if ord == 0:
        return ops.reduce_sum(ops.cast(x != 0, x.dtype), axis, keepdims)
    if ord == 1:
        return ops.reduce_sum(magnitude, axis, keepdims)
    dtype = np.dtype(x.dtype).type
    total = ops.reduce_sum(magnitude ** ord, axis, keepdims)
    return total ** (dtype(1) / dtype(ord))


def matrix_norm(x, ord, axes, keepdims: bool = False):
    """NumPy's matrix norms over two axes (rows, columns): 'fro' (None), 'nuc', 1, -1, 2, -2,
    inf, -inf."""
    row, col = axes
    if row == col:
        raise op_error(ValueError, "norm", "duplicate axes given", "pass two different axes",
                       user_site())
    if isinstance(ord, str) and ord not in ("fro", "f", "nuc"):
        ord = "invalid"
    if ord in (2, -2, "nuc"):
        rest = [d for d in range(len(x.shape)) if d not in (row, col)]
        s = spectral.svdvals(ops.transpose(x, tuple(rest + [row, col])))
        last = len(s.shape) - 1
        out = (_max(s, last, False) if ord == 2 else ops.reduce_min(s, last) if ord == -2
               else ops.reduce_sum(s, last))
    elif ord in (1, -1, np.inf, -np.inf):
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = ops.reduce_sum(ops.abs(x), summed)
        other -= other > summed
        out = _max(sums, other, False) if ord > 0 else ops.reduce_min(sums, other)
    elif ord in (None, "fro", "f"):
        out = ops.sqrt(ops.reduce_sum(x * x, (row, col)))
    else:
        raise op_error(ValueError, "norm", f"invalid norm order {ord!r} for matrices",
                       "use None, 'fro', 'nuc', 1, -1, 2, -2, inf or -inf", user_site())
    if keepdims:
        out = ops.reshape(out, tuple(1 if d in (row, col) else s
                                     for d, s in enumerate(x.shape)))
    return out


def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's norm: integers in float64; axis None is the whole array as a vector (ord None
    or 2) or matrix (2-d); one axis gives vector norms, two axes matrix norms."""
    (x,) = operands("norm", x)
    if x.dtype.kind != "f":
        x = ops.cast(x, np.float64)
    ndim = len(x.shape)
    if axis is None and (ord is None or (ord in ("f", "fro") and ndim == 2)
                         or (ord == 2 and ndim == 1)):
        flat = ops.reshape(x, (-1,))
        out = ops.sqrt(ops.matmul(flat, flat))
        return ops.reshape(out, (1,) * ndim) if keepdims else out
    axes = norm_axes(axis, ndim)
    if len(axes) == 1:
        return vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return matrix_norm(x, ord, axes, keepdims)
    raise op_error(ValueError, "norm", f"improper number of dimensions to norm: axis {axis}",
                   "pass one axis (vector norms) or two (matrix norms)", user_site())

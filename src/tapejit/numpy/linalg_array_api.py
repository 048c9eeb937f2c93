"""NumPy 2's array-API functions of numpy.linalg (matrix_norm, vector_norm, diagonal, trace,
cross, outer, tensordot; matrix_transpose and vecdot are tnp's own) and the ones built on
solves: cond, tensorinv, tensorsolve. They act on the last axes (stacks of matrices) with
keyword-only options, as NumPy's do; eig and eigvals would return complex numbers and are
refused clearly."""

from __future__ import annotations

import math

import numpy as np

from tapejit import ops
from tapejit.errors import DTypeError, op_error
from tapejit.numpy import linalg_norm, matrices
from tapejit.numpy.contractions import tensordot as _tensordot
from tapejit.numpy.linalg_core import floats, inv, linalg_error, solve, stacked
from tapejit.numpy.logic import isnan, logical_and, logical_not, where
from tapejit.numpy.reductions import any as _any
from tapejit.ops.numpy_policy import operands
from tapejit.primitives import spectral
from tapejit.site import user_site
from tapejit.tensor import Tensor
from tapejit.trace import Tracer


def _float_array(op: str, x):
    (x,) = operands(op, x)
    return ops.cast(x, np.float64) if x.dtype.kind != "f" else x


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """np.linalg.matrix_norm: the norm of each matrix over the last two axes."""
    x = _float_array("matrix_norm", x)
    if len(x.shape) < 2:
        raise linalg_error("matrix_norm", f"{len(x.shape)}-dimensional array given: it must "
                           "be at least two-dimensional", "pass (..., m, n) matrices")
    ndim = len(x.shape)
    return linalg_norm.matrix_norm(x, ord, (ndim - 2, ndim - 1), keepdims)


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """np.linalg.vector_norm: axis None is the whole array as one vector; a tuple of axes is
    those axes as one vector."""
    x = _float_array("vector_norm", x)
    ndim = len(x.shape)
    axes = tuple(range(ndim)) if axis is None else linalg_norm.norm_axes(axis, ndim, "vector_norm")
    if len(set(axes)) != len(axes):
        raise op_error(ValueError, "vector_norm", f"repeated axis in {axis!r}",
                       "name each axis once", user_site())
    kept = [d for d in range(ndim) if d not in axes]
    merged = ops.reshape(ops.transpose(x, tuple(kept + list(axes))),
                         tuple(x.shape[d] for d in kept) + (math.prod(x.shape[d] for d in axes),))
    out = linalg_norm.vector_norm(merged, 2 if ord is None else ord, len(kept), False)
    if keepdims:
        out = ops.reshape(out, tuple(1 if d in axes else s for d, s in enumerate(x.shape)))
    return out


def diagonal(x, /, *, offset=0):
    """np.linalg.diagonal: the diagonals of the matrices in the last two axes."""
    return matrices.diagonal(x, offset, -2, -1)


def trace(x, /, *, offset=0, dtype=None):
    """np.linalg.trace: the traces of the matrices in the last two axes."""
    return matrices.trace(x, offset, -2, -1, dtype)


def cross(x1, x2, /, *, axis=-1):
    """np.linalg.cross: 3-vectors only (np.cross also takes 2-vectors)."""
    a, b = operands("cross", x1, x2)
    sizes = [v.shape[axis] if len(v.shape) and -len(v.shape) <= axis < len(v.shape) else None
             for v in (a, b)]
    if sizes != [3, 3]:
        raise op_error(ValueError, "cross", f"both input arrays must be (arrays of) 3-dimensional "
                       f"vectors along axis {axis}, got shapes {tuple(a.shape)} and "
                       f"{tuple(b.shape)}", "use tnp.cross for 2-vectors", user_site())
    return matrices.cross(a, b, axis=axis)


def outer(x1, x2, /):
    """np.linalg.outer: 1-d vectors only (np.outer flattens its inputs)."""
    a, b = operands("outer", x1, x2)
    if len(a.shape) != 1 or len(b.shape) != 1:
        raise op_error(ValueError, "outer", f"input arrays must be one-dimensional, got shapes "
                       f"{tuple(a.shape)} and {tuple(b.shape)}",
                       "flatten them first, or use tnp.outer", user_site())
    return ops.reshape(a, (-1, 1)) * ops.reshape(b, (1, -1))


def tensordot(x1, x2, /, *, axes=2):
    """np.linalg.tensordot: tnp.tensordot with axes keyword-only."""
    return _tensordot(x1, x2, axes)


# --- built on solves -------------------------------------------------------------------------

def _singular_stack(x) -> np.ndarray | None:
    """Eagerly, which matrices LAPACK's LU finds singular (NumPy's test for inv); None when
    tracing, where inv gives NaN for them instead."""
    if isinstance(x, Tracer):
        return None
    values = np.asarray(x.concrete("cond") if isinstance(x, Tensor) else x)
    flat = values.reshape((-1,) + values.shape[-2:])
    singular = np.zeros(len(flat), bool)
    for i, matrix in enumerate(flat):
        try:
            np.linalg.inv(matrix)
        except np.linalg.LinAlgError:
            singular[i] = True
    return singular.reshape(values.shape[:-2])


def _norm_ratio(x, p):
    """‖x‖·‖x⁻¹‖ in the p-norm, NaN for a matrix LU finds singular (made inf by cond)."""
    singular = _singular_stack(x)
    if singular is None or not singular.any():
        last_two = (len(x.shape) - 2, len(x.shape) - 1)
        return (linalg_norm.matrix_norm(x, p, last_two)
                * linalg_norm.matrix_norm(inv(x), p, last_two))
    eye = ops.broadcast_to(ops.cast(Tensor(np.eye(x.shape[-1])), x.dtype), tuple(x.shape))
    ratio = _norm_ratio(where(singular[..., None, None], eye, x), p)
    return where(singular, np.nan, ratio)


def cond(x, p=None):
    """np.linalg.cond: the ratio of the largest to the smallest singular value (p None, 2,
    -2: its inverse), else ‖x‖·‖x⁻¹‖ in that matrix norm of square matrices; a singular
    matrix gives inf (NaN only where x holds NaN)."""
    (x,) = floats("cond", x)
    if len(x.shape) >= 2 and math.prod(x.shape[-2:]) == 0:
        raise linalg_error("cond", "cond is not defined on empty arrays",
                           "pass non-empty matrices")
    if p is None or (not isinstance(p, str) and p in (2, -2)):
        s = spectral.svdvals(stacked("cond", x, square=False))
        first, last = s[..., 0], s[..., -1]
        ratio = last / first if p == -2 else first / last
    else:
        ratio = _norm_ratio(stacked("cond", x), p)
    has_nan = _any(isnan(x), axis=(-2, -1))
    return where(logical_and(isnan(ratio), logical_not(has_nan)), np.inf, ratio)


def tensorinv(a, ind=2):
    """np.linalg.tensorinv: the inverse of `a` read as a matrix (the first `ind` axes against
    the rest), shaped back as rest + first."""
    (a,) = floats("tensorinv", a)
    if not isinstance(ind, (int, np.integer)) or ind <= 0:
        raise op_error(ValueError, "tensorinv", f"invalid ind argument {ind!r}",
                       "pass a positive integer", user_site())
    rows, cols = tuple(a.shape[:ind]), tuple(a.shape[ind:])
    if math.prod(rows) != math.prod(cols):
        raise linalg_error("tensorinv", f"a of shape {tuple(a.shape)} with ind={ind} is not "
                           "square as a matrix", "make prod(a.shape[:ind]) equal the rest")
    matrix = ops.reshape(a, (math.prod(rows), math.prod(cols)))
    return ops.reshape(inv(matrix), cols + rows)


def tensorsolve(a, b, axes=None):
    """np.linalg.tensorsolve: x with tensordot(a, x, x.ndim) = b; `axes` first moves those
    axes of a to the end."""
    a, b = floats("tensorsolve", a, b)
    if axes is not None:
        moved = [d % len(a.shape) for d in axes]
        a = ops.transpose(a, tuple([d for d in range(len(a.shape)) if d not in moved] + moved))
    unknown = tuple(a.shape[-(len(a.shape) - len(b.shape)):])
    if math.prod(a.shape) != math.prod(unknown) ** 2:
        raise linalg_error("tensorsolve", f"a of shape {tuple(a.shape)} and b of shape "
                           f"{tuple(b.shape)} do not make a square system",
                           "a's shape must be (anything of b's size) + x.shape, "
                           "with prod(x.shape) == b.size")
    n = math.prod(unknown)
    x = solve(ops.reshape(a, (n, n)), ops.reshape(b, (n,)))
    return ops.reshape(x, unknown)


def _complex_results(op: str):
    def refuse(a):
        raise op_error(DTypeError, op, "its eigenvalues and eigenvectors are complex in general, "
                       "and tapejit has no complex dtypes", "for a symmetric matrix use "
                       "tnp.linalg.eigh / eigvalsh", user_site())
    refuse.__name__ = refuse.__qualname__ = op
    refuse.__doc__ = f"np.linalg.{op}: refused (complex results); eigh/eigvalsh for symmetric."
    return refuse


eig = _complex_results("eig")
eigvals = _complex_results("eigvals")

__all__ = ["cond", "cross", "diagonal", "eig", "eigvals",
           "matrix_norm", "outer", "tensordot", "tensorinv", "tensorsolve",
           "trace", "vector_norm"]

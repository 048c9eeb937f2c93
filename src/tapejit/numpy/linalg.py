"""tapejit.numpy.linalg: NumPy's linear algebra with its signatures and dtype rules (integers
computed in float64, float32 kept), differentiable, LAPACK in compiled kernels.

Eagerly a matrix LAPACK cannot handle raises `LinAlgError` (a subclass of NumPy's), as NumPy
does; in a compiled kernel it gives NaN in that matrix's results instead (ir/SPEC.md §5.15).
Eigenvector and singular-vector derivatives are inf/NaN where eigenvalues (singular values)
repeat: the vectors are not unique there (eigvalsh and svdvals stay finite).
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np

from tapejit import ops
from tapejit.errors import op_error
from tapejit.numpy.array_api import matrix_transpose, vecdot
from tapejit.numpy.contractions import dot, matmul
from tapejit.numpy.linalg_array_api import (
    cond,
    cross,
    diagonal,
    eig,
    eigvals,
    matrix_norm,
    outer,
    tensordot,
    tensorinv,
    tensorsolve,
    trace,
    vector_norm,
)
from tapejit.numpy.linalg_core import (
    floats,
    identity_like,
    inv,
    linalg_error,
    refuse_hermitian,
    solve,
    stacked,
)
from tapejit.numpy.linalg_norm import norm
from tapejit.ops.numpy_policy import operands
from tapejit.primitives import decompositions as dec
from tapejit.primitives import spectral
from tapejit.primitives.decompositions import LinAlgError, mT
from tapejit.site import user_site
from tapejit.trace import Tracer

__all__ = ["LinAlgError", "cholesky", "cond", "cross", "det", "diagonal", "eig", "eigh",
           "eigvals", "eigvalsh", "inv", "lstsq", "matmul", "matrix_norm", "matrix_power",
           "matrix_rank", "matrix_transpose", "multi_dot", "norm", "outer", "pinv", "qr",
           "slogdet", "solve", "svd", "svdvals", "tensordot", "tensorinv", "tensorsolve", "trace",
           "vecdot", "vector_norm"]

_NO_VALUE = object()


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


def slogdet(a):
    return SlogdetResult(*dec.slogdet(stacked("slogdet", a)))


def det(a):
    """sign · exp(log|det|), the way NumPy computes it."""
    sign, logabsdet = dec.slogdet(stacked("det", a))
    return sign * ops.exp(logabsdet)


def matrix_power(a, n):
    (a,) = operands("matrix_power", a)
    if len(a.shape) < 2 or a.shape[-1] != a.shape[-2]:
        raise linalg_error("matrix_power", f"expects square matrices, got shape "
                           f"{tuple(a.shape)}", "pass (..., n, n) matrices")
    try:
        n = operator.index(n)
    except TypeError:
        raise op_error(TypeError, "matrix_power", f"exponent must be an integer, got {n!r}",
                       "pass a Python int", user_site()) from None
    if n == 0:
        return identity_like(a)
    if n < 0:
        a, n = inv(a), -n
    if n <= 3:
        return [a, matmul(a, a), matmul(matmul(a, a), a)][n - 1]
    power = result = None
    while n > 0:
        power = a if power is None else matmul(power, power)
        n, bit = divmod(n, 2)
        if bit:
            result = power if result is None else matmul(result, power)
    return result


# --- factorizations --------------------------------------------------------------------------

def cholesky(a, /, *, upper=False):
    """The lower factor L (a = L Lᵀ) from a's lower triangle, or with upper=True the upper
    factor U (a = Uᵀ U) from a's upper triangle."""
    a = stacked("cholesky", a)
    return mT(dec.cholesky(mT(a))) if upper else dec.cholesky(a)


def qr(a, mode="reduced"):
    if mode not in ("reduced", "complete", "r"):
        raise op_error(ValueError, "qr", f"mode {mode!r} is not supported",
                       "use 'reduced', 'complete' or 'r'", user_site())
    a = stacked("qr", a, square=False)
    q, r = spectral.qr(a, full_matrices=mode == "complete" and a.shape[-2] > a.shape[-1])
    return r if mode == "r" else QRResult(q, r)


def _uplo(op: str, a, UPLO):
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):
        raise op_error(ValueError, op, f"UPLO must be 'L' or 'U', got {UPLO!r}",
                       "pass UPLO='L' (the lower triangle is read) or 'U'", user_site())
    a = stacked(op, a)
    return a if UPLO.upper() == "L" else mT(a)


def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices, read from
    one triangle. UPLO='U' factors the transpose's lower triangle (the same matrix)."""
    return EighResult(*spectral.eigh(_uplo("eigh", a, UPLO)))


def eigvalsh(a, UPLO="L"):
    return spectral.eigvalsh(_uplo("eigvalsh", a, UPLO))


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    refuse_hermitian("svd", hermitian)
    a = stacked("svd", a, square=False)
    if not compute_uv:
        return spectral.svdvals(a)
    full = bool(full_matrices) and a.shape[-1] != a.shape[-2]
    return SVDResult(*spectral.svd(a, full_matrices=full))


def svdvals(x, /):
    return spectral.svdvals(stacked("svdvals", x, square=False))


def _scalar_float(op: str, name: str, value) -> float:
    if isinstance(value, Tracer) or np.ndim(value) != 0:
        raise op_error(TypeError, op, f"{name} must be a number, got {value!r}",
                       "pass one Python float for the whole stack", user_site())
    return float(value)


def pinv(a, rcond=None, hermitian=False, *, rtol=_NO_VALUE):
    refuse_hermitian("pinv", hermitian)
    a = stacked("pinv", a, square=False)
    if rcond is not None and rtol is not _NO_VALUE:
        raise op_error(ValueError, "pinv", "`rtol` and `rcond` can't be both set",
                       "pass only one of them", user_site())
    if rcond is None:
        rcond = (1e-15 if rtol is _NO_VALUE else
                 max(a.shape[-2:]) * np.finfo(a.dtype).eps if rtol is None else rtol)
    return dec.pinv(a, max(_scalar_float("pinv", "rcond", rcond), 0.0))


def lstsq(a, b, rcond=None):
    """(x, residuals, rank, s) as NumPy gives them; x is pinv(a, rcond) @ b, differentiable.

    Under jit the rank is not known when the function is traced: for m > n the residuals
    are then always the column sums of squares, where NumPy returns an empty array for a
    rank-deficient a.
    """
    a, b = floats("lstsq", a, b)
    vector = len(b.shape) == 1
    if len(a.shape) != 2 or len(b.shape) not in (1, 2):
        raise linalg_error("lstsq", f"a {tuple(a.shape)} must be 2-d and b {tuple(b.shape)} "
                           "1-d or 2-d", "solve each problem of a stack separately")
    m, n = a.shape
    if b.shape[0] != m:
        raise linalg_error("lstsq", f"incompatible dimensions: a {tuple(a.shape)}, b "
                           f"{tuple(b.shape)}", f"b must have {m} rows")
    if rcond is None:
        rcond = np.finfo(np.float64).eps * max(m, n)
    rcond = _scalar_float("lstsq", "rcond", rcond)
    rcond = rcond if rcond >= 0 else float(np.finfo(np.float64).eps)
    b2 = ops.reshape(b, (m, 1)) if vector else b
    x = matmul(dec.pinv(a, rcond), b2)
    s = spectral.svdvals(a)
    rank = _count_above(s, rcond * s[0] if min(m, n) else 0.0, np.int32)
    residuals = ops.full((0,), 0, s.dtype)
    if m > n and (isinstance(rank, Tracer) or int(rank.numpy()) == n):
        residuals = ops.reduce_sum(ops.square(b2 - matmul(a, x)), 0)
    return (ops.squeeze(x, -1) if vector else x), residuals, rank, s


def _per_matrix(value, dtype):
    """A scalar, or one value per matrix of the stack as a column against the values."""
    return dtype.type(value) if np.ndim(value) == 0 else ops.expand_dims(
        ops.cast(value, dtype), -1)


def _count_above(s, tol, dtype):
    return ops.reduce_sum(ops.cast(s > tol, dtype), -1)


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    refuse_hermitian("matrix_rank", hermitian)
    if tol is not None and rtol is not None:
        raise op_error(ValueError, "matrix_rank", "`tol` and `rtol` can't be both set",
                       "pass only one of them", user_site())
    (A,) = operands("matrix_rank", A)
    if len(A.shape) < 2:
        return ops.cast(ops.reduce_sum(ops.cast(A != 0, np.int64)) > 0, np.int64)
    s = svdvals(A)
    if tol is None:
        rtol = max(A.shape[-2:]) * np.finfo(s.dtype).eps if rtol is None else rtol
        largest = (ops.reduce_max(s, -1, keepdims=True) if s.shape[-1] else
                   ops.full(tuple(s.shape[:-1]) + (1,), 0, s.dtype))
        tol = largest * _per_matrix(rtol, s.dtype)
    else:
        tol = _per_matrix(tol, s.dtype)
    return _count_above(s, tol, np.int64)


# --- products and norms ----------------------------------------------------------------------

def _chain_order(shapes) -> dict:
    """Where to split each sub-chain for the fewest multiplications (NumPy's dynamic program:
    the first split wins ties)."""
    dims = [s[0] for s in shapes] + [shapes[-1][1]]
    n = len(shapes)
    cost = {(i, i): 0 for i in range(n)}
    split = {}
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i, j] = float("inf")
            for k in range(i, j):
                c = cost[i, k] + cost[k + 1, j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i, j]:
                    cost[i, j], split[i, j] = c, k
    return split


def multi_dot(arrays, *, out=None):
    """dot(dot(a, b), c)... in the order with the fewest multiplications."""
    if out is not None:
        raise op_error(TypeError, "multi_dot", "out= is not supported (tensors are immutable)",
                       "use the returned value", user_site())
    arrays = list(arrays)
    if len(arrays) < 2:
        raise op_error(ValueError, "multi_dot", "expecting at least two arrays",
                       "pass a list of two or more", user_site())
    if len(arrays) == 2:
        return dot(*arrays)
    arrays = operands("multi_dot", *arrays)
    first, last = len(arrays[0].shape), len(arrays[-1].shape)
    if first == 1:
        arrays[0] = ops.reshape(arrays[0], (1, -1))
    if last == 1:
        arrays[-1] = ops.reshape(arrays[-1], (-1, 1))
    if any(len(x.shape) != 2 for x in arrays):
        raise linalg_error("multi_dot", "all arrays but the first and last must be 2-d",
                           "reshape them to matrices")
    if len(arrays) == 3:
        (a0, a1), (_, c1) = arrays[0].shape, arrays[2].shape
        b1 = arrays[1].shape[1]
        split = {(0, 2): 1 if a0 * b1 * (a1 + c1) < a1 * c1 * (a0 + b1) else 0}
    else:
        split = _chain_order([x.shape for x in arrays])

    def product(i, j):
        k = split.get((i, j), i)
        return arrays[i] if i == j else dot(product(i, k), product(k + 1, j))

    result = product(0, len(arrays) - 1)
    if first == 1 and last == 1:
        return ops.reshape(result, ())
    return ops.reshape(result, (-1,)) if first == 1 or last == 1 else result


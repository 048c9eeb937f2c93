"""Solves and factorizations of stacks of matrices, computed by LAPACK: cholesky,
triangular_solve, solve, slogdet, pinv (the spectral ones, eigh, svd and qr, are in
`spectral.py`).

Leading dimensions are batch dimensions, equal across operands (user-level functions
broadcast them). As in NumPy's linalg, float32 inputs are computed in float64 and rounded.
A factorization with several results returns them packed along its last axis, each raveled
in turn (an equation has one output): `unpack` cuts them out again. JVPs follow the standard
matrix-calculus results and are written with primitives, so they differentiate again.
"""

from __future__ import annotations

from math import prod

import numpy as np

from tapejit.dtypes import short_name
from tapejit.errors import DTypeError, ShapeError, TapejitError, TypeRuleError, op_error
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.base import is_undefined, same_dtype
from tapejit.primitives.batching import front_batch
from tapejit.primitives.broadcast import broadcast_to, full, reduce_sum
from tapejit.primitives.linalg import dot_general
from tapejit.primitives.shape import expand_dims, reshape, transpose
from tapejit.primitives.slicing import concatenate, slice_
from tapejit.site import user_site
from tapejit.trace import bind

_BATCH = front_batch()  # operands take leading batch dims


class LinAlgError(TapejitError, np.linalg.LinAlgError):
    """A matrix LAPACK cannot handle: singular, not positive definite, no convergence."""


class NotSupportedError(TapejitError, NotImplementedError):
    """An option or a derivative tapejit's linear algebra does not provide."""


# --- type rules ------------------------------------------------------------------------------

def float_matrices(t: TensorType) -> None:
    if t.dtype not in (np.float32, np.float64):
        raise TypeRuleError(f"expects float32 or float64 matrices, got {t}",
                            "cast first, e.g. tj.cast(x, tj.float64) (LAPACK has no float16 or "
                            "integer routines)", DTypeError)
    if t.ndim < 2:
        raise TypeRuleError(f"expects a matrix or a stack of matrices (ndim >= 2), got {t}",
                            "reshape a vector to an (n, 1) or (1, n) matrix", ShapeError)


def square(t: TensorType) -> int:
    float_matrices(t)
    if t.shape[-1] != t.shape[-2]:
        raise TypeRuleError(f"expects square matrices, got {t}",
                            "pass (..., n, n) matrices; for a rectangular one use lstsq, pinv "
                            "or qr", ShapeError)
    return t.shape[-1]


def _system_type(a: TensorType, b: TensorType) -> TensorType:
    """a x = b with a (..., n, n) and b (..., n, k): x has b's type."""
    n = square(a)
    float_matrices(b)
    same_dtype(a, b)
    if b.shape[:-2] != a.shape[:-2] or b.shape[-2] != n:
        raise TypeRuleError(f"cannot solve a x = b for a {a}, b {b}",
                            "b must be (..., n, k) with a's batch dimensions (the user-level "
                            "functions broadcast them)", ShapeError)
    return b


# --- NumPy impls -----------------------------------------------------------------------------

def lapack(op: str, fix: str):
    """An impl computed in float64 (as NumPy's linalg does), returned in the input dtype, whose
    LAPACK failures are LinAlgErrors in tapejit's format."""
    def wrap(fn):
        def impl(*arrays, **params):
            dtype = arrays[0].dtype
            try:
                with np.errstate(all="ignore"):
                    out = fn(*(np.asarray(a, np.float64) for a in arrays), **params)
            except np.linalg.LinAlgError as e:
                shown = ", ".join(f"{short_name(np.asarray(a).dtype)}{list(np.shape(a))}"
                                  for a in arrays)
                raise op_error(LinAlgError, op, f"{e} (for {shown})", fix, user_site()) from None
            return np.asarray(out).astype(dtype, copy=False)
        return impl
    return wrap


SINGULAR = ("the matrix is singular: use lstsq or pinv for a least-squares or minimum-norm "
            "solution, or regularize it (a + eps * I)")


@lapack("triangular_solve", SINGULAR)
def _triangular_impl(a, b, *, lower, transpose_a, unit_diagonal):
    if b.size == 0:
        return np.zeros(b.shape)
    from scipy.linalg import solve_triangular  # a heavy import, only when needed

    pairs = zip(a.reshape((-1,) + a.shape[-2:]), b.reshape((-1,) + b.shape[-2:]))
    return np.stack([solve_triangular(
        m, r, trans=int(transpose_a), lower=lower, unit_diagonal=unit_diagonal,
        check_finite=False) for m, r in pairs]).reshape(b.shape)


@lapack("cholesky", "the matrix must be symmetric positive definite (only its lower triangle "
        "is read); add a multiple of the identity, or use eigh for an indefinite matrix")
def _cholesky_impl(a):
    return np.linalg.cholesky(a)


@lapack("slogdet", "check the matrix for NaN or inf")
def _slogdet_impl(a):
    sign, logdet = np.linalg.slogdet(a)
    return np.stack([sign, logdet], -1)


@lapack("pinv", "check the matrix for NaN or inf")
def _pinv_impl(a, *, rcond):
    if a.size == 0:
        return np.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-2]))
    return np.linalg.pinv(a, rcond)


# --- matrix algebra for the JVPs ---------------------------------------------------------------

def mT(x):
    """The matrix transpose of each matrix in a stack."""
    nd = len(x.shape)
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def mm(x, y):
    """Matrix products of two equally batched stacks."""
    nb = len(x.shape) - 2
    batch = tuple(range(nb))
    return dot_general(x, y, (((nb + 1,), (nb,)), (batch, batch)))


def const(matrix, like) -> np.ndarray:
    return np.asarray(matrix, like.dtype)


def eye(n: int, like) -> np.ndarray:
    return const(np.eye(n), like)


def triangle(x, lower: bool, strict: bool = False):
    """The lower (or upper) triangle of each matrix, the diagonal too unless `strict`."""
    mask = np.tri(x.shape[-1], k=-1 if strict else 0)
    return x * const(mask if lower else mask.T, x)


def symmetric(t, lower: bool):
    """The symmetric matrix a routine reading only one triangle of `t` sees."""
    return triangle(t, lower) + mT(triangle(t, lower, strict=True))


def diagonal(x):
    """The diagonals (..., n) of a stack of square matrices."""
    return reduce_sum(x * eye(x.shape[-1], x), (len(x.shape) - 1,))


def row(v):
    """v (..., n) as (..., 1, n): entry j of every row."""
    return expand_dims(v, (len(v.shape) - 1,))


def column(v):
    """v (..., n) as (..., n, 1): entry i of every column."""
    return expand_dims(v, (len(v.shape),))


def pack(parts, batch):
    """Each part (batch + its shape) raveled and joined along one last axis."""
    flat = [reshape(p, tuple(batch) + (prod(p.shape[len(batch):]),)) for p in parts]
    return flat[0] if len(flat) == 1 else concatenate(flat, len(batch))


def unpack(packed, shapes):
    """The parts of `pack`ed results, given their shapes (without the batch)."""
    batch, nb = tuple(packed.shape[:-1]), len(packed.shape) - 1
    parts, offset = [], 0
    for shape in shapes:
        size = prod(shape)
        piece = slice_(packed, (0,) * nb + (offset,), batch + (offset + size,), (1,) * (nb + 1))
        parts.append(reshape(piece, batch + tuple(shape)))
        offset += size
    return parts


def zeros(shape, dtype):
    return full(tuple(shape), 0, dtype)


# --- cholesky --------------------------------------------------------------------------------

def _cholesky_jvp(primals, tangents, out):
    """dL = L Φ(L⁻¹ dA L⁻ᵀ), Φ: the lower triangle with half the diagonal; dA is symmetrized
    from its lower triangle, the only part the factorization reads."""
    (t,) = tangents
    n = out.shape[-1]
    half = np.tri(n, k=-1) + 0.5 * np.eye(n)
    y = triangular_solve(out, symmetric(t, lower=True), lower=True)
    z = triangular_solve(out, mT(y), lower=True)
    return mm(out, z * const(half, out))


def _cholesky_type(a: TensorType) -> TensorType:
    square(a)
    return a


cholesky_p = Primitive(name="cholesky", type_rule=_cholesky_type, impl=_cholesky_impl,
                       jvp=_cholesky_jvp, kind="dot", batch=_BATCH)


# --- triangular_solve ------------------------------------------------------------------------

def _triangular_type(a: TensorType, b: TensorType, *, lower, transpose_a,
                     unit_diagonal) -> TensorType:
    return _system_type(a, b)


def _triangular_jvp(primals, tangents, out, *, lower, transpose_a, unit_diagonal):
    """dx = op(a)⁻¹ (db − op(da) x), da restricted to the triangle the solve reads."""
    (a, _), (ta, tb) = primals, tangents
    rhs = tb
    if ta is not None:
        read = triangle(ta, lower, strict=unit_diagonal)
        term = -mm(mT(read) if transpose_a else read, out)
        rhs = term if rhs is None else rhs + term
    return triangular_solve(a, rhs, lower, transpose_a, unit_diagonal)


def _triangular_transpose(ct, a, b, *, lower, transpose_a, unit_diagonal):
    assert not is_undefined(a), "triangular_solve is linear in its right-hand side only"
    return None, triangular_solve(a, ct, lower, not transpose_a, unit_diagonal)


triangular_solve_p = Primitive(
    name="triangular_solve", type_rule=_triangular_type, impl=_triangular_impl,
    jvp=_triangular_jvp, transpose=_triangular_transpose, kind="other",
    batch=_BATCH)


# --- solve -----------------------------------------------------------------------------------

@lapack("solve", SINGULAR)
def _solve_impl(a, b):
    return np.linalg.solve(a, b)


def _solve_jvp(primals, tangents, out):
    """dx = a⁻¹ (db − da x)."""
    (a, _), (ta, tb) = primals, tangents
    rhs = tb
    if ta is not None:
        rhs = -mm(ta, out) if rhs is None else rhs - mm(ta, out)
    return solve(a, rhs)


def _solve_transpose(ct, a, b):
    assert not is_undefined(a), "solve is linear in its right-hand side only"
    return None, solve(mT(a), ct)


solve_p = Primitive(name="solve", type_rule=_system_type, impl=_solve_impl, jvp=_solve_jvp,
                    transpose=_solve_transpose, kind="dot", batch=_BATCH)


# --- slogdet ---------------------------------------------------------------------------------

def _slogdet_type(a: TensorType) -> TensorType:
    square(a)
    return TensorType(a.dtype, a.shape[:-2] + (2,))


def _slogdet_jvp(primals, tangents, out):
    """sign: zero; d log|det a| = tr(a⁻¹ da)."""
    (a,), (t,) = primals, tangents
    inverse = solve(a, broadcast_to(eye(a.shape[-1], a), a.shape))
    nd = len(a.shape)
    dlog = reduce_sum(mT(inverse) * t, (nd - 2, nd - 1))
    batch = tuple(a.shape[:-2])
    return concatenate([zeros(batch + (1,), a.dtype), column(dlog)], len(batch))


slogdet_p = Primitive(name="slogdet", type_rule=_slogdet_type, impl=_slogdet_impl,
                      jvp=_slogdet_jvp, kind="dot", batch=_BATCH)


# --- pinv ------------------------------------------------------------------------------------

def _pinv_type(a: TensorType, *, rcond) -> TensorType:
    float_matrices(a)
    if not isinstance(rcond, float) or not rcond >= 0:
        raise TypeRuleError(f"rcond must be a non-negative Python float, got {rcond!r}",
                            "pass a number such as 1e-15")
    return TensorType(a.dtype, a.shape[:-2] + (a.shape[-1], a.shape[-2]))


def _pinv_jvp(primals, tangents, out, *, rcond):
    """dP = −P dA P + P Pᵀ dAᵀ (I − A P) + (I − P A) dAᵀ Pᵀ P (Golub and Pereyra), exact
    while the rank (the count of singular values above the cutoff) does not change."""
    (a,), (t,) = primals, tangents
    m, n = a.shape[-2:]
    p, dat = out, mT(t)
    left = eye(m, a) - mm(a, p)
    right = eye(n, a) - mm(p, a)
    return (-mm(mm(p, t), p) + mm(mm(mm(p, mT(p)), dat), left)
            + mm(mm(right, dat), mm(mT(p), p)))


pinv_p = Primitive(name="pinv", type_rule=_pinv_type, impl=_pinv_impl, jvp=_pinv_jvp,
                   kind="dot", batch=_BATCH)


# --- strict wrappers -------------------------------------------------------------------------

def cholesky(a):
    return bind(cholesky_p, a)


def triangular_solve(a, b, lower: bool = True, transpose_a: bool = False,
                     unit_diagonal: bool = False):
    return bind(triangular_solve_p, a, b, lower=bool(lower), transpose_a=bool(transpose_a),
                unit_diagonal=bool(unit_diagonal))


def solve(a, b):
    return bind(solve_p, a, b)


def slogdet(a):
    """(sign, log|det|) of each matrix."""
    sign, logdet = unpack(bind(slogdet_p, a), [(1,), (1,)])
    nd = len(sign.shape)
    return reshape(sign, sign.shape[:nd - 1]), reshape(logdet, logdet.shape[:nd - 1])


def pinv(a, rcond: float):
    return bind(pinv_p, a, rcond=float(rcond))

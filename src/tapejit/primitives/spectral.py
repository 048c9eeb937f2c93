"""Orthogonal factorizations of stacks of matrices, computed by LAPACK: eigh, svd and qr, with
their results packed along the last axis (see `decompositions.py`, which has the helpers).

Derivatives of eigenvectors and singular vectors divide by differences of eigenvalues
(squared singular values): where two are equal the vectors are not unique and the
derivative is inf or NaN, as in JAX. Values alone (eigh without vectors, svd without u and
v) have finite derivatives everywhere: use them when only the values are needed.
"""

from __future__ import annotations

import numpy as np

from tapejit.errors import op_error
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.batching import front_batch
from tapejit.primitives.decompositions import (
    NotSupportedError,
    column,
    diagonal,
    eye,
    float_matrices,
    lapack,
    mm,
    mT,
    pack,
    row,
    square,
    symmetric,
    triangle,
    triangular_solve,
    unpack,
)
from tapejit.primitives.slicing import concatenate, slice_
from tapejit.site import user_site
from tapejit.trace import bind

_BATCH = front_batch()  # operands take leading batch dims

NO_CONVERGENCE = "check the matrix for NaN or inf"


def _no_derivative(op: str, why: str, fix: str):
    return op_error(NotSupportedError, op, why, fix, user_site())


def _columns(x, start: int, stop: int):
    """Columns start:stop of each matrix in a stack."""
    nd = len(x.shape)
    return slice_(x, (0,) * (nd - 1) + (start,), tuple(x.shape[:-1]) + (stop,), (1,) * nd)


# --- eigh ------------------------------------------------------------------------------------

def _eigh_type(a: TensorType, *, vectors) -> TensorType:
    n = square(a)
    return TensorType(a.dtype, a.shape[:-2] + (n + n * n if vectors else n,))


@lapack("eigh", NO_CONVERGENCE)
def _eigh_impl(a, *, vectors):
    if not vectors:
        return np.linalg.eigvalsh(a)
    w, v = np.linalg.eigh(a)
    return np.concatenate([w, v.reshape(a.shape[:-2] + (-1,))], -1)


def _eigh_jvp(primals, tangents, out, *, vectors):
    """dw = diag(Vᵀ dA V); dV = V (F ∘ Vᵀ dA V), F_ij = 1/(w_j − w_i) off the diagonal. dA is
    symmetrized from its lower triangle, the only part LAPACK reads."""
    (a,), (t,) = primals, tangents
    n = a.shape[-1]
    w, v = unpack(out, [(n,), (n, n)]) if vectors else eigh(a)
    x = mm(mT(v), mm(symmetric(t, lower=True), v))
    dw = diagonal(x)
    if not vectors:
        return dw
    identity = eye(n, a)
    f = 1 / (row(w) - column(w) + identity) - identity
    return pack([dw, mm(v, f * x)], a.shape[:-2])


eigh_p = Primitive(name="eigh", type_rule=_eigh_type, impl=_eigh_impl, jvp=_eigh_jvp,
                   kind="dot", batch=_BATCH)


# --- svd -------------------------------------------------------------------------------------

def svd_shapes(m: int, n: int, full_matrices: bool) -> list[tuple[int, ...]]:
    """The shapes of u, s and vh."""
    k = min(m, n)
    mu, nu = (m, n) if full_matrices else (k, k)
    return [(m, mu), (k,), (nu, n)]


def _svd_type(a: TensorType, *, full_matrices, compute_uv) -> TensorType:
    float_matrices(a)
    m, n = a.shape[-2:]
    sizes = [int(np.prod(s)) for s in svd_shapes(m, n, full_matrices)]
    return TensorType(a.dtype, a.shape[:-2] + (sum(sizes) if compute_uv else sizes[1],))


@lapack("svd", NO_CONVERGENCE)
def _svd_impl(a, *, full_matrices, compute_uv):
    if not compute_uv:
        return np.linalg.svd(a, compute_uv=False)
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    batch = a.shape[:-2]
    return np.concatenate([p.reshape(batch + (-1,)) for p in (u, s, vh)], -1)


def _svd_jvp(primals, tangents, out, *, full_matrices, compute_uv):
    """ds = diag(Uᵀ dA V); with P = Uᵀ dA V and F_ij = 1/(s_j² − s_i²) off the diagonal,
    Uᵀ dU = F ∘ (P S + S Pᵀ) and Vᵀ dV = F ∘ (S P + Pᵀ S); the parts of dU (dV) outside U's
    (V's) columns are (I − U Uᵀ) dA V S⁻¹ ((I − V Vᵀ) dAᵀ U S⁻¹)."""
    (a,), (t,) = primals, tangents
    m, n = a.shape[-2:]
    if not compute_uv:
        u, _, vh = svd(a, full_matrices=False)
        return diagonal(mm(mT(u), mm(t, mT(vh))))
    if full_matrices and m != n:
        raise _no_derivative("svd", f"the derivative of full_matrices=True U and Vh of a "
                             f"{m}x{n} matrix is not defined (the extra columns are not "
                             "unique)", "use full_matrices=False, or svdvals for the values")
    u, s, vh = unpack(out, svd_shapes(m, n, full_matrices))
    v = mT(vh)
    p = mm(mT(u), mm(t, v))
    identity = eye(min(m, n), a)
    f = 1 / (row(s) * row(s) - column(s) * column(s) + identity) - identity
    ps, sp = p * row(s), column(s) * p
    du = mm(u, f * (ps + mT(ps)))
    dv = mm(v, f * (sp + mT(sp)))
    if m > n:
        dav = mm(t, v)
        du = du + (dav - mm(u, mm(mT(u), dav))) / row(s)
    if n > m:
        datu = mm(mT(t), u)
        dv = dv + (datu - mm(v, mm(vh, datu))) / row(s)
    return pack([du, diagonal(p), mT(dv)], a.shape[:-2])


svd_p = Primitive(name="svd", type_rule=_svd_type, impl=_svd_impl, jvp=_svd_jvp, kind="dot",
                  batch=_BATCH)


# --- qr --------------------------------------------------------------------------------------

def qr_shapes(m: int, n: int, full_matrices: bool) -> list[tuple[int, int]]:
    """The shapes of q and r."""
    k = m if full_matrices else min(m, n)
    return [(m, k), (k, n)]


def _qr_type(a: TensorType, *, full_matrices) -> TensorType:
    float_matrices(a)
    m, n = a.shape[-2:]
    (m, k), (_, n) = qr_shapes(m, n, full_matrices)
    return TensorType(a.dtype, a.shape[:-2] + (m * k + k * n,))


@lapack("qr", NO_CONVERGENCE)
def _qr_impl(a, *, full_matrices):
    q, r = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    batch = a.shape[:-2]
    return np.concatenate([q.reshape(batch + (-1,)), r.reshape(batch + (-1,))], -1)


def _qr_square_jvp(q, r, t):
    """For A = QR with R square: C = Qᵀ dA R⁻¹, Ω = tril(C, −1) − tril(C, −1)ᵀ (skew, so Q
    stays orthonormal), dQ = dA R⁻¹ + Q (Ω − C), dR = (C − Ω) R (upper triangular)."""
    t_rinv = mT(triangular_solve(r, mT(t), lower=False, transpose_a=True))
    c = mm(mT(q), t_rinv)
    low = triangle(c, lower=True, strict=True)
    omega = low - mT(low)
    return t_rinv + mm(q, omega - c), mm(c - omega, r)


def _qr_jvp(primals, tangents, out, *, full_matrices):
    """Tall or square A: `_qr_square_jvp`. Wide A = [X | Y] (X square): R = [U | V] with
    X = QU and V = Qᵀ Y, so dQ and dU are X's and dV = dQᵀ Y + Qᵀ dY."""
    (a,), (t,) = primals, tangents
    m, n = a.shape[-2:]
    if full_matrices and m > n:
        raise _no_derivative("qr", f"the derivative of the complete Q of a {m}x{n} matrix is "
                             "not defined (its last columns are not unique)",
                             "use mode='reduced' (full_matrices=False)")
    q, r = unpack(out, qr_shapes(m, n, full_matrices))
    if m >= n:
        return pack(_qr_square_jvp(q, r, t), a.shape[:-2])
    dq, du = _qr_square_jvp(q, _columns(r, 0, m), _columns(t, 0, m))
    y = _columns(a, m, n)
    dv = mm(mT(dq), y) + mm(mT(q), _columns(t, m, n))
    return pack([dq, concatenate([du, dv], len(a.shape) - 1)], a.shape[:-2])


qr_p = Primitive(name="qr", type_rule=_qr_type, impl=_qr_impl, jvp=_qr_jvp, kind="dot",
                 batch=_BATCH)


# --- strict wrappers -------------------------------------------------------------------------

def eigh(a):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix (its lower
    triangle)."""
    n = a.shape[-1]
    return tuple(unpack(bind(eigh_p, a, vectors=True), [(n,), (n, n)]))


def eigvalsh(a):
    return bind(eigh_p, a, vectors=False)


def svd(a, full_matrices: bool = False):
    """(u, s, vh) of each matrix."""
    packed = bind(svd_p, a, full_matrices=bool(full_matrices), compute_uv=True)
    return tuple(unpack(packed, svd_shapes(*a.shape[-2:], bool(full_matrices))))


def svdvals(a):
    return bind(svd_p, a, full_matrices=False, compute_uv=False)


def qr(a, full_matrices: bool = False):
    """(q, r) of each matrix."""
    packed = bind(qr_p, a, full_matrices=bool(full_matrices))
    return tuple(unpack(packed, qr_shapes(*a.shape[-2:], bool(full_matrices))))


"""Op-table cases of the decomposition primitives (cholesky, triangular_solve, solve, slogdet,
pinv, eigh, svd, qr). `make` turns the drawn matrices into well-conditioned ones by adding to
their diagonal (a spread diagonal where eigenvalues or singular values must stay apart); they
stay general matrices otherwise, so derivatives are checked along non-symmetric directions
too (each routine reads only one triangle)."""

from __future__ import annotations

import numpy as np
import scipy.linalg

import tapejit as tj
import tapejit.numpy as tnp
from tapejit.primitives import decompositions as dec
from tests.optable import Case, Transposed


def _add_diagonal(x: np.ndarray, values) -> np.ndarray:
    """x plus `values` on the diagonal of each (..., m, n) matrix, in place (x keeps its
    memory layout, so transposed arguments stay transposed)."""
    k = min(x.shape[-2:])
    idx = np.arange(k)
    x[..., idx, idx] += np.broadcast_to(np.asarray(values, np.float64), (k,))
    return x


def shifted(c):
    return lambda *xs: [_add_diagonal(xs[0], c), *xs[1:]]


def spread(step):
    """Diagonal step, 2 step, ...: eigenvalues and singular values stay apart."""
    return lambda x: [_add_diagonal(x, step * (1 + np.arange(min(x.shape[-2:]))))]


def _broadcast_batch(a, b):
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return np.broadcast_to(a, batch + a.shape[-2:]), np.broadcast_to(b, batch + b.shape[-2:])


def _tri_np(a, b, lower=True, trans=False, unit=False):
    a, b = _broadcast_batch(a, b)
    flat_a, flat_b = a.reshape((-1,) + a.shape[-2:]), b.reshape((-1,) + b.shape[-2:])
    out = [scipy.linalg.solve_triangular(p, q, trans=int(trans), lower=lower,
                                         unit_diagonal=unit) for p, q in zip(flat_a, flat_b)]
    return np.stack(out).reshape(b.shape) if out else np.zeros(b.shape)


def _upper(x):
    return np.swapaxes(x, -1, -2)


SQUARE = [((3, 3),), ((1, 1),), ((2, 3, 3),), (Transposed((4, 4)),), ((2, 0, 0),)]
TALL_WIDE = [((4, 3),), ((3, 4),), ((2, 4, 3),), ((3, 3),), (Transposed((3, 5)),)]
NOT_SQUARE = np.ones((2, 3))
# no 1x1 in TALL_WIDE: svd and qr are linear there, and second differences of a linear
# function are rounding noise above the checker's floor


def _triangular(lower, trans, unit):
    name = "triangular_solve_" + ("lower" if lower else "upper") + ("_T" if trans else "") + (
        "_unit" if unit else "")
    return Case(
        "triangular_solve", lambda a, b: dec.triangular_solve(a, b, lower, trans, unit),
        [((3, 3), (3, 2)), ((1, 1), (1, 1)), ((2, 3, 3), (2, 3, 4)),
         (Transposed((3, 3)), (3, 1))], name=name, make=shifted(4.0),
        numpy=lambda a, b: _tri_np(a, b, lower, trans, unit),
        errors=[lambda: dec.triangular_solve(tj.constant(np.eye(3)), tj.constant(np.ones((2, 1))),
                                             lower)])


def joined(*parts):
    """Several results as one flat tensor (or array), so one case checks them all."""
    if isinstance(parts[0], np.ndarray):
        return np.concatenate([np.ravel(p) for p in parts])
    return tj.concat([tj.reshape(p, (-1,)) for p in parts], 0)


CASES = [
    Case("cholesky", dec.cholesky, SQUARE, make=shifted(7.0), numpy=np.linalg.cholesky,
         errors=[lambda: tnp.linalg.cholesky(NOT_SQUARE), lambda: tnp.linalg.cholesky(-np.eye(2))]),
    _triangular(lower=True, trans=False, unit=False),
    _triangular(lower=False, trans=True, unit=True),
    Case("triangular_solve", tj.linalg.triangular_solve,
         [((3, 3), (2, 3, 2)), ((2, 1, 3, 3), (4, 3, 1))], name="triangular_solve_broadcast",
         make=shifted(4.0), numpy=_tri_np,
         errors=[lambda: tj.linalg.triangular_solve(np.eye(3), np.ones(3))]),
    Case("solve", tnp.linalg.solve,
         [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3, 2)), ((3, 3), (2, 3, 1)),
          ((2, 3, 3), (3,)), ((1, 1), (1, 1)), (Transposed((3, 3)), (3, 4))],
         make=shifted(7.0), numpy=np.linalg.solve,
         errors=[lambda: tnp.linalg.solve(np.eye(3), np.ones(4)),
                 lambda: tnp.linalg.solve(np.zeros((2, 2)), np.ones(2))]),
    Case("solve", tnp.linalg.inv, SQUARE, name="inv", make=shifted(7.0), numpy=np.linalg.inv,
         errors=[lambda: tnp.linalg.inv(NOT_SQUARE)]),
    Case("slogdet", lambda x: (lambda s, ld: s * ld)(*tnp.linalg.slogdet(x)), SQUARE,
         make=shifted(-4.0), numpy=lambda x: (lambda s, ld: s * ld)(*np.linalg.slogdet(x)),
         errors=[lambda: tnp.linalg.slogdet(np.ones((3, 2)))]),
    Case("pinv", tnp.linalg.pinv, TALL_WIDE + [((1, 1),)], make=shifted(4.0), numpy=np.linalg.pinv,
         errors=[lambda: tnp.linalg.pinv(np.ones(3)),
                 lambda: dec.pinv(tj.constant(np.eye(2)), rcond=-1.0)]),
    Case("eigh", lambda x: joined(*tnp.linalg.eigh(x)), SQUARE, make=spread(10.0),
         numpy=lambda x: joined(*np.linalg.eigh(x)), errors=[lambda: tnp.linalg.eigh(NOT_SQUARE)]),
    Case("eigh", lambda x: tnp.linalg.eigvalsh(x, UPLO="U"), SQUARE, name="eigvalsh_upper",
         make=spread(1.0), numpy=lambda x: np.linalg.eigvalsh(x, UPLO="U"),
         errors=[lambda: tnp.linalg.eigvalsh(np.ones((2, 2), np.float16))]),
    Case("svd", lambda x: joined(*tnp.linalg.svd(x, full_matrices=False)), TALL_WIDE,
         make=spread(5.0), numpy=lambda x: joined(*np.linalg.svd(x, full_matrices=False)),
         errors=[lambda: tnp.linalg.svd(np.ones(3))]),
    Case("svd", tnp.linalg.svdvals, TALL_WIDE, name="svdvals",
         numpy=lambda x: np.linalg.svd(x, compute_uv=False),
         errors=[lambda: tnp.linalg.svdvals(np.ones(3))]),
    Case("qr", lambda x: joined(*tnp.linalg.qr(x)), TALL_WIDE, make=shifted(4.0),
         numpy=lambda x: joined(*np.linalg.qr(x)),
         errors=[lambda: tnp.linalg.qr(np.ones(3)), lambda: tnp.linalg.qr(np.eye(2), "raw")]),
    Case("qr", lambda x: tnp.linalg.qr(x, "complete")[0], [((3, 4),), ((3, 3),), ((2, 4, 6),)],
         name="qr_complete_wide", make=shifted(4.0),
         numpy=lambda x: np.linalg.qr(x, "complete")[0],
         errors=[lambda: tnp.linalg.qr(np.eye(2), "economy")]),
]

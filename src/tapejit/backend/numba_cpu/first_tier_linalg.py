"""The first tier's solves and factorizations: vmath/lapack.py's wrappers called from Python,
batch item by batch item, with the arrays laid out, packed and cast as linalg_code's kernel
code does. The wrappers are compiled once per machine, so a new rank, batch shape or dtype
needs no compile, where a one-equation kernel would take seconds each. The kernel calls the
same compiled wrappers on the same C-contiguous float64 matrices: the same bits, and a
matrix LAPACK rejects gives NaN in its slot in both. triangular_solve is the kernel's own
substitution loops, so it keeps its one-equation kernel."""

from __future__ import annotations

from collections.abc import Callable
from math import prod

import numpy as np
from numba.core.errors import NumbaError

from tapejit.backend.numba_cpu import vmath
from tapejit.ir import Eqn
from tapejit.primitives.spectral import qr_shapes, svd_shapes


def linalg_step(eqn: Eqn) -> Callable[[list], np.ndarray] | None:
    """The equation as a function of its input values, or None for other primitives."""
    plan = _PLANS.get(eqn.prim.name)
    if plan is None:
        return None
    out_type = eqn.out.type
    in_types = [a.type for a in eqn.inputs]
    count = prod(in_types[0].shape[:-2])
    per_matrix = plan(eqn, **eqn.params)

    def run(values: list) -> np.ndarray:
        matrices = [np.ascontiguousarray(np.asarray(v, t.dtype)).reshape(
            (count,) + t.shape[-2:]) for v, t in zip(values, in_types)]
        result = np.empty((count,) + out_type.shape[len(in_types[0].shape) - 2:], np.float64)
        for bi in range(count):
            try:
                result[bi] = per_matrix(*[m[bi].astype(np.float64, copy=False)
                                          for m in matrices])
            except NumbaError:  # a wrapper that cannot compile: a bug, not a NaN
                raise
            except Exception:  # noqa: BLE001 - LAPACK rejected the matrix, as in the kernel
                result[bi] = np.nan
        return result.astype(out_type.dtype, copy=False).reshape(out_type.shape)
    return run


def _packed(*parts: np.ndarray) -> np.ndarray:
    """Matrices and vectors raveled one after the other (the kernel's store loops)."""
    return np.concatenate([np.ravel(p) for p in parts])


def _wrapper(name: str):
    """The plan of an op whose result is the wrapper's of the operand matrices (pinv's
    rcond passed as the kernel passes it, a float64)."""
    def per_matrix_of(eqn: Eqn, rcond: float | None = None):
        call = getattr(vmath, name)
        if rcond is None:
            return call
        return lambda a: call(a, float(rcond))
    return per_matrix_of


def _eigh(eqn: Eqn, *, vectors: bool):
    if not vectors:
        return vmath.lapack_eigvalsh
    return lambda a: _packed(*vmath.lapack_eigh(a))


def _svd(eqn: Eqn, *, full_matrices: bool, compute_uv: bool):
    if not compute_uv:
        return vmath.lapack_singular_values
    m, n = eqn.inputs[0].type.shape[-2:]
    (_, mu), _, (nu, _) = svd_shapes(m, n, full_matrices)

    def per_matrix(a):
        if min(m, n) == 0:
            return _packed(np.eye(m, mu), np.zeros(0), np.eye(nu, n))
        return _packed(*vmath.lapack_svd(a, bool(full_matrices)))
    return per_matrix


def _qr(eqn: Eqn, *, full_matrices: bool):
    m, n = eqn.inputs[0].type.shape[-2:]
    (_, k), r_shape = qr_shapes(m, n, full_matrices)

    def per_matrix(a):
        if min(m, n) == 0:
            return _packed(np.eye(m, k), np.zeros(r_shape))
        if full_matrices and m > n:  # a complete Q: a padded with zero columns
            padded = np.zeros((m, m))
            padded[:, :n] = a
            q, r = vmath.lapack_qr(padded)
            return _packed(q, r[:, :n])
        return _packed(*vmath.lapack_qr(a))
    return per_matrix


_PLANS = {
    "cholesky": _wrapper("lapack_cholesky"),
    "solve": _wrapper("lapack_solve"),
    "pinv": _wrapper("lapack_pinv"),
    "slogdet": _wrapper("lapack_slogdet"),  # (sign, log|det|): the kernel's two values
    "eigh": _eigh,
    "svd": _svd,
    "qr": _qr,
}

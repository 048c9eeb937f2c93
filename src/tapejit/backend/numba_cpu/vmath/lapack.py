"""Solves and factorizations through Numba's np.linalg (SciPy's LAPACK), compiled once (and
cached on disk) rather than inside every kernel that uses them: typing and compiling Numba's
LAPACK wrappers cost a kernel about 2.5 s per function, each time a process first compiled
one (measured here: a kernel with a batched solve and slogdet, 5.7 s against 3.7 s calling
these). linalg_code passes C-contiguous float64 matrices, so each compiles once."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def lapack_cholesky(a):
    return np.linalg.cholesky(a)


@njit(cache=True, nogil=True)
def lapack_solve(a, b):
    return np.linalg.solve(a, b)


@njit(cache=True, nogil=True)
def lapack_pinv(a, rcond):
    return np.linalg.pinv(a, rcond)


@njit(cache=True, nogil=True)
def lapack_slogdet(a):
    return np.linalg.slogdet(a)


@njit(cache=True, nogil=True)
def lapack_eigvalsh(a):
    return np.linalg.eigvalsh(a)


@njit(cache=True, nogil=True)
def lapack_eigh(a):
    return np.linalg.eigh(a)


@njit(cache=True, nogil=True)
def lapack_singular_values(a):
    return np.linalg.svd(a, False)[1]


@njit(cache=True, nogil=True)
def lapack_svd(a, full_matrices):
    return np.linalg.svd(a, full_matrices)


@njit(cache=True, nogil=True)
def lapack_qr(a):
    return np.linalg.qr(a)

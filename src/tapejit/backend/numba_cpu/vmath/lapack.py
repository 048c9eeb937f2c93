"""Solves and factorizations through Numba's np.linalg (SciPy's LAPACK), compiled once (and
cached on disk) rather than inside every kernel that uses them: typing and compiling Numba's
LAPACK wrappers cost a kernel about 2.5 s per function, each time a process first compiled
one (measured here: a kernel with a batched solve and slogdet, 5.7 s against 3.7 s calling
these). linalg_code passes C-contiguous float64 matrices, so each compiles once."""

from __future__ import annotations

import numpy as np

from tapejit.backend.numba_cpu.keyed_cache import cached_njit


@cached_njit(nogil=True)
def lapack_cholesky(a):
    return np.linalg.cholesky(a)


@cached_njit(nogil=True)
def lapack_solve(a, b):
    return np.linalg.solve(a, b)


@cached_njit(nogil=True)
def lapack_pinv(a, rcond):
    return np.linalg.pinv(a, rcond)


@cached_njit(nogil=True)
def lapack_slogdet(a):
    return np.linalg.slogdet(a)


@cached_njit(nogil=True)
def lapack_eigvalsh(a):
    return np.linalg.eigvalsh(a)


@cached_njit(nogil=True)
def lapack_eigh(a):
    return np.linalg.eigh(a)


@cached_njit(nogil=True)
def lapack_singular_values(a):
    return np.linalg.svd(a, False)[1]


@cached_njit(nogil=True)
def lapack_svd(a, full_matrices):
    return np.linalg.svd(a, full_matrices)


@cached_njit(nogil=True)
def lapack_qr(a):
    return np.linalg.qr(a)

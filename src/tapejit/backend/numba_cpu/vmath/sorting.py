"""Sorting for generated code: the stable argsort of one lane, compiled once (and cached
on disk) rather than inside every kernel that sorts, which would cost seconds each."""

from __future__ import annotations

import numpy as np

from tapejit.backend.numba_cpu.keyed_cache import cached_njit


@cached_njit(nogil=True)
def stable_argsort(values):
    """Indices that sort a 1-d array; equal values keep their order, NaN goes last."""
    return np.argsort(values, kind="mergesort")

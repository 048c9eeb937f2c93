"""tj.random: random tensors from a per-thread NumPy generator."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.state import STATE
from tapejit.tensor import Tensor


def _rng(seed) -> np.random.Generator:
    if seed is not None:
        return np.random.default_rng(seed)
    if STATE.rng is None:
        STATE.rng = np.random.default_rng()
    return STATE.rng


def set_seed(seed: int) -> None:
    """Seed this thread's generator (as tf.random.set_seed)."""
    STATE.rng = np.random.default_rng(seed)


def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None) -> Tensor:
    """Samples of N(mean, stddev**2)."""
    dtype = dtypes.canonical(dtype, "random.normal")
    sample = _rng(seed).normal(mean, stddev, size=tuple(shape))
    return Tensor(np.asarray(sample, dtype)[()])


def uniform(shape, minval=0.0, maxval=1.0, dtype=dtypes.float32, seed=None) -> Tensor:
    """Samples of U[minval, maxval)."""
    dtype = dtypes.canonical(dtype, "random.uniform")
    sample = _rng(seed).uniform(minval, maxval, size=tuple(shape))
    return Tensor(np.asarray(sample, dtype)[()])

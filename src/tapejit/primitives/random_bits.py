"""Counter-based random bits: Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random
numbers: as easy as 1, 2, 3", SC 2011), a pure function of a key and counters, so the same
key gives the same bits eagerly and under jit. Counters are split into two halves as JAX's
`threefry_2x32` does (padded with a zero when odd), so keys and bits equal JAX's. Leading
dims are rows, each with its own key (what vmap over keys makes)."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, ShapeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.batching import front_batch
from tapejit.primitives.jvp import zero_jvp
from tapejit.trace import bind

ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
PARITY = 0x1BD11BDA


def _threefry_type(key: TensorType, counts: TensorType) -> TensorType:
    if key.dtype != dtypes.uint32 or key.ndim < 1 or key.shape[-1] != 2:
        raise TypeRuleError(f"the key must be uint32[..., 2], got {key}",
                            "make keys with tj.random.key(seed) or split one", DTypeError)
    if counts.dtype != dtypes.uint32 or counts.ndim != key.ndim \
            or counts.shape[:-1] != key.shape[:-1]:
        raise TypeRuleError(f"the counters must be a uint32 array of the key's leading "
                            f"shape and one more axis, got {counts} for the key {key}",
                            "pass uint32 counters of shape (..., n) for keys (..., 2)",
                            ShapeError)
    return counts


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def threefry_pairs(k0: np.ndarray, k1: np.ndarray, x0: np.ndarray, x1: np.ndarray):
    """The 20-round Threefry-2x32 block of counter pairs (x0, x1) under key (k0, k1)."""
    ks = (k0, k1, k0 ^ k1 ^ np.uint32(PARITY))
    x0, x1 = x0 + ks[0], x1 + ks[1]
    for group in range(5):
        for r in ROTATIONS[4 * (group % 2):4 * (group % 2) + 4]:
            x0 = x0 + x1
            x1 = _rotl(x1, r) ^ x0
        s = group + 1
        x0, x1 = x0 + ks[s % 3], x1 + ks[(s + 1) % 3] + np.uint32(s)
    return x0, x1


def _threefry_impl(key: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each row of counters under the key of the same row (leading dims are rows)."""
    n = counts.shape[-1]
    padded = np.zeros(counts.shape[:-1] + (n + n % 2,), np.uint32)
    padded[..., :n] = counts
    half = padded.shape[-1] // 2
    k0, k1 = (np.broadcast_to(key[..., k:k + 1], padded.shape[:-1] + (half,)) for k in (0, 1))
    y0, y1 = threefry_pairs(k0, k1, padded[..., :half], padded[..., half:])
    return np.concatenate([y0, y1], -1)[..., :n]


threefry2x32_p = Primitive(
    name="threefry2x32", type_rule=_threefry_type, impl=_threefry_impl,
    jvp=zero_jvp, kind="other", batch=front_batch())


def threefry2x32(key, counts):
    return bind(threefry2x32_p, key, counts)

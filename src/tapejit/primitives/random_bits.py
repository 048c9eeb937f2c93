"""Counter-based random bits: Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random
numbers: as easy as 1, 2, 3", SC 2011), a pure function of a key and counters, so the same
key gives the same bits eagerly and under jit. Counters are split into two halves as JAX's
`threefry_2x32` does (padded with a zero when odd), so keys and bits equal JAX's."""

from __future__ import annotations

import numpy as np

from tapejit import dtypes
from tapejit.errors import DTypeError, ShapeError, TypeRuleError
from tapejit.ir import Primitive, TensorType
from tapejit.primitives.batching import batch_size, with_batch
from tapejit.primitives.jvp import zero_jvp
from tapejit.primitives.shape import reshape, transpose
from tapejit.primitives.slicing import concatenate, pad, slice_
from tapejit.trace import bind

ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
PARITY = 0x1BD11BDA


def _threefry_type(key: TensorType, counts: TensorType) -> TensorType:
    if key.dtype != dtypes.uint32 or key.shape != (2,):
        raise TypeRuleError(f"the key must be uint32[2], got {key}",
                            "make keys with tj.random.key(seed) or split one", DTypeError)
    if counts.dtype != dtypes.uint32 or counts.ndim != 1:
        raise TypeRuleError(f"the counters must be a 1-d uint32 array, got {counts}",
                            "pass uint32 counters of shape (n,)", ShapeError)
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
    n = counts.shape[0]
    padded = np.zeros(n + n % 2, np.uint32)
    padded[:n] = counts
    half = padded.shape[0] // 2
    k0, k1 = (np.full(half, k, np.uint32) for k in key)
    y0, y1 = threefry_pairs(k0, k1, padded[:half], padded[half:])
    return np.concatenate([y0, y1])[:n]


def _shared_key_bits(prim, key, counts):
    """Batched counters (B, n) under one key: a single call on every row's pairs, laid out
    as one flat counter array whose halves are the rows' halves (rows padded to even n)."""
    size, n = counts.shape
    even = n + n % 2
    if even != n:
        counts = pad(counts, (0, 0), (0, 1), (0, 0))
    halves = transpose(reshape(counts, (size, 2, even // 2)), (1, 0, 2))
    bits = bind(prim, key, reshape(halves, (size * even,)))
    rows = reshape(transpose(reshape(bits, (2, size, even // 2)), (1, 0, 2)), (size, even))
    return rows if even == n else slice_(rows, (0, 0), (size, n), (1, 1))


def _threefry_batch(prim, args, dims):
    """vmap of threefry2x32. Under one key, one call; batched keys (two words each) cannot
    share a call, so each row gets its own and the rows are stacked."""
    size = batch_size(args, dims)
    key, counts = args[0], with_batch(args[1], dims[1], size)
    if dims[0] is None:
        return _shared_key_bits(prim, key, counts), 0
    key = with_batch(key, dims[0], size)
    n = counts.shape[1]
    rows = []
    for b in range(size):
        k = reshape(slice_(key, (b, 0), (b + 1, 2), (1, 1)), (2,))
        c = reshape(slice_(counts, (b, 0), (b + 1, n), (1, 1)), (n,))
        rows.append(reshape(bind(prim, k, c), (1, n)))
    return concatenate(rows, 0), 0


threefry2x32_p = Primitive(
    name="threefry2x32", type_rule=_threefry_type, impl=_threefry_impl,
    jvp=zero_jvp, kind="other", batch=_threefry_batch)


def threefry2x32(key, counts):
    return bind(threefry2x32_p, key, counts)

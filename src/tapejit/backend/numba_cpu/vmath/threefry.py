"""Threefry-2x32 (20 rounds) for generated code, compiled once: uint64 arithmetic masked to
32 bits, so every sum and rotation wraps exactly as NumPy's uint32 does."""

from __future__ import annotations

import numpy as np

from tapejit.backend.numba_cpu.keyed_cache import cached_njit

MASK = np.uint64(0xFFFFFFFF)


@cached_njit(nogil=True, inline="always")
def _rotl32(x, r):
    return ((x << np.uint64(r)) | (x >> np.uint64(32 - r))) & MASK


@cached_njit(nogil=True)
def threefry2x32(key, counts):
    """Bits of 1-d uint32 counters under a uint32[2] key, halves paired as JAX pairs them."""
    n = counts.shape[0]
    half = (n + 1) // 2
    rotations = (13, 15, 26, 6, 17, 29, 16, 24)
    k0, k1 = np.uint64(key[0]), np.uint64(key[1])
    ks = (k0, k1, k0 ^ k1 ^ np.uint64(0x1BD11BDA))
    out = np.empty(2 * half, np.uint32)
    for i in range(half):
        x0 = np.uint64(counts[i])
        x1 = np.uint64(counts[half + i]) if half + i < n else np.uint64(0)
        x0, x1 = (x0 + ks[0]) & MASK, (x1 + ks[1]) & MASK
        for group in range(5):
            for j in range(4):
                x0 = (x0 + x1) & MASK
                x1 = _rotl32(x1, rotations[4 * (group % 2) + j]) ^ x0
            s = group + 1
            x0 = (x0 + ks[s % 3]) & MASK
            x1 = (x1 + ks[(s + 1) % 3] + np.uint64(s)) & MASK
        out[i], out[half + i] = np.uint32(x0), np.uint32(x1)
    return out[:n]


@cached_njit(nogil=True)
def threefry2x32_rows(key, counts):
    """threefry2x32 of each row of counters (..., n) under the key (..., 2) of its row."""
    n = counts.shape[-1]
    keys = key.reshape((key.size // 2, 2))
    rows = counts.reshape((keys.shape[0], n))
    out = np.empty(rows.shape, np.uint32)
    for r in range(rows.shape[0]):
        bits = threefry2x32(keys[r], rows[r])
        for i in range(n):  # not out[r] = bits: Numba's shape-error text compiles for seconds
            out[r, i] = bits[i]
    return out

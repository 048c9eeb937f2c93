"""Threefry-2x32 (20 rounds) on Python integers, written apart from the library's NumPy
and Numba versions to check them."""

from __future__ import annotations

import numpy as np

MASK = 0xFFFFFFFF
ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)


def threefry_pair(key: tuple[int, int], x0: int, x1: int) -> tuple[int, int]:
    """Threefry-2x32, 20 rounds, on Python ints (the published algorithm, written apart)."""
    ks = (key[0], key[1], key[0] ^ key[1] ^ 0x1BD11BDA)
    x0, x1 = (x0 + ks[0]) & MASK, (x1 + ks[1]) & MASK
    for round_ in range(20):
        r = ROTATIONS[round_ % 8]
        x0 = (x0 + x1) & MASK
        x1 = (((x1 << r) | (x1 >> (32 - r))) & MASK) ^ x0
        if round_ % 4 == 3:
            s = round_ // 4 + 1
            x0, x1 = (x0 + ks[s % 3]) & MASK, (x1 + ks[(s + 1) % 3] + s) & MASK
    return x0, x1


def reference_threefry(key, counts) -> np.ndarray:
    counts = [int(c) for c in counts]
    n, half = len(counts), (len(counts) + 1) // 2
    padded = counts + [0] * (2 * half - n)
    pairs = [threefry_pair(tuple(int(k) for k in key), padded[i], padded[half + i])
             for i in range(half)]
    return np.array([p[0] for p in pairs] + [p[1] for p in pairs], np.uint32)[:n]

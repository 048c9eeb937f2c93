"""NumPy's pairwise summation, fed block by block.

These helpers add in exactly the order NumPy's `add.reduce` uses on a contiguous run: the run
is halved recursively (at a multiple of eight) down to leaves of at most 128 elements, and a
leaf is summed with eight interleaved accumulators. A kernel's float sum therefore equals
eager execution and NumPy bit for bit, with NumPy's O(log n) error growth.

A kernel cuts a run into the blocks `pairwise_plan` lists (the nodes of that recursion with at
most `BLOCK` elements: a short run is one block), computes one block's summands into a buffer
row and adds them with `pairwise_sum`; `pairwise_join` then joins the finished halves, kept
on a small stack in the columns of `vals` (one row per sum fed by the same loop). Every
helper is compiled without fast-math, so LLVM keeps the order of every addition. The ones
called per output are force-inlined (code loaded from Numba's disk cache cannot be inlined,
and a call per short row costs more than the row); none is recursive, because Numba cannot
cache a recursive function.
"""

from __future__ import annotations

import numpy as np
from numba import njit

LEAF = 128
BLOCK = 1024
DEPTH = 64
inline_exact = njit(nogil=True, forceinline=True)


@njit(cache=True, nogil=True)
def pairwise_plan(n):
    """The blocks of a run of n elements as (starts, joins): block b is
    [starts[b], starts[b + 1]), and after it joins[b] pairs of halves are joined."""
    starts = np.empty(n // (BLOCK // 4) + 2, np.int64)
    joins = np.zeros(n // (BLOCK // 4) + 1, np.int64)
    tasks = np.empty((2 * DEPTH, 2), np.int64)
    tasks[0, 0], tasks[0, 1] = 0, n
    pending, blocks = 1, 0
    while pending > 0:
        pending -= 1
        start, length = tasks[pending, 0], tasks[pending, 1]
        if length < 0:
            joins[blocks - 1] += 1
        elif length > BLOCK:
            pending = _split(tasks, pending, start, length)
        else:
            starts[blocks] = start
            blocks += 1
    starts[blocks] = n
    return starts[:blocks + 1], joins[:blocks]


@njit(cache=True, nogil=True)
def _split(tasks, top, start, length):
    """Push the halves of a range (left on top) under a marker that joins them."""
    half = length // 2
    half -= half % 8
    tasks[top, 0], tasks[top, 1] = 0, -1
    tasks[top + 1, 0], tasks[top + 1, 1] = start + half, length - half
    tasks[top + 2, 0], tasks[top + 2, 1] = start, half
    return top + 3


@inline_exact
def pairwise_join(vals, top, count):
    """Join the `count` most recent pairs of halves in every row of vals; the new top."""
    for _ in range(count):
        top -= 1
        for row in range(vals.shape[0]):
            vals[row, top - 1] = vals[row, top - 1] + vals[row, top]
    return top


@inline_exact
def pairwise_sum(buf, row, n, zero):
    """The sum of buf[row, :n] in NumPy's order; `zero` carries the dtype. The common case,
    one leaf, is small enough to inline into the kernel."""
    if n <= LEAF:
        return _leaf_sum(buf, row, 0, n, zero)
    return _tree_sum(buf, row, n, zero)


@inline_exact
def _leaf_sum(buf, row, start, n, zero):
    """buf[row, start:start + n] (n <= 128) with NumPy's eight interleaved accumulators."""
    if n < 8:
        res = zero
        for i in range(start, start + n):
            res = res + buf[row, i]
        return res
    r0, r1, r2, r3 = buf[row, start], buf[row, start + 1], buf[row, start + 2], buf[row, start + 3]
    r4, r5, r6, r7 = buf[row, start + 4], buf[row, start + 5], buf[row, start + 6], \
        buf[row, start + 7]
    body = start + n - n % 8
    for i in range(start + 8, body, 8):
        r0 = r0 + buf[row, i]
        r1 = r1 + buf[row, i + 1]
        r2 = r2 + buf[row, i + 2]
        r3 = r3 + buf[row, i + 3]
        r4 = r4 + buf[row, i + 4]
        r5 = r5 + buf[row, i + 5]
        r6 = r6 + buf[row, i + 6]
        r7 = r7 + buf[row, i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(body, start + n):
        res = res + buf[row, i]
    return res


# A block of at most 1024 elements reaches its leaves after at most four halvings (each half
# of n has at most n/2 + 7 elements: 1024, 519, 263, 135, 71), so four levels written out
# replace the recursion; each is NumPy's step: a leaf, or a split at a multiple of eight.

@njit(cache=True, nogil=True)
def _level1(buf, row, start, n, zero):
    if n <= LEAF:
        return _leaf_sum(buf, row, start, n, zero)
    half = n // 2 - (n // 2) % 8
    return (_leaf_sum(buf, row, start, half, zero)
            + _leaf_sum(buf, row, start + half, n - half, zero))


@njit(cache=True, nogil=True)
def _level2(buf, row, start, n, zero):
    if n <= LEAF:
        return _leaf_sum(buf, row, start, n, zero)
    half = n // 2 - (n // 2) % 8
    return _level1(buf, row, start, half, zero) + _level1(buf, row, start + half, n - half, zero)


@njit(cache=True, nogil=True)
def _level3(buf, row, start, n, zero):
    if n <= LEAF:
        return _leaf_sum(buf, row, start, n, zero)
    half = n // 2 - (n // 2) % 8
    return _level2(buf, row, start, half, zero) + _level2(buf, row, start + half, n - half, zero)


@njit(cache=True, nogil=True)
def _tree_sum(buf, row, n, zero):
    """buf[row, :n] (n <= BLOCK) by NumPy's recursion."""
    if n <= LEAF:
        return _leaf_sum(buf, row, 0, n, zero)
    half = n // 2 - (n // 2) % 8
    return _level3(buf, row, 0, half, zero) + _level3(buf, row, half, n - half, zero)

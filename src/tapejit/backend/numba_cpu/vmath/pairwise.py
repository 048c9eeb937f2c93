"""NumPy's pairwise summation, fed leaf by leaf.

These helpers add in exactly the order NumPy's `add.reduce` uses on a contiguous run: the run
is halved recursively (at a multiple of eight) down to leaves of at most 128 elements, and a
leaf is summed with eight interleaved accumulators. A kernel's float sum therefore equals
eager execution and NumPy bit for bit, with NumPy's O(log n) error growth.

A kernel cuts a run into the leaves `pairwise_plan` lists (a short run is one leaf), computes
one leaf's summands into a buffer row and adds them with `pairwise_sum`; `pairwise_join` then
joins the finished halves, kept on a small stack in the columns of `vals` (one row per sum fed
by the same loop). Every helper is compiled without fast-math, so LLVM keeps the order of
every addition. The ones called per output are small and force-inlined: a function called
from a kernel is linked into it and compiled again with every kernel, so a recursive tree sum
here would cost each kernel that sums about half a second of compile time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from tapejit.backend.numba_cpu.keyed_cache import cached_njit

BLOCK = 128  # NumPy's leaf
DEPTH = 64
inline_exact = njit(nogil=True, forceinline=True)


@cached_njit(nogil=True)
def pairwise_plan(n):
    """The leaves of a run of n elements as (starts, joins): leaf b is
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


@cached_njit(nogil=True)
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
    """buf[row, :n] (n <= 128) with NumPy's eight interleaved accumulators; `zero` carries
    the dtype."""
    if n < 8:
        res = zero
        for i in range(n):
            res = res + buf[row, i]
        return res
    r0, r1, r2, r3 = buf[row, 0], buf[row, 1], buf[row, 2], buf[row, 3]
    r4, r5, r6, r7 = buf[row, 4], buf[row, 5], buf[row, 6], buf[row, 7]
    body = n - n % 8
    for i in range(8, body, 8):
        r0 = r0 + buf[row, i]
        r1 = r1 + buf[row, i + 1]
        r2 = r2 + buf[row, i + 2]
        r3 = r3 + buf[row, i + 3]
        r4 = r4 + buf[row, i + 4]
        r5 = r5 + buf[row, i + 5]
        r6 = r6 + buf[row, i + 6]
        r7 = r7 + buf[row, i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(body, n):
        res = res + buf[row, i]
    return res

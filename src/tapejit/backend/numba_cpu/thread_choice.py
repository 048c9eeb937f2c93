"""A parallel kernel on a busy machine: all of Numba's threads, or one, whichever is faster.

With another process keeping a core busy, a parallel loop waits at its end for the thread
that shares that core, and ran slower than the same kernel on one thread (the chain
gradient: 5.93 against 5.56 ms on 2 cores). Threads change no bit of a result (parallel
loops write disjoint values, sums keep one order), so the kernel may run either way: every
TRIAL_EVERY calls it runs once the other way, and it keeps the way whose recent calls were
faster (a running mean of each).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from numba import get_num_threads, set_num_threads

TRIAL_EVERY = 16
"""One call in this many runs the way not chosen, so a machine that gets busy, or idle
again, is noticed within a few dozen calls."""
PAST_WEIGHT = 0.75
"""The running means' weight of the past against the newest call."""
MARGIN = 0.95
"""All threads are kept only while their mean is at least 5% below one thread's: on a busy
machine the two means were within noise of each other, and each switch to all threads,
on a lucky mean, cost more than its calls won."""


class ThreadChoice:
    """`call` (a parallel kernel's entry) on all threads or on one. A caller's own
    numba.set_num_threads stays its choice of 'all'; a one-thread call restores it."""

    __slots__ = ("call", "compiled", "seconds", "calls", "one_thread")

    def __init__(self, call: Callable) -> None:
        self.call = call
        self.compiled = getattr(call, "overloads", {})  # a dispatcher's compiled layouts
        self.seconds: list[float | None] = [None, None]  # running means: all threads, one
        self.calls = 0
        self.one_thread = False

    def __call__(self, *args):
        self.calls += 1
        single = self.one_thread != (self.calls % TRIAL_EVERY == 2)
        if single:
            threads = get_num_threads()
            set_num_threads(1)
        layouts = len(self.compiled)
        start = time.perf_counter()
        try:
            return self.call(*args)
        finally:
            elapsed = time.perf_counter() - start
            if single:
                set_num_threads(threads)
            # a first call pays for page faults and waking threads; a call that compiled the
            # kernel for a new argument layout, for the compile
            if self.calls > 1 and len(self.compiled) == layouts:
                self._note(single, elapsed)

    def _note(self, single: bool, elapsed: float) -> None:
        past = self.seconds[single]
        self.seconds[single] = elapsed if past is None else (
            PAST_WEIGHT * past + (1 - PAST_WEIGHT) * elapsed)
        every, one = self.seconds
        if every is not None and one is not None:
            self.one_thread = every > one * MARGIN

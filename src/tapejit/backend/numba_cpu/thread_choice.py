"""A parallel kernel on a busy machine: all of Numba's threads, or one, whichever is faster.

With another process keeping a core busy, a parallel loop waits at its end for the thread
that shares that core, and ran slower than the same kernel on one thread (the chain
gradient: 5.93 against 5.56 ms on 2 cores). Threads change no bit of a result (parallel
loops write disjoint values, sums keep one order), so the kernel may run either way: now and
then it runs once the other way (a trial), and it keeps the way whose recent calls were
faster (a running mean of each). A trial costs the difference between the two ways (on an
idle machine, one thread took twice as long; on a busy one, all threads a few percent
longer), so trials that do not find the other way faster come at longer and longer gaps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from numba import get_num_threads, set_num_threads

TRIAL_EVERY = 16
"""Calls between two trials of the way not chosen at first, and again after a trial that
found it faster (by MARGIN): a machine that gets busy, or idle again, is noticed at the
next trial, and the choice is checked again soon after."""
LONGEST_GAP = 256
"""The gap between trials doubles after each that did not find the way not chosen faster,
up to this many calls (a trial of one thread on an idle 2-core machine cost a whole serial
call: one in 16 calls made the chain gradient 6% slower on average; on a busy machine,
trials of all threads every 16 calls made it 1% slower than one thread)."""
PAST_WEIGHT = 0.75
"""The running means' weight of the past against the newest call."""
MARGIN = 0.95
"""All threads are kept only while their mean is at least 5% below one thread's: on a busy
machine the two means were within noise of each other, and each switch to all threads,
on a lucky mean, cost more than its calls won."""


class ThreadChoice:
    """`call` (a parallel kernel's entry) on all threads or on one. A caller's own
    numba.set_num_threads stays its choice of 'all'; a one-thread call restores it."""

    __slots__ = ("call", "compiled", "seconds", "calls", "one_thread", "gap", "next_trial")

    def __init__(self, call: Callable) -> None:
        self.call = call
        self.compiled = getattr(call, "overloads", {})  # a dispatcher's compiled layouts
        self.seconds: list[float | None] = [None, None]  # running means: all threads, one
        self.calls = 0
        self.one_thread = False
        self.gap = TRIAL_EVERY
        self.next_trial = 2  # the first call pays for page faults: the second is the trial

    def __call__(self, *args):
        self.calls += 1
        trial = self.calls == self.next_trial
        single = self.one_thread != trial
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
                self._note(single, elapsed, trial)
            if trial:
                self.next_trial = self.calls + self.gap

    def _note(self, single: bool, elapsed: float, trial: bool) -> None:
        chosen = self.seconds[not single] if trial else None
        past = self.seconds[single]
        self.seconds[single] = elapsed if past is None else (
            PAST_WEIGHT * past + (1 - PAST_WEIGHT) * elapsed)
        every, one = self.seconds
        if every is not None and one is not None:
            self.one_thread = every > one * MARGIN
        if trial:
            faster = chosen is not None and elapsed < chosen * MARGIN
            self.gap = TRIAL_EVERY if faster else min(2 * self.gap, LONGEST_GAP)

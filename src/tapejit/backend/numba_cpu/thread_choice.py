"""A parallel kernel on a busy machine: as many of Numba's threads as cores are free.

Where Linux's CPU counters can be read, the other processes' load decides (`FreeCores`, see
cpu_load). Elsewhere, the kernel's own timings do (`ThreadChoice`), as follows.

With another process keeping a core busy, a parallel loop waits at its end for the thread
that shares that core, and ran slower than the same kernel on one thread (the chain
gradient: 5.93 against 5.56 ms on 2 cores). Threads change no bit of a result (parallel
loops write disjoint values, sums keep one order), so the kernel may run either way: now and
then it runs once the other way (a trial), and it keeps the way whose recent calls were
faster (a running mean of each). A trial costs the difference between the two ways (on an
idle machine, one thread took twice as long; on a busy one, all threads a few percent
longer), so trials that do not find the other way faster come at longer and longer gaps. A
trial that finds all threads faster is checked on a few calls in a row before they are kept
(PROBATION).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from numba import get_num_threads, set_num_threads

from tapejit.backend.numba_cpu.cpu_load import OtherLoad, machine_load

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
"""The running mean's weight of the past against the newest call, for the way chosen; the
way not chosen keeps its latest trial's time (a slow trial blended in kept one process on
all threads, with one thread's mean at 5.65 ms where its calls took 3.4)."""
MARGIN = 0.95
"""All threads are kept only while their mean is at least 5% below one thread's: on a busy
machine the two means were within noise of each other, and each switch to all threads,
on a lucky mean, cost more than its calls won."""


PROBATION = 6
"""Calls in a row on all threads after a trial found them faster, whose median decides
whether they are kept: a pool thread that slept since its last call gets a busy core at once
(the scheduler credits its sleep), so a lone all-threads trial on a busy machine ran in 2 ms
where calls in a row took 4.5 ms and one thread 3.4 ms. Judged by the trial alone, each
lucky one switched to all threads for a few slow calls and brought the next trial back to
TRIAL_EVERY calls: up to a fifth of a process's calls ran on all threads, 12% slower."""


def choose_threads(call: Callable) -> Callable:
    """`call` (a parallel kernel's entry) wrapped to run on the threads the machine leaves
    free: judged by the machine's load where it can be read, else by timing both ways."""
    load = machine_load()
    return FreeCores(call, load) if load is not None else ThreadChoice(call)


class FreeCores:
    """`call` on one thread per core other processes leave free (OtherLoad.threads), up to
    the caller's own numba.set_num_threads, which a call with fewer threads restores."""

    __slots__ = ("call", "load")

    def __init__(self, call: Callable, load: OtherLoad) -> None:
        self.call, self.load = call, load

    def __call__(self, *args):
        threads = get_num_threads()
        wanted = self.load.threads(threads, time.perf_counter()) if threads > 1 else 1
        if wanted == threads:
            return self.call(*args)
        set_num_threads(wanted)
        try:
            return self.call(*args)
        finally:
            set_num_threads(threads)


class ThreadChoice:
    """`call` (a parallel kernel's entry) on all threads or on one. A caller's own
    numba.set_num_threads stays its choice of 'all'; a one-thread call restores it. A caller
    that holds Numba to one thread leaves nothing to choose: such calls run as they are and
    are not counted (timed as 'all threads', they would blur that way's record)."""

    __slots__ = ("call", "compiled", "seconds", "calls", "one_thread", "gap", "next_trial",
                 "probation")

    def __init__(self, call: Callable) -> None:
        self.call = call
        self.compiled = getattr(call, "overloads", {})  # a dispatcher's compiled layouts
        self.seconds: list[float | None] = [None, None]  # running means: all threads, one
        self.calls = 0
        self.one_thread = False
        self.gap = TRIAL_EVERY
        self.next_trial = 2  # the first call pays for page faults: the second is the trial
        self.probation: list[float] | None = None  # all-threads times since a lucky trial

    def __call__(self, *args):
        threads = get_num_threads()
        if threads == 1:
            return self.call(*args)
        self.calls += 1
        on_probation = self.probation is not None
        trial = self.calls == self.next_trial and not on_probation
        single = self.one_thread != trial and not on_probation
        if single:
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
                if on_probation:
                    self._judge(elapsed)
                else:
                    self._note(single, elapsed, trial)
            if trial:
                self.next_trial = self.calls + self.gap

    def _note(self, single: bool, elapsed: float, trial: bool) -> None:
        chosen = self.seconds[not single] if trial else None
        faster = chosen is not None and elapsed < chosen * MARGIN  # a trial that won
        if faster and not single:
            self.probation = []
            return
        past = self.seconds[single]
        # a trial's way ran last many calls ago: its fresh time replaces the stale mean
        self.seconds[single] = elapsed if past is None or trial else (
            PAST_WEIGHT * past + (1 - PAST_WEIGHT) * elapsed)
        every, one = self.seconds
        if every is not None and one is not None:
            self.one_thread = every > one * MARGIN
        if trial:
            self._space_trials(faster)

    def _judge(self, elapsed: float) -> None:
        """One more call of the probation; after PROBATION, all threads are kept if their
        median beats one thread's mean by MARGIN, and the gap to the next trial follows."""
        self.probation.append(elapsed)
        if len(self.probation) < PROBATION:
            return
        every = sorted(self.probation)[PROBATION // 2]
        self.probation = None
        self.seconds[False] = every
        one = self.seconds[True]
        self.one_thread = one is not None and every > one * MARGIN
        self._space_trials(not self.one_thread)
        self.next_trial = self.calls + self.gap

    def _space_trials(self, won: bool) -> None:
        """The next trial soon after one that found the other way faster, later otherwise."""
        self.gap = TRIAL_EVERY if won else min(2 * self.gap, LONGEST_GAP)

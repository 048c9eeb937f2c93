"""A parallel kernel runs on all threads or on one, whichever its recent calls found faster
(a busy machine made the parallel loop slower than one thread), with the same bits."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import tapejit as tj
from tapejit.backend.numba_cpu import thread_choice
from tapejit.backend.numba_cpu.thread_choice import ThreadChoice

pytestmark = pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2,
                                reason="needs two of Numba's threads")


def _timed_kernel(monkeypatch, one_thread_cost: float, all_threads_cost: float):
    """A stand-in kernel whose calls advance a fake clock by the cost of the thread count it
    runs with, and the list of those counts."""
    clock, counts = [0.0], []
    monkeypatch.setattr(thread_choice.time, "perf_counter", lambda: clock[0])

    def kernel(x):
        threads = numba.get_num_threads()
        counts.append(threads)
        clock[0] += one_thread_cost if threads == 1 else all_threads_cost
        return x * 2
    return kernel, counts


@pytest.mark.parametrize("one,every,want_one", [(1.0, 2.0, True), (2.0, 1.0, False),
                                                (1.0, 0.97, True), (1.0, 0.9, False)])
def test_the_faster_way_is_kept_and_the_other_still_tried(monkeypatch, one, every, want_one):
    """All threads only when clearly faster (by MARGIN): within it, one thread is kept."""
    kernel, counts = _timed_kernel(monkeypatch, one, every)
    choice = ThreadChoice(kernel)
    assert [choice(i) for i in range(160)] == [2 * i for i in range(160)]
    later = counts[32:]
    singles = sum(c == 1 for c in later)
    assert (singles > 0.8 * len(later)) if want_one else (singles < 0.2 * len(later))
    assert 0 < singles < len(later)  # the way not chosen is tried now and then


def test_a_call_that_compiles_a_new_layout_is_not_timed(monkeypatch):
    """Its time is the compile's: noted, it would make its way look slow for many calls."""
    clock = [0.0]
    monkeypatch.setattr(thread_choice.time, "perf_counter", lambda: clock[0])

    class Dispatcher:  # Numba's: a new argument layout adds an overload, slowly
        def __init__(self) -> None:
            self.overloads: dict = {}

        def __call__(self, layout):
            if layout not in self.overloads:
                self.overloads[layout] = "compiled"
                clock[0] += 100.0
            clock[0] += 1.0
            return layout

    choice = ThreadChoice(Dispatcher())
    for layout in ("C", "C", "C"):
        choice(layout)
    noted = list(choice.seconds)
    assert noted == [1.0, 1.0]
    choice("F")
    assert choice.seconds == noted
    choice("F")
    assert choice.seconds == noted


def test_a_one_thread_call_restores_the_callers_own_thread_count(monkeypatch):
    kernel, counts = _timed_kernel(monkeypatch, 1.0, 2.0)
    choice = ThreadChoice(kernel)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(2)
        for i in range(40):
            choice(i)
            assert numba.get_num_threads() == 2
    finally:
        numba.set_num_threads(before)
    assert 1 in counts and 2 in counts


def test_calls_a_caller_holds_to_one_thread_are_not_counted(monkeypatch):
    """Nothing to choose there; timed as 'all threads', they would make that way look as
    fast as one thread."""
    kernel, counts = _timed_kernel(monkeypatch, 1.0, 2.0)
    choice = ThreadChoice(kernel)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert [choice(i) for i in range(20)] == [2 * i for i in range(20)]
        assert choice.calls == 0 and choice.seconds == [None, None] and counts == [1] * 20
        numba.set_num_threads(2)
        for i in range(40):
            choice(i)
    finally:
        numba.set_num_threads(before)
    assert choice.one_thread and choice.seconds == [2.0, 1.0]


class _EveryThread:
    """A machine load that leaves the caller every thread it allows."""

    def threads(self, most: int, now: float) -> int:
        return most


def test_a_parallel_kernel_gives_the_same_bits_whichever_way_it_runs(monkeypatch):
    f = tj.jit(lambda x: (tj.math.tanh(x) * x, tj.math.exp(-x * x) * 3.0))
    x = np.random.default_rng(0).standard_normal(1 << 17).astype(np.float32)
    first = f(x)
    f.wait()
    entry = f._entry((x,))[0].executable.kernel.entry
    assert isinstance(entry, (ThreadChoice, thread_choice.FreeCores))
    if isinstance(entry, thread_choice.FreeCores):  # on a busy machine it would take one
        monkeypatch.setattr(entry, "load", _EveryThread())
    before = numba.get_num_threads()
    try:
        for threads in (1, 2, 1, 2):
            numba.set_num_threads(threads)
            for outputs in [f(x) for _ in range(thread_choice.TRIAL_EVERY)]:
                for got, want in zip(outputs, first):
                    assert got.numpy().tobytes() == want.numpy().tobytes()
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("one,every", [(2.0, 1.0), (1.0, 1.03)])
def test_trials_of_a_way_no_faster_grow_rarer_and_a_change_is_still_noticed(monkeypatch, one,
                                                                           every):
    """On an idle machine one thread is clearly slower; on a busy one all threads are a few
    percent slower: trials of either grow rare, and a change is noticed at the next."""
    clock, costs, counts = [0.0], {1: one, 2: every}, []
    slow = 1 if one > every else 2
    monkeypatch.setattr(thread_choice.time, "perf_counter", lambda: clock[0])

    def kernel(x):
        threads = min(numba.get_num_threads(), 2)
        counts.append(threads)
        clock[0] += costs[threads]
        return x
    choice = ThreadChoice(kernel)
    for i in range(2000):
        choice(i)
    trials = counts.count(slow)
    assert 1 <= trials <= 2 + 2000 // thread_choice.LONGEST_GAP + 5
    assert trials < 2000 // thread_choice.TRIAL_EVERY // 4
    costs[slow], costs[3 - slow] = 1.0, 3.0  # the machine changed: the slow way is faster now
    for i in range(2 * thread_choice.LONGEST_GAP + 4 * thread_choice.TRIAL_EVERY):
        choice(i)
    assert choice.one_thread == (slow == 1)
    assert counts[-thread_choice.TRIAL_EVERY:].count(slow) >= thread_choice.TRIAL_EVERY - 1


def test_a_lone_fast_all_threads_trial_is_checked_on_calls_in_a_row(monkeypatch):
    """On a busy machine a pool thread that slept since its last call gets a core at once:
    a lone all-threads call is fast, calls in a row are slow. Trials that find it fast lead
    to a short probation, not to a switch, and grow rarer."""
    clock, counts = [0.0], []
    monkeypatch.setattr(thread_choice.time, "perf_counter", lambda: clock[0])

    def kernel(x):
        threads = min(numba.get_num_threads(), 2)
        rested = not counts or counts[-1] == 1
        counts.append(threads)
        clock[0] += 1.4 if threads == 1 else (1.0 if rested else 2.0)
        return x
    choice = ThreadChoice(kernel)
    for i in range(2000):
        choice(i)
    assert choice.one_thread
    probations = 2000 // thread_choice.LONGEST_GAP + 6  # gaps 16, 32, ... then every 256
    assert counts.count(2) <= 3 + probations * (1 + thread_choice.PROBATION)


def test_one_slow_trial_does_not_hold_the_other_way_off_for_long(monkeypatch):
    """The way not chosen is judged by its latest trial, not by a mean that a single slow
    trial long ago still weighs down."""
    clock, counts = [0.0], []
    monkeypatch.setattr(thread_choice.time, "perf_counter", lambda: clock[0])

    def kernel(x):
        threads = min(numba.get_num_threads(), 2)
        counts.append(threads)
        outlier = threads == 1 and counts.count(1) == 1
        clock[0] += 10.0 if outlier else (1.0 if threads == 1 else 1.5)
        return x
    choice = ThreadChoice(kernel)
    for i in range(2 + 2 * thread_choice.TRIAL_EVERY + 2):  # trials at calls 2 and 34
        choice(i)
    assert choice.one_thread

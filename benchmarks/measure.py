"""Timing and memory measurement: warm-up, calibrated repeats, robust statistics, RSS peaks."""

from __future__ import annotations

import ctypes
import gc
import math
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

_M_MMAP_THRESHOLD = -3


@dataclass(frozen=True)
class Timing:
    """Seconds per call over `repeats` samples of `number` calls each; `cpu_median` is the
    median CPU time per call of the whole process (all its threads: a call on two threads
    busy for 1 ms costs 2 ms), None where it was not measured; `samples` the per-call times
    in the order taken (time_interleaved's round by round)."""

    median: float
    q1: float
    q3: float
    min: float
    max: float
    repeats: int
    number: int
    cpu_median: float | None = None
    samples: tuple[float, ...] = ()

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Budget:
    """How long to spend on one timing: samples last at least `sample_s`; sampling stops
    after `repeats` samples, or after `max_s` once three samples are in."""

    repeats: int = 15
    sample_s: float = 0.02
    warmup_s: float = 0.1
    max_s: float = 4.0


def first_call(fn: Callable[[], object]) -> tuple[float, object]:
    """Seconds taken by one call (the first one pays for tracing and compiling)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def time_calls(fn: Callable[[], object], budget: Budget) -> Timing:
    """Warm `fn` up, pick a loop count so one sample lasts `budget.sample_s`, then sample
    with the garbage collector paused inside each sample (as timeit does)."""
    once = _warm_up(fn, budget.warmup_s)
    number = max(1, int(budget.sample_s / max(once, 1e-9)))
    samples: list[float] = []
    cpu: list[float] = []
    gc.collect()
    started = time.perf_counter()
    while len(samples) < budget.repeats:
        wall, used = _sample_both(fn, number)
        samples.append(wall / number)
        cpu.append(used / number)
        if len(samples) >= 3 and time.perf_counter() - started > budget.max_s:
            break
    return summarize(samples, number, cpu)


def time_interleaved(fns: list[Callable[[], object]], budget: Budget) -> list[Timing]:
    """Time several calls side by side: one sample of each per round, so a change in the
    machine's load hits them all alike. Stops after `budget.repeats` rounds, or once three
    rounds are in and `budget.max_s` per call has passed."""
    numbers = [max(1, int(budget.sample_s / max(_warm_up(f, budget.warmup_s), 1e-9)))
               for f in fns]
    samples: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    gc.collect()
    started = time.perf_counter()
    for round_ in range(budget.repeats):
        for i in _rotated(len(fns), round_):
            wall, used = _sample_both(fns[i], numbers[i])
            samples[i].append(wall / numbers[i])
            cpu[i].append(used / numbers[i])
        if round_ >= 2 and time.perf_counter() - started > budget.max_s * len(fns):
            break
    return [summarize(s, n, c) for s, n, c in zip(samples, numbers, cpu)]


def _rotated(count: int, shift: int) -> list[int]:
    return [(i + shift) % count for i in range(count)]


def _warm_up(fn: Callable[[], object], seconds: float) -> float:
    """Call for `seconds` (at least three calls; only three when a call is slower than
    that); return the per-call time of the fastest batch of calls."""
    best, started, calls, batch = float("inf"), time.perf_counter(), 0, 1
    while calls < 3 or time.perf_counter() - started < seconds:
        best = min(best, _sample(fn, batch) / batch)
        calls += batch
        if calls >= 3 and best > seconds:
            break
        batch = min(batch * 2, max(1, int(0.005 / max(best, 1e-9))))
    return best


def _sample(fn: Callable[[], object], number: int) -> float:
    return _sample_both(fn, number)[0]


def _sample_both(fn: Callable[[], object], number: int) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of `number` calls, the garbage collector paused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(number):
            fn()
        return time.perf_counter() - start, time.process_time() - start_cpu
    finally:
        if enabled:
            gc.enable()


def summarize(samples: list[float], number: int = 1,
              cpu: list[float] | None = None) -> Timing:
    """Median, quartiles and extremes of per-call times (and the median CPU time per call)."""
    ordered = sorted(samples)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return Timing(statistics.median(ordered), q1, q3, ordered[0], ordered[-1], len(ordered),
                  number, statistics.median(cpu) if cpu else None, tuple(samples))


def paired_ratios(ours: Timing, theirs: Timing) -> list[float]:
    """Round by round, one interleaved call's time over the other's: a change in the
    machine's speed between rounds falls on both sides of each ratio."""
    return [a / b for a, b in zip(ours.samples, theirs.samples)]


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """(low, median, high): the median and a distribution-free confidence interval for it,
    between the order statistics the binomial distribution of values below the median puts
    `confidence` between (normal approximation; the extremes for fewer than 6 values)."""
    ordered, n = sorted(values), len(values)
    z = statistics.NormalDist().inv_cdf((1 + confidence) / 2)
    half = z * n ** 0.5 / 2
    low = max(0, math.floor(n / 2 - half))
    high = min(n - 1, math.ceil(n / 2 + half) - 1)
    return ordered[low], statistics.median(ordered), ordered[high]


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_bytes() -> int | None:
    """Current resident set size (VmRSS), or None where /proc is missing."""
    kib = _status_kib("VmRSS")
    return None if kib is None else kib * 1024


def peak_rss_bytes() -> int:
    """High-water mark of the resident set (VmHWM, else getrusage's ru_maxrss)."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * 1024


def reset_peak_rss() -> bool:
    """Lower the high-water mark to the current RSS (Linux clear_refs); False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def pin_malloc(threshold: int = 64 * 1024) -> bool:
    """Make glibc serve blocks of `threshold` bytes and more with mmap and give them back on
    free (its default raises the threshold after the first big free, so a warm-up call's
    freed arrays stay resident and hide the next call's growth). False off glibc."""
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))
    except (OSError, AttributeError):
        return False


def peak_growth(fn: Callable[[], object]) -> dict:
    """Bytes the peak RSS rises above the current RSS while `fn` runs once (its result is
    kept alive until the peak is read, so the growth includes the output)."""
    gc.collect()
    exact = reset_peak_rss()
    before = rss_bytes() if exact else peak_rss_bytes()
    result = fn()
    peak = peak_rss_bytes()
    del result
    return {"growth_bytes": max(0, peak - (before or 0)), "baseline_rss_bytes": before,
            "peak_rss_bytes": peak, "exact": exact}

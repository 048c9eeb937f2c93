"""Measures every library on one case of a timed workload: first and second call, a check
of the result against NumPy, then warm timings taken side by side; for tapejit also the
compile phases and the split of a warm call into dispatch and kernel."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from types import ModuleType

import numpy as np

from benchmarks.measure import Budget, Timing, first_call, paired_ratios, time_interleaved
from benchmarks.results import Row
from benchmarks.subject import Case, Subject, relative_error, tolerance

_floor = None


def measure_case(workload: ModuleType, case: Case, libraries: list[str],
                 budget: Budget) -> list[Row]:
    """One Row (metric 'time') per library; a library that raises gets an error status."""
    rows, subjects = [], []
    conditions = getattr(workload, "conditions", lambda params: contextlib.nullcontext())
    with conditions(case.params):  # busy.py starts a spinning process
        for library in libraries:
            row = Row(workload.NAME, case.name, library)
            rows.append(row)
            subject = _attempt(row, lambda row=row: prepare(row, workload, case))
            if subject is not None:
                subjects.append((row, subject))
                for name, companion in subject.companions.items():
                    rows.append(Row(workload.NAME, case.name, name, note=companion.note))
                    subjects.append((rows[-1], companion))
        _attempt_all(subjects, budget)
    return rows



def _attempt(row: Row, action: Callable[[], object]):
    try:
        return action()
    except Exception as e:
        row.status = f"error: {type(e).__name__}: {_first_line(e)}"
        return None


def prepare(row: Row, workload: ModuleType, case: Case) -> Subject:
    """Build the library's subject, time its first two calls and check its result."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        subject = workload.build(row.library, case.params)
        seconds, result = first_call(subject.run)
        second, _ = first_call(subject.run)
        if subject.jitted is not None:
            subject.jitted.wait()  # time the kernel, not the first tier that answers meanwhile
    row.note = subject.note
    row.extra.update(first_call_s=seconds, second_call_s=second,
                     warnings=sorted({_warning_text(w) for w in caught}))
    if subject.checked:
        row.extra.update(check(result, workload.reference(case.params), case.params))
    return subject


def _attempt_all(subjects: list[tuple[Row, Subject]], budget: Budget) -> None:
    """Time all subjects together; if that fails, time each alone so one library's failure
    spares the others."""
    try:
        time_subjects(subjects, budget)
    except Exception:
        for row, subject in subjects:
            _attempt(row, lambda row=row, subject=subject: time_subjects([(row, subject)],
                                                                         budget))


def time_subjects(subjects: list[tuple[Row, Subject]], budget: Budget) -> None:
    """Interleaved warm timings; tapejit's kernel and a bare Numba call are timed beside. A
    companion's row also gets `paired_ratios`: its subject's time over its own, round by
    round."""
    calls, slots = [], []
    for _, subject in subjects:
        slots.append(len(calls))
        calls.append(subject.run)
        if subject.jitted is not None:
            calls += [subject.jitted.kernel_call(*subject.args), numba_floor(subject.args)]
    timings = time_interleaved(calls, budget)
    timed = {id(subject): (row, timings[slot]) for (row, subject), slot in zip(subjects, slots)}
    for (row, subject), slot in zip(subjects, slots):
        row.value, row.timing = timings[slot].median, timings[slot].as_dict()
        if subject.jitted is not None:
            row.extra["tapejit"] = breakdown(subject, *timings[slot:slot + 3])
        for companion in subject.companions.values():
            if id(companion) in timed:
                companion_row, theirs = timed[id(companion)]
                companion_row.extra["paired_ratios"] = paired_ratios(timings[slot], theirs)


def check(result, expected, params: dict) -> dict:
    """Whether the result matches the NumPy reference within the dtype's tolerance."""
    error = relative_error(result, expected)
    ok = error <= tolerance(params.get("dtype", "float32"))
    return {"check": "ok" if ok else "MISMATCH", "rel_error": error}


def breakdown(subject: Subject, total: Timing, kernel: Timing, floor: Timing) -> dict:
    """tapejit's compile phases (compile_stats) and its warm call split into the kernel
    (kernel_call) and the dispatch around it, beside a bare Numba call's cost."""
    jitted = subject.jitted
    return {"phases": jitted.compile_stats(*subject.args), "cache_info": _cache_info(jitted),
            "kernel": kernel.as_dict(), "dispatch_s": total.median - kernel.median,
            "numba_floor": floor.as_dict()}


def numba_floor(args: tuple) -> Callable[[], object]:
    """A no-argument call of a compiled Numba function that takes `args` and returns the
    first: the cost of crossing into native code with these arguments."""
    global _floor
    if _floor is None:
        from numba import njit

        _floor = njit(lambda *a: a[0])
    plain = tuple(np.asarray(a) if hasattr(a, "numpy") else a for a in args)
    _floor(*plain)
    return lambda: _floor(*plain)


def _cache_info(jitted) -> dict:
    info = jitted.cache_info()
    return {"hits": info.hits, "misses": info.misses, "size": info.size,
            "last_miss": info.last_miss}


def _warning_text(w: warnings.WarningMessage) -> str:
    return f"{w.category.__name__}: {_first_line(w.message)}"[:300]


def _first_line(e: object) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else ""

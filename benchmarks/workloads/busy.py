"""The chain gradient on a busy machine: while a process the harness starts spins on one
core, tapejit's kernel (threads as it chooses), the same kernel held to one thread, and
NumPy. A parallel kernel must never lose to the serial one here.

The kernel held to one thread is timed in tapejit's own processes, its calls interleaved
with tapejit's: the two run the same machine code, and from one fresh process to the next
the spinning process slows a kernel by anything from 0 to 15% (where the scheduler puts
it), which separate processes would show as a difference between the two."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time

from benchmarks.subject import Case, Subject
from benchmarks.workloads import chain

NAME = "busy"
TITLE = "chain gradient with one other core busy (a spinning process)"
BASELINE = "numpy"
PROCESS_REPEATS = 3  # fresh processes per library, in rounds (task.timed_tasks)
LIBRARIES = ("tapejit", "numpy")
SIZES = (2_000_000,)
SMOKE_SIZES = (10_000,)
SPIN = "while True:\n    pass\n"


def cases(options) -> list[Case]:
    sizes = SMOKE_SIZES if options.smoke else SIZES
    return [Case(f"n={chain.size_label(n)} float32, 1 core busy", {"n": n, "dtype": "float32"})
            for n in sizes]


input_bytes = chain.input_bytes
reference = chain.reference


@contextlib.contextmanager
def conditions(params: dict):
    """One process spinning for as long as the case is measured."""
    spinner = subprocess.Popen([sys.executable, "-c", SPIN])
    time.sleep(0.2)
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def build(library: str, params: dict) -> Subject:
    subject = chain.build(library, params)
    if library == "tapejit":
        subject.companions["tapejit-serial"] = Subject(
            _one_thread(subject.run), checked=False,
            note="the same kernel, numba.set_num_threads(1), timed in tapejit's process")
    return subject


def _one_thread(run):
    import numba

    def serial():
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            return run()
        finally:
            numba.set_num_threads(threads)
    return serial

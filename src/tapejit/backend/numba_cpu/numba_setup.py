"""Numba settings tapejit applies before Numba compiles anything.

On CPUs with AVX-512, LLVM's default tuning keeps vectors 256 bits wide. For tapejit's
kernels (straight-line vectorized math over long arrays) 512-bit vectors were measured 1.4x
faster here (chain gradient at 2e6 float32: 3.9 -> 2.8 ms), so unless the user configured
Numba's CPU features or set TAPEJIT_WIDE_VECTORS=0, tapejit lifts that preference. It is a
process-wide Numba setting and only takes effect if Numba has not compiled anything yet.

Parallel kernels run on Numba's OpenMP pool, whose threads by default spin for a long time
after each parallel loop, waiting for the next. When another process is busy, a spinning or
descheduled thread holds the others at every loop's end: measured here under load, the chain
gradient at 1e5 float32 took 12 ms instead of the serial kernel's 0.45 ms. Threads that sleep
at once (OMP_WAIT_POLICY=PASSIVE) never do that but pay a wake-up per loop: on an idle
machine 1e5 took 256 us instead of 167 us. A short spin (GOMP_SPINCOUNT=10000) kept both:
165 us idle, and with one core busy the parallel kernel at 2e6 took 5.9 ms against the serial
one's 7.5 ms. tapejit sets it unless the user chose a policy or a spin count.
"""

from __future__ import annotations

import os
import threading

from tapejit.backend.numba_cpu import blas_preload
from tapejit.config import config

SPIN_COUNT = "10000"
_DONE: list[bool] = []
_WARMING: list[threading.Thread] = []


def configure() -> None:
    """Apply the settings once, before the first Numba compile in this process."""
    if _DONE:
        return
    _DONE.append(True)
    blas_preload.preload()
    if not (os.environ.get("OMP_WAIT_POLICY") or os.environ.get("GOMP_SPINCOUNT")):
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT  # read when Numba loads OpenMP, later
    if not config.wide_vectors or os.environ.get("NUMBA_CPU_FEATURES"):
        return
    import llvmlite.binding as llvm
    from numba.core import config as numba_config

    features = llvm.get_host_cpu_features()
    if numba_config.CPU_FEATURES is None and features.get("avx512f"):
        numba_config.CPU_FEATURES = features.flatten() + ",-prefer-256-bit"


def cpu_features() -> str:
    """The CPU features Numba compiles for (part of every kernel's cache key)."""
    import llvmlite.binding as llvm
    from numba.core import config as numba_config

    return numba_config.CPU_FEATURES or llvm.get_host_cpu_features().flatten()


def warm_up_in_background() -> None:
    """Once per process: load Numba's CPU target in a thread (its registries of
    implementations, about 0.3 s of imports the first kernel call would otherwise wait for),
    so that a first call made a moment later, after the data is loaded, finds it ready.
    It holds Numba's compiler lock, so a compile that comes first simply waits for it."""
    if _WARMING:
        return
    configure()

    def warm() -> None:
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.registry import cpu_target

        with global_compiler_lock:
            cpu_target.target_context.refresh()

    thread = threading.Thread(target=warm, name="tapejit-numba-warm-up", daemon=True)
    _WARMING.append(thread)
    thread.start()

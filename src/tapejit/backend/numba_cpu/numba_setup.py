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

from tapejit.backend.numba_cpu import array_typeof, blas_preload, heap, numba_environments
from tapejit.config import config

SPIN_COUNT = "10000"
_DONE: list[bool] = []
_WARMING: list[threading.Thread] = []


def configure() -> None:
    """Apply the settings once, before the first Numba compile in this process."""
    if _DONE:
        return
    _DONE.append(True)
    array_typeof.install()
    numba_environments.install()
    blas_preload.preload()
    if config.keep_freed_memory:
        heap.keep_freed_memory()
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
    """Once per process, in a thread: start Numba's runtime (NRT, compiled at its first use),
    which every first call needs, so that a first call made a moment later finds it done.

    It does not refresh Numba's whole CPU target (about 0.3 s of imports and registries,
    holding the compiler lock): loading a cached kernel does not need it (see
    `load_without_refresh`), and a compile does it itself."""
    if _WARMING:
        return
    configure()

    def warm() -> None:
        from numba.core.registry import cpu_target
        from numba.core.runtime import nrt

        nrt.rtsys.initialize(cpu_target.target_context)

    thread = threading.Thread(target=warm, name="tapejit-numba-warm-up", daemon=True)
    _WARMING.append(thread)
    thread.start()


def load_without_refresh(dispatcher) -> None:
    """Make `dispatcher` read its cached code without refreshing the CPU target first.

    Numba refreshes the target (importing and registering every implementation it has)
    before each cache read, though rebuilding a cached function needs only the runtime: on
    a warm cache that refresh was about half of a first call. A cache miss still compiles
    through Numba's compiler, which refreshes the target itself."""
    cache = getattr(dispatcher, "_cache", None)
    read = getattr(cache, "_load_overload", None)
    guard = getattr(cache, "_guard_against_spurious_io_errors", None)
    if read is None or guard is None:
        return

    def load_overload(sig, target_context):
        from numba.core.runtime import nrt

        nrt.rtsys.initialize(target_context)
        with guard():
            return read(sig, target_context)
        return None  # the guard swallowed an I/O error: compile instead

    cache.load_overload = load_overload


def load_cached(dispatcher, args) -> object | None:
    """The entry point for `args`' types, read from `dispatcher`'s disk cache as Numba's own
    `Dispatcher.compile` reads it, or None when it is not there (then compile as usual).

    It skips what Numba runs before a first compile in a process: a scan of every installed
    distribution for Numba extensions (3 to 10 ms measured here, more in large
    environments), which only a compile can need. The next compile runs it as usual."""
    from numba.core.compiler_lock import global_compiler_lock

    signature = tuple(dispatcher.typeof_pyval(a) for a in args)
    with global_compiler_lock:
        existing = dispatcher.overloads.get(signature)
        if existing is not None:
            return existing.entry_point
        compiled = dispatcher._cache.load_overload(signature, dispatcher.targetctx)
        if compiled is None or compiled.objectmode:
            return None
        dispatcher._cache_hits[signature] += 1
        dispatcher.targetctx.insert_user_function(compiled.entry_point, compiled.fndesc,
                                                  [compiled.library])
        dispatcher.add_overload(compiled)
        return compiled.entry_point

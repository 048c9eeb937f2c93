"""Settings, read from TAPEJIT_* environment variables at import and changeable at run time."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


def _env_int(name: str, default: int = 0) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        return 1 if value.lower() in ("true", "yes", "on") else default


def _env_switch(name: str) -> bool | None:
    """None when the variable is unset or empty (the setting's automatic default)."""
    return bool(_env_int(name)) if os.environ.get(name, "").strip() else None


@dataclass
class Config:
    """tapejit's switches.

    debug: TAPEJIT_DEBUG levels: 1 compile/cache events and None-gradient hints, 2 IR after
        trace and autodiff, 3 after every pass, 4 kernel source.
    checks: TAPEJIT_CHECKS=1 runs the verifier after every pass.
    disable_jit: TAPEJIT_DISABLE_JIT=1 runs jitted functions eagerly (prints and pdb in your
        code work); TAPEJIT_DISABLE_JIT=kernels traces and generates kernels as usual but runs
        their source as plain Python, so pdb can step through a fused kernel.
    check_jit: TAPEJIT_CHECK_JIT=1 runs compiled and eager side by side and compares.
    debug_nans: TAPEJIT_DEBUG_NANS=1 reports the first equation that makes a NaN or inf.
    disk_cache: TAPEJIT_DISK_CACHE=0 turns the on-disk kernel cache off.
    cache_dir: TAPEJIT_CACHE_DIR, where compiled kernels are kept.
    sync_compile: TAPEJIT_SYNC_COMPILE=1 makes a new signature's first call wait for its
        kernel. By default the first tier answers (each equation on a kernel shared by every
        program, the same bits as the specialized kernel) while that kernel compiles in a
        thread; `f.wait()` blocks until it has taken over.
    compile_workers: TAPEJIT_COMPILE_WORKERS, worker processes that compile kernels meanwhile
        (1, the default: off the caller's GIL; 0: in a thread of the caller).
    first_tier_dir: TAPEJIT_FIRST_TIER_DIR, where the first tier's shared kernels are kept
        (default: the `first-tier` folder of the default cache root, whatever
        TAPEJIT_CACHE_DIR says).
    precompile: TAPEJIT_PRECOMPILE=0 keeps the first use of tapejit on a machine from
        compiling the first tier's common kernels in a background process (`python -m
        tapejit precompile` does it in the foreground).
    first_tier_compile_threaded: the first tier runs a large elementwise step on a threaded
        kernel only when that kernel is compiled on disk already; True compiles it
        when it is not (`python -m tapejit precompile` does so for the common ones).
    wide_vectors: TAPEJIT_WIDE_VECTORS=0 keeps LLVM's 256-bit vectors on AVX-512 CPUs (read
        before Numba's first compile; see backend/numba_setup.py).
    jit_cache_size: TAPEJIT_JIT_CACHE_SIZE, signatures each jitted function keeps (least
        recently used ones are dropped and retrace when they come back).
    kernel_cache_size: TAPEJIT_KERNEL_CACHE_SIZE, compiled kernels kept in memory (the disk
        keeps all).
    vjp_cache_size: TAPEJIT_VJP_CACHE_SIZE, single-op VJPs the eager tape keeps.
    reroll: TAPEJIT_REROLL=0 keeps unrolled Python loops unrolled under jit (by default a
        block repeated 8 or more times in a row becomes a scan).
    parallel_convolutions: whether a large convolution's chunks and a large pooling's batch
        items run on threads (the same bits as serially; each such equation adds 2 to 5 s to
        its kernel's first compile, once per machine). None, the default: a signature first
        runs the serial kernel, and the compile worker then compiles the threaded one, which
        takes over when ready (at once when on disk; directly with sync_compile; never
        without a compile worker, as the caller's process would compile it).
        TAPEJIT_PARALLEL_CONVOLUTIONS=1 (True) compiles only the threaded kernel, =0 (False)
        only the serial one.
    keep_freed_memory: TAPEJIT_KEEP_FREED_MEMORY=0 leaves glibc's allocator as it is; by
        default it keeps up to 128 MiB of freed memory, so that a kernel's temporaries do
        not fault their pages in on every call (read before Numba's first compile; see
        backend/numba_cpu/heap.py).
    numpy_blas: TAPEJIT_NUMPY_BLAS=0 keeps kernels' matrix products on Numba's np.dot
        (SciPy's BLAS); by default they call NumPy's own BLAS when it can be found, so the
        process has one BLAS thread pool (read at the first kernel generated; see
        backend/numba_cpu/numpy_blas.py).
    """

    debug: int = 0
    checks: bool = False
    disable_jit: bool | str = False
    check_jit: bool = False
    debug_nans: bool = False
    disk_cache: bool = True
    cache_dir: str = ""
    sync_compile: bool = False
    compile_workers: int = 1
    first_tier_dir: str = ""
    precompile: bool = True
    first_tier_compile_threaded: bool = False
    wide_vectors: bool = True
    jit_cache_size: int = 1024
    kernel_cache_size: int = 1024
    vjp_cache_size: int = 4096
    reroll: bool = True
    parallel_convolutions: bool | None = None
    keep_freed_memory: bool = True
    numpy_blas: bool = True

    @classmethod
    def from_env(cls) -> Config:
        return cls(
            debug=_env_int("TAPEJIT_DEBUG"),
            checks=bool(_env_int("TAPEJIT_CHECKS")),
            disable_jit=_disable_jit(os.environ.get("TAPEJIT_DISABLE_JIT", "")),
            check_jit=bool(_env_int("TAPEJIT_CHECK_JIT")),
            debug_nans=bool(_env_int("TAPEJIT_DEBUG_NANS")),
            disk_cache=bool(_env_int("TAPEJIT_DISK_CACHE", 1)),
            cache_dir=os.environ.get("TAPEJIT_CACHE_DIR", ""),
            sync_compile=bool(_env_int("TAPEJIT_SYNC_COMPILE")),
            compile_workers=_env_int("TAPEJIT_COMPILE_WORKERS", 1),
            first_tier_dir=os.environ.get("TAPEJIT_FIRST_TIER_DIR", ""),
            precompile=bool(_env_int("TAPEJIT_PRECOMPILE", 1)),
            wide_vectors=bool(_env_int("TAPEJIT_WIDE_VECTORS", 1)),
            jit_cache_size=_env_int("TAPEJIT_JIT_CACHE_SIZE", 1024),
            kernel_cache_size=_env_int("TAPEJIT_KERNEL_CACHE_SIZE", 1024),
            vjp_cache_size=_env_int("TAPEJIT_VJP_CACHE_SIZE", 4096),
            reroll=bool(_env_int("TAPEJIT_REROLL", 1)),
            parallel_convolutions=_env_switch("TAPEJIT_PARALLEL_CONVOLUTIONS"),
            keep_freed_memory=bool(_env_int("TAPEJIT_KEEP_FREED_MEMORY", 1)),
            numpy_blas=bool(_env_int("TAPEJIT_NUMPY_BLAS", 1)),
        )

    def update(self, name: str, value) -> None:
        """Change one setting, e.g. tj.config.update("disable_jit", True)."""
        if name not in {f.name for f in fields(self)}:
            raise AttributeError(f"tapejit has no setting {name!r}; settings: "
                                 f"{', '.join(f.name for f in fields(self))}")
        if name == "disable_jit" and value != "kernels":
            value = bool(value)
        setattr(self, name, value)


def _disable_jit(value: str) -> bool | str:
    value = value.strip().lower()
    if value == "kernels":
        return "kernels"
    return value not in ("", "0", "false", "no", "off")


config = Config.from_env()

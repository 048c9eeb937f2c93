"""Which backend runs a program: the Numba kernel when its code can express the program and
Numba compiles it, the NumPy interpreter otherwise (saying why)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

from tapejit.backend.interface import Kernel, LoweringError
from tapejit.backend.interpreter import InterpreterBackend
from tapejit.backend.numba_cpu import NumbaBackend
from tapejit.backend.numba_cpu.compile_worker import start_compile_worker
from tapejit.backend.numba_cpu.kernel_cache import first_tier_counts
from tapejit.backend.numba_cpu.numba_setup import warm_up_in_background
from tapejit.backend.numba_cpu.warmup import start_in_background
from tapejit.backend.split import KERNEL_BUDGET, PartsKernel, program_weight, split_program
from tapejit.debug import debug
from tapejit.ir import Program

__all__ = ["Executable", "build", "first_tier", "first_tier_counts", "interpreted",
           "start_compile_worker", "start_in_background", "threaded_variant",
           "warm_up_in_background"]
"""What the layers above use (the last four: the first tier's counts, the compile worker,
its first-use precompile, Numba's warm-up thread)."""

NUMBA = NumbaBackend()
INTERPRETER = InterpreterBackend()


class Executable:
    """A program and the kernel that runs it; `why_interpreted` is empty when that kernel is
    compiled, and says why the interpreter runs it otherwise."""

    def __init__(self, program: Program, kernel: Kernel, why_interpreted: str = "") -> None:
        self.program = program
        self.kernel = kernel
        self.why_interpreted = why_interpreted

    @property
    def compiled(self) -> bool:
        return not self.why_interpreted

    @property
    def on_disk(self) -> bool:
        """Whether the kernel's compiled code is in the disk cache already (loading it is
        quicker than starting the first tier)."""
        return bool(getattr(self.kernel, "compiled_on_disk", False))

    @property
    def source(self) -> str:
        return self.kernel.source

    def __call__(self, arrays: Sequence) -> tuple:
        return self.kernel(arrays)

    @property
    def serial_convolutions(self) -> bool:
        """Whether a large convolution or pooling runs serially here (`threaded_variant`)."""
        return any(getattr(k, "serial_convolutions", False) for k in _kernels(self.kernel))

    def first_call(self, arrays: Sequence, answers: list | None = None,
                   fall_back: bool = True) -> tuple:
        """Call once (a compiled kernel compiles or loads here); if the compiled kernel
        fails, warn and run the interpreter from now on (or raise, without `fall_back`).
        With a list of `answers`, kernels are compiled by the compile worker first (its
        answers are appended) and loaded."""
        try:
            elsewhere = getattr(self.kernel, "first_call_elsewhere", None)
            if answers is not None and elsewhere is not None and self.compiled:
                return elsewhere(arrays, answers)
            return self.kernel.first_call(arrays)
        except Exception as e:
            if not self.compiled or not fall_back or isinstance(e, MemoryError):
                raise
            self.why_interpreted = f"Numba failed: {_warn_fallback(e)}"
            NUMBA.remember_failure(self.kernel, e, self.why_interpreted)
            self.kernel = INTERPRETER.load(INTERPRETER.lower(self.program))
            return self(arrays)


def interpreted(program: Program, why: str) -> Executable:
    """The program run by the NumPy interpreter."""
    return Executable(program, INTERPRETER.load(INTERPRETER.lower(program)), why)


def first_tier(program: Program) -> Executable | None:
    """The program on the first tier (the specialized kernel's bits at once), or None when
    the first tier cannot run it exactly (it then waits for its kernel)."""
    try:
        return Executable(program, NUMBA.first_tier(program))
    except LoweringError as e:
        debug(1, f"no first tier: {e}")
        return None


def threaded_variant(program: Program, kernel: Executable) -> Executable | None:
    """The program's kernel with its large convolutions and poolings on threads, when
    `kernel` (its serial one) runs any of them serially; None otherwise."""
    if not kernel.compiled or not kernel.serial_convolutions:
        return None
    variant = build(program, threaded_convolutions=True)
    return variant if variant.compiled else None


def build(program: Program, timings: dict | None = None, *,
          threaded_convolutions: bool = False) -> Executable:
    """Generate and load a kernel for `program` (fused), or fall back to interpreting it; a
    big program becomes several kernels (backend/split.py). threaded_convolutions: large
    convolutions' chunks and poolings' batch items run in a prange (conv_code.py)."""
    timings = {} if timings is None else timings
    if program_weight(program) > KERNEL_BUDGET:
        parts = split_program(program, KERNEL_BUDGET)
        if len(parts) > 1:
            runners = [build(part, timings, threaded_convolutions=threaded_convolutions)
                       for part in parts]
            return Executable(program, PartsKernel(program, parts, runners))
    start = time.perf_counter()
    try:
        source = NUMBA.lower(program, threaded_convolutions=threaded_convolutions)
    except LoweringError as e:
        return interpreted(program, str(e))
    finally:
        timings["codegen_s"] = time.perf_counter() - start
    debug(4, f"kernel source\n{source.text}")
    failed_before = NUMBA.known_failure(source)
    if failed_before:
        warnings.warn(f"tapejit: {failed_before} (remembered from an earlier process); running "
                      f"this function with the NumPy interpreter instead. This is a tapejit "
                      f"bug: please report it with TAPEJIT_DEBUG=4 output.", RuntimeWarning,
                      stacklevel=3)
        return interpreted(program, failed_before)
    start = time.perf_counter()
    try:
        kernel = NUMBA.load(source, program)
    except Exception as e:  # a broken generated module must not break the user's call
        _warn_fallback(e)
        return interpreted(program, f"kernel module failed to load: {e}")
    timings["load_s"] = time.perf_counter() - start
    return Executable(program, kernel)


def _kernels(kernel: Kernel) -> list:
    """A kernel, or the kernels of a split program's parts."""
    runners = getattr(kernel, "runners", None)
    return [kernel] if runners is None else [k for r in runners for k in _kernels(r.kernel)]


def _warn_fallback(e: Exception) -> str:
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    message = " - ".join(lines[:2])[:300] if lines else type(e).__name__  # Numba: step, cause
    warnings.warn(f"tapejit: the Numba kernel failed to compile ({type(e).__name__}: "
                  f"{message}); running this function with the NumPy interpreter instead. "
                  f"This is a tapejit bug: please report it with TAPEJIT_DEBUG=4 output.",
                  RuntimeWarning, stacklevel=4)
    return message

"""Fused program → runnable executable: Numba kernel when the codegen can express it,
the NumPy interpreter otherwise."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from tapejit.backend.codegen import CodegenError, KernelSource, generate
from tapejit.config import config
from tapejit.ir import Program


@dataclass
class Executable:
    """Runs a program on flat arrays; `source` is None when it runs in the interpreter
    (which runs the unfused `program`)."""

    program: Program
    source: KernelSource | None
    kernel: object
    why_interpreted: str = ""
    handle: object = None

    def __call__(self, arrays: list) -> tuple:
        if self.source is None:
            return _interpret(self.program, arrays)
        kernel = self.kernel.py_func if config.disable_jit == "kernels" else self.kernel
        return kernel(self.source.sizes, self.source.consts, *arrays)


def _interpret(program: Program, arrays: list) -> tuple:
    from tapejit.backend.interpret import eval_program
    from tapejit.tensor import Tensor

    outs = eval_program(program, arrays)
    values = (o._value if isinstance(o, Tensor) else o for o in outs)
    return tuple(np.array(v) if isinstance(v, np.ndarray) else v for v in values)



def load_source(text: str):
    """The kernel defined by generated source, through the kernel cache."""
    from tapejit.backend.kernel_cache import default_cache

    return default_cache().load(text)


def build(program: Program, fused: Program, timings: dict | None = None,
          fastmath: bool = True) -> Executable:
    """Generate and load a kernel for the fused form of `program`, or fall back to
    interpreting `program`."""
    timings = {} if timings is None else timings
    start = time.perf_counter()
    try:
        source = generate(fused, fastmath=fastmath)
    except CodegenError as e:
        return Executable(program, None, None, str(e))
    finally:
        timings["codegen_s"] = time.perf_counter() - start
    if config.debug >= 4:
        print(f"tapejit: kernel source\n{source.text}")
    start = time.perf_counter()
    try:
        handle = load_source(source.text)
        timings["load_s"] = time.perf_counter() - start
    except Exception as e:  # a broken generated module must not break the user's call
        _warn_fallback(e)
        return Executable(program, None, None, f"kernel module failed to load: {e}")
    return Executable(program, source, handle.fn, handle=handle)


def _warn_fallback(e: Exception) -> str:
    message = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
    warnings.warn(f"tapejit: the Numba kernel failed to compile ({type(e).__name__}: "
                  f"{message}); running this function with the NumPy interpreter instead. "
                  f"This is a tapejit bug: please report it with TAPEJIT_DEBUG=4 output.",
                  RuntimeWarning, stacklevel=4)
    return message


def first_call(executable: Executable, arrays: list) -> tuple:
    """Call once (Numba compiles or loads here): unreadable cache files are deleted and the
    call retried; any other Numba failure becomes a warning and an interpreted run."""
    try:
        return _quietly(executable, arrays)
    except Exception as e:
        from tapejit.backend.kernel_cache import recover

        if executable.source is None or _is_user_error(e):
            raise
        if executable.handle is not None and recover(executable.handle, e):
            return first_call(executable, arrays)
        message = _warn_fallback(e)
        executable.source, executable.kernel = None, None
        executable.why_interpreted = f"Numba failed: {message}"
        return executable(arrays)


def _quietly(executable: Executable, arrays: list) -> tuple:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="numba")
        warnings.filterwarnings("ignore", message=".*Numba.*")
        return executable(arrays)


def _is_user_error(e: Exception) -> bool:
    return isinstance(e, (KeyboardInterrupt, MemoryError))


"""Fused program → runnable executable: Numba kernel when the codegen can express it,
the NumPy interpreter otherwise."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from tapejit.backend.codegen import CodegenError, KernelSource, generate
from tapejit.config import config
from tapejit.errors import TapejitError
from tapejit.ir import Program


@dataclass
class Executable:
    """Runs a program on flat arrays; `source` is None when it runs in the interpreter
    (which runs the unfused `program`)."""

    program: Program
    source: KernelSource | None
    kernel: object
    why_interpreted: str = ""

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


class KernelCompileError(TapejitError):
    """Numba could not compile generated code (a tapejit bug); the call falls back."""


_LOADED: dict = {}


def load_source(text: str):
    """The kernel function defined by generated source, through the kernel cache."""
    try:
        from tapejit.backend.cache import default_cache
    except ImportError:
        return _load_uncached(text)
    return default_cache().load(text).fn


def _load_uncached(text: str):
    """Interim loader (until the kernel cache module lands): write once, import, remember."""
    import hashlib
    import importlib.util
    import os
    import sys
    import tempfile

    if text in _LOADED:
        return _LOADED[text]
    key = "k_" + hashlib.sha256(text.encode()).hexdigest()[:24]
    folder = os.path.join(config.cache_dir or tempfile.gettempdir(), "kernels")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{key}.py")
    if not os.path.exists(path):
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    spec = importlib.util.spec_from_file_location(f"tapejit_kernels.{key}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    _LOADED[text] = module.entry
    return module.entry


def build(program: Program, fused: Program, timings: dict | None = None) -> Executable:
    """Generate and load a kernel for the fused form of `program`, or fall back to
    interpreting `program`."""
    timings = {} if timings is None else timings
    start = time.perf_counter()
    try:
        source = generate(fused)
    except CodegenError as e:
        return Executable(program, None, None, str(e))
    finally:
        timings["codegen_s"] = time.perf_counter() - start
    if config.debug >= 4:
        print(f"tapejit: kernel source\n{source.text}")
    start = time.perf_counter()
    try:
        kernel = load_source(source.text)
        timings["load_s"] = time.perf_counter() - start
    except Exception as e:  # a broken generated module must not break the user's call
        _warn_fallback(e)
        return Executable(program, None, None, f"kernel module failed to load: {e}")
    return Executable(program, source, kernel)


def _warn_fallback(e: Exception) -> str:
    message = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
    warnings.warn(f"tapejit: the Numba kernel failed to compile ({type(e).__name__}: "
                  f"{message}); running this function with the NumPy interpreter instead. "
                  f"This is a tapejit bug: please report it with TAPEJIT_DEBUG=4 output.",
                  RuntimeWarning, stacklevel=4)
    return message


def first_call(executable: Executable, arrays: list) -> tuple:
    """Call once, turning a Numba failure into a warning and an interpreted run."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="numba")
            warnings.filterwarnings("ignore", message=".*Numba.*")
            return executable(arrays)
    except Exception as e:
        if executable.source is None or _is_user_error(e):
            raise
        message = _warn_fallback(e)
        executable.source, executable.kernel = None, None
        executable.why_interpreted = f"Numba failed: {message}"
        return executable(arrays)


def _is_user_error(e: Exception) -> bool:
    return isinstance(e, (KeyboardInterrupt, MemoryError))


def scalarize(value, dtype: np.dtype):
    """Kernels take rank-0 values as NumPy scalars of the exact dtype."""
    return dtype.type(value)

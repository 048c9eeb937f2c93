"""The Numba CPU backend: generated source compiled by Numba, kept in the kernel cache."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Sequence

import numpy as np
from numba.core.errors import NumbaError

from tapejit.backend.numba_cpu.codegen import generate
from tapejit.backend.numba_cpu.float16 import float16_positions, has_float16, widen_float16
from tapejit.backend.numba_cpu.kernel_cache import CacheEntry, default_cache, recover
from tapejit.backend.numba_cpu.source import KernelSource
from tapejit.config import config
from tapejit.ir import Program


class NumbaKernel:
    """A compiled kernel with its size and constant tables bound (see backend.interface for
    the calling convention)."""

    backend = "numba-cpu"

    def __init__(self, source: KernelSource, handle: CacheEntry) -> None:
        self.source = source.text
        self.sizes, self.consts, self.parallel = source.sizes, source.consts, source.parallel
        self.handle = handle
        self.fn = handle.fn
        self.half_in, self.half_out = source.half_inputs, source.half_outputs
        if self.half_in or self.half_out:
            self.entry = lambda *arrays: self(arrays)
        else:
            self.entry = functools.partial(self.fn, self.sizes, self.consts)

    def __call__(self, arrays: Sequence) -> tuple:
        fn = self.fn.py_func if config.disable_jit == "kernels" else self.fn
        if not (self.half_in or self.half_out):
            return fn(self.sizes, self.consts, *arrays)
        arrays = [np.asarray(a, np.float32) if i in self.half_in else a
                  for i, a in enumerate(arrays)]
        outs = fn(self.sizes, self.consts, *arrays)
        return tuple(np.asarray(o).astype(np.float16)[()] if i in self.half_out else o
                     for i, o in enumerate(outs))

    def first_call(self, arrays: Sequence) -> tuple:
        """Numba compiles or loads here, under the kernel's lock, with its compiled files
        checked against the manifest first; unreadable ones are deleted and the call
        retried."""
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", module="numba")
                warnings.filterwarnings("ignore", message=".*Numba.*")
                return self.handle.first_call(lambda: self(arrays))
        except Exception as e:
            if recover(self.handle, e):
                return self.first_call(arrays)
            raise

    @property
    def loaded_from_disk(self) -> bool:
        """Whether Numba served compiled code from its cache (known after the first call)."""
        return self.handle.loaded_from_disk


class NumbaBackend:
    name = "numba-cpu"

    def lower(self, program: Program, *, boundscheck: bool = False) -> KernelSource:
        if not has_float16(program):
            return generate(program, boundscheck=boundscheck)
        source = generate(widen_float16(program), boundscheck=boundscheck)
        return dataclasses.replace(source, half_inputs=float16_positions(program.inputs),
                                   half_outputs=float16_positions(program.outputs))

    def load(self, source: KernelSource) -> NumbaKernel:
        return NumbaKernel(source, default_cache().load(source.text))

    def known_failure(self, source: KernelSource) -> str | None:
        return default_cache().known_failure(source.text)

    def remember_failure(self, kernel, error: BaseException, message: str) -> None:
        """Kept on disk only for Numba's own compile errors: they recur for the same text."""
        if isinstance(kernel, NumbaKernel) and isinstance(error, (NumbaError, RecursionError)):
            default_cache().remember_failure(kernel.handle.source, message)

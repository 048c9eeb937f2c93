"""The Numba CPU backend: generated source compiled by Numba, kept in the kernel cache."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence

from tapejit.backend.numba_cpu.codegen import generate
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
        self.entry = functools.partial(self.fn, self.sizes, self.consts)

    def __call__(self, arrays: Sequence) -> tuple:
        fn = self.fn.py_func if config.disable_jit == "kernels" else self.fn
        return fn(self.sizes, self.consts, *arrays)

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

    def lower(self, program: Program, *, fastmath: bool = True,
              boundscheck: bool = False) -> KernelSource:
        return generate(program, fastmath=fastmath, boundscheck=boundscheck)

    def load(self, source: KernelSource) -> NumbaKernel:
        return NumbaKernel(source, default_cache().load(source.text))

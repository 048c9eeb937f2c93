"""A compiled kernel of the Numba backend, and a first-tier kernel's lazy first call."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence

import numba
import numpy as np
from numba.core.errors import NumbaPerformanceWarning

from tapejit.backend.numba_cpu.codegen import sibling
from tapejit.backend.numba_cpu.compile_worker import compile_in_worker
from tapejit.backend.numba_cpu.kernel_cache import CacheEntry, recover
from tapejit.backend.numba_cpu.source import KernelSource
from tapejit.backend.numba_cpu.thread_choice import choose_threads
from tapejit.config import config
from tapejit.ir import Program

# a kernel compiled again for new argument layouts (after its first call) says np.dot would
# be faster on contiguous arrays: true, and nothing the user can act on
warnings.filterwarnings("ignore", category=NumbaPerformanceWarning, module=r".*k_[0-9a-f]{32}$")


class NumbaKernel:
    """A compiled kernel with its size and constant tables bound (see backend.interface for
    the calling convention)."""

    backend = "numba-cpu"

    def __init__(self, source: KernelSource, handle: CacheEntry,
                 program: Program | None = None) -> None:
        self.source = source.text
        self.kernel_source, self.program = source, program
        self.sizes, self.consts, self.parallel = source.sizes, source.consts, source.parallel
        self.serial_convolutions = source.serial_convolutions
        self.handle = handle
        self.fn = handle.fn
        self.half_in, self.half_out = source.half_inputs, source.half_outputs
        if self.half_in or self.half_out:
            self.entry = lambda *arrays: self(arrays)
        else:
            self.entry = functools.partial(self.fn, self.sizes, self.consts)
        if self.parallel:
            self.entry = choose_threads(self.entry)

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
        """Numba compiles or loads here (under the kernel's lock, with its compiled files
        checked against the manifest first: CacheEntry guards every compile); unreadable
        ones are deleted and the call retried."""
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", module="numba")
                warnings.filterwarnings("ignore", message=".*Numba.*")
                return self(arrays)
        except Exception as e:
            if recover(self.handle, e):
                return self.first_call(arrays)
            raise

    def first_call_elsewhere(self, arrays: Sequence, answers: list) -> tuple:
        """The first call, with the kernel compiled for these arguments' types by the
        compile worker into the disk cache first, so that here it only loads (its answer is
        appended to `answers`; without one, it compiles here)."""
        if not (self.half_in or self.half_out):
            signature = tuple(numba.typeof(a) for a in (self.sizes, self.consts, *arrays))
            answer = compile_in_worker(self.handle, signature, self._sibling_texts())
            if answer is not None:
                answers.append(answer)
        return self.first_call(arrays)

    def _sibling_texts(self) -> tuple[str, ...]:
        """The text other sizes of these arguments would need (codegen.sibling): the worker
        compiles it when it has nothing else to do, so a batch size across the parallel
        threshold finds its kernel on disk."""
        if self.program is None:
            return ()
        other = sibling(self.program, self.kernel_source)
        return () if other is None else (other.text,)

    @property
    def loaded_from_disk(self) -> bool:
        """Whether Numba served compiled code from its cache (known after the first call)."""
        return self.handle.loaded_from_disk

    @property
    def compiled_on_disk(self) -> bool:
        return self.handle.has_compiled_code


class StepKernel:
    """A first-tier kernel: its first call checks, compiles or loads (under its lock)."""

    def __init__(self, kernel: NumbaKernel) -> None:
        self.kernel = kernel
        self.ready = False

    def __call__(self, arrays: Sequence) -> tuple:
        if self.ready:
            return self.kernel(arrays)
        outs = self.kernel.first_call(arrays)
        self.ready = True
        return outs

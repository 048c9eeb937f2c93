"""The Numba CPU backend: generated source compiled by Numba, kept in the kernel cache."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Sequence

import numba
import numpy as np
from numba.core.errors import NumbaError, NumbaPerformanceWarning

from tapejit.backend.numba_cpu.codegen import generate, sibling
from tapejit.backend.numba_cpu.compile_worker import compile_in_worker
from tapejit.backend.numba_cpu.first_tier import FirstTierKernel
from tapejit.backend.numba_cpu.float16 import float16_positions, has_float16, widen_float16
from tapejit.backend.numba_cpu.kernel_cache import (
    CacheEntry,
    default_cache,
    first_tier_cache,
    recover,
)
from tapejit.backend.numba_cpu.source import KernelSource
from tapejit.backend.numba_cpu.thread_choice import ThreadChoice
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
        self.handle = handle
        self.fn = handle.fn
        self.half_in, self.half_out = source.half_inputs, source.half_outputs
        if self.half_in or self.half_out:
            self.entry = lambda *arrays: self(arrays)
        else:
            self.entry = functools.partial(self.fn, self.sizes, self.consts)
        if self.parallel:
            self.entry = ThreadChoice(self.entry)

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


class _StepKernel:
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


class NumbaBackend:
    name = "numba-cpu"

    def lower(self, program: Program, *, boundscheck: bool = False, libm_trig: bool = False,
              serial: bool = False) -> KernelSource:
        options = {"boundscheck": boundscheck, "libm_trig": libm_trig, "serial": serial}
        if not has_float16(program):
            return generate(program, **options)
        source = generate(widen_float16(program), **options)
        return dataclasses.replace(source, half_inputs=float16_positions(program.inputs),
                                   half_outputs=float16_positions(program.outputs))

    def load(self, source: KernelSource, program: Program | None = None) -> NumbaKernel:
        return NumbaKernel(source, default_cache().load(source.text), program)

    def first_tier(self, program: Program) -> FirstTierKernel:
        """The program run equation by equation on shared kernels (first_tier.py); raises
        LoweringError when that would not equal the kernel bit for bit."""
        return FirstTierKernel(program, self._step_kernel)

    def _step_kernel(self, program: Program, libm_trig: bool, threaded: bool = False,
                     given_outputs: bool = False) -> _StepKernel | None:
        """A first-tier kernel: serial (one text, any size), or (`threaded`) the text that
        runs its loop group in parallel (prange) whatever the size. It is used only
        when its compiled code is on disk, or when config.first_tier_compile_threaded says to
        compile it (precompile does): compiling it would cost the first call more than the
        threads save. None when it is not used. given_outputs: see codegen.generate (the
        first tier never runs float16, which lower() widens)."""
        if not threaded:
            source = generate(program, libm_trig=libm_trig, serial=True,
                              given_outputs=given_outputs)
            return _StepKernel(NumbaKernel(source, first_tier_cache().load(source.text)))
        source = generate(program, libm_trig=libm_trig, any_size=True,
                          given_outputs=given_outputs)
        if not source.parallel:
            return None
        cache = first_tier_cache()
        if not (config.first_tier_compile_threaded or cache.has_compiled_code(source.text)):
            return None
        return _StepKernel(NumbaKernel(source, cache.load(source.text)))

    def known_failure(self, source: KernelSource) -> str | None:
        return default_cache().known_failure(source.text)

    def remember_failure(self, kernel, error: BaseException, message: str) -> None:
        """Kept on disk only for Numba's own compile errors: they recur for the same text."""
        if isinstance(kernel, NumbaKernel) and isinstance(error, (NumbaError, RecursionError)):
            default_cache().remember_failure(kernel.handle.source, message)

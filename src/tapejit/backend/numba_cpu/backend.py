"""The Numba CPU backend: generated source compiled by Numba, kept in the kernel cache."""

from __future__ import annotations

import dataclasses

from numba.core.errors import NumbaError

from tapejit.backend.numba_cpu.codegen import generate
from tapejit.backend.numba_cpu.first_tier import FirstTierKernel
from tapejit.backend.numba_cpu.float16 import float16_positions, has_float16, widen_float16
from tapejit.backend.numba_cpu.kernel_cache import default_cache, first_tier_cache
from tapejit.backend.numba_cpu.numba_kernel import NumbaKernel, StepKernel
from tapejit.backend.numba_cpu.source import KernelSource
from tapejit.config import config
from tapejit.ir import Program


class NumbaBackend:
    name = "numba-cpu"

    def lower(self, program: Program, *, boundscheck: bool = False, libm_trig: bool = False,
              serial: bool = False, threaded_convolutions: bool = False) -> KernelSource:
        options = {"boundscheck": boundscheck, "libm_trig": libm_trig, "serial": serial,
                   "threaded_convolutions": threaded_convolutions}
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
                     given_outputs: bool = False) -> StepKernel | None:
        """A first-tier kernel: serial (one text, any size), or (`threaded`) the text that
        runs its loop group in parallel (prange) whatever the size. It is used only
        when its compiled code is on disk, or when config.first_tier_compile_threaded says to
        compile it (precompile does): compiling it would cost the first call more than the
        threads save. None when it is not used. given_outputs: see codegen.generate (the
        first tier never runs float16, which lower() widens)."""
        if not threaded:
            source = generate(program, libm_trig=libm_trig, serial=True,
                              given_outputs=given_outputs)
            return StepKernel(NumbaKernel(source, first_tier_cache().load(source.text)))
        source = generate(program, libm_trig=libm_trig, any_size=True,
                          given_outputs=given_outputs)
        if not source.parallel:
            return None
        cache = first_tier_cache()
        if not (config.first_tier_compile_threaded or cache.has_compiled_code(source.text)):
            return None
        return StepKernel(NumbaKernel(source, cache.load(source.text)))

    def known_failure(self, source: KernelSource) -> str | None:
        return default_cache().known_failure(source.text)

    def remember_failure(self, kernel, error: BaseException, message: str) -> None:
        """Kept on disk only for Numba's own compile errors: they recur for the same text."""
        if isinstance(kernel, NumbaKernel) and isinstance(error, (NumbaError, RecursionError)):
            default_cache().remember_failure(kernel.handle.source, message)

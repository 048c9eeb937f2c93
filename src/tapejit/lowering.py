"""One signature of a jitted function, lowered: traced (tapes inside derive their backward
into the trace), optimized and fused, with every stage kept as text for `lower()`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tapejit.config import config
from tapejit.control.reroll import reroll
from tapejit.debug import debug, debugging
from tapejit.ir import Program, verify
from tapejit.passes.fuse import fuse
from tapejit.passes.nested import recursively
from tapejit.passes.pipeline import optimize
from tapejit.staging import Staged, stage


@dataclass(frozen=True)
class Lowered:
    """Every stage of one signature, as text: print it, or read a field."""

    traced: Program
    backward: tuple[Program, ...]
    optimized: Program
    fused: Program
    source: str

    def __str__(self) -> str:
        parts = [("traced program", str(self.traced))]
        parts += [(f"backward program {i}", str(p)) for i, p in enumerate(self.backward)]
        parts += [("optimized", str(self.optimized)), ("fused", str(self.fused)),
                  ("kernel source", self.source)]
        return "\n\n".join(f"== {title} ==\n{text}" for title, text in parts)


def lower_programs(fn: Callable, args, static_argnums=(), timings: dict | None = None
                   ) -> tuple[Staged, tuple[Program, ...], Program, Program]:
    """Trace, optimize and fuse `fn` for these arguments.

    Returns (staged, backward programs, optimized program, fused program); `timings` gets
    trace_s, autodiff_s, passes_s and fusion_s.
    """
    timings = {} if timings is None else timings
    start = time.perf_counter()
    staged = stage(fn, args, static_argnums)
    autodiff = sum(seconds for _, seconds in staged.backward)
    timings["trace_s"] = time.perf_counter() - start - autodiff
    timings["autodiff_s"] = autodiff
    backward = tuple(program for program, _ in staged.backward)
    if debugging(2):  # printing a program costs milliseconds: only when it is shown
        debug(2, f"traced program\n{staged.program}")
        for program in backward:
            debug(2, f"backward program\n{program}")
    start = time.perf_counter()
    optimized = optimize(reroll(staged.program) if config.reroll else staged.program)
    timings["passes_s"] = time.perf_counter() - start
    start = time.perf_counter()
    fused = verify(recursively(fuse)(optimized))
    timings["fusion_s"] = time.perf_counter() - start
    if debugging(3):
        debug(3, f"after fusion:\n{fused}")
    return staged, backward, optimized, fused

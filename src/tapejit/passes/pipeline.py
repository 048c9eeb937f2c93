"""The pass pipeline, in order, with the verifier after every pass."""

from __future__ import annotations

from collections.abc import Callable

from tapejit.config import config
from tapejit.debug import debug, debugging
from tapejit.ir import Program, verify
from tapejit.passes.cse import cse
from tapejit.passes.dce import dce
from tapejit.passes.merge_loops import drop_unused_ys, merge_scans
from tapejit.passes.nested import inline_calls, on_bodies
from tapejit.passes.simplify import simplify

PASSES: tuple[tuple[str, Callable[[Program], Program]], ...] = (
    ("inline calls", inline_calls),
    ("dce", dce),
    ("simplify", simplify),
    ("cse", cse),
    ("merge loops", merge_scans),
    ("drop unused loop outputs", drop_unused_ys),
    ("simplify again", simplify),
)


def checked(program: Program) -> Program:
    """`program`, verified first with TAPEJIT_CHECKS=1. Verifying each intermediate program
    took 3.4 of a warm first call's 45 ms (the MLP step with Adam); the fused program is
    verified always (lowering.py)."""
    if config.checks:
        verify(program)
    return program


def optimize(program: Program) -> Program:
    """Run every pass, each result `checked` (TAPEJIT_DEBUG=3 prints them); bodies of
    higher-order equations first."""
    program = on_bodies(program, optimize)
    for name, run in PASSES:
        program = checked(run(program))
        if debugging(3):  # printing a program costs milliseconds: only when it is shown
            debug(3, f"after {name}:\n{program}")
    return program

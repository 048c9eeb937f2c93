"""The pass pipeline, in order, with the verifier after every pass."""

from __future__ import annotations

from collections.abc import Callable

from tapejit.config import config
from tapejit.ir import Program, verify
from tapejit.passes.cse import cse
from tapejit.passes.dce import dce
from tapejit.passes.simplify import simplify

PASSES: tuple[tuple[str, Callable[[Program], Program]], ...] = (
    ("dce", dce),
    ("simplify", simplify),
    ("cse", cse),
    ("simplify again", simplify),
)


def optimize(program: Program, log: Callable[[str, Program], None] | None = None) -> Program:
    """Run every pass; verify the result of each; report it through `log` if given."""
    for name, run in PASSES:
        program = verify(run(program))
        if log is not None:
            log(name, program)
        elif config.debug >= 3:
            print(f"tapejit: after {name}:\n{program}")
    return program

"""Dead-code elimination: drop equations whose outputs nobody uses."""

from __future__ import annotations

from tapejit.ir import Program, Var


def live_eqns(program: Program) -> list:
    """The equations the outputs depend on, in order (one backward sweep)."""
    live = {id(a) for a in program.outputs if isinstance(a, Var)}
    kept = []
    for eqn in reversed(program.eqns):
        if any(id(v) in live for v in eqn.outputs):
            kept.append(eqn)
            live.update(id(a) for a in eqn.inputs if isinstance(a, Var))
    kept.reverse()
    return kept


def dce(program: Program) -> Program:
    """The program without dead equations (inputs are kept: they are its signature)."""
    return Program(program.inputs, tuple(live_eqns(program)), program.outputs)


def used_inputs(program: Program) -> list[bool]:
    """For each input, whether any equation or output reads it."""
    used = {id(a) for eqn in program.eqns for a in eqn.inputs if isinstance(a, Var)}
    used.update(id(a) for a in program.outputs if isinstance(a, Var))
    return [id(v) in used for v in program.inputs]

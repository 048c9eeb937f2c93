"""Passes inside sub-programs: the bodies of higher-order equations are optimized and fused
like any program (their inputs and outputs, the equation's contract, stay as they are)."""

from __future__ import annotations

from collections.abc import Callable

from tapejit.ir import Eqn, Program, sub_programs

Pass = Callable[[Program], Program]


def _mapped(value, run: Pass):
    if isinstance(value, Program):
        return run(value)
    if isinstance(value, tuple) and value and all(isinstance(v, Program) for v in value):
        return tuple(run(v) for v in value)
    return value


def on_bodies(program: Program, run: Pass) -> Program:
    """`program` with `run` applied to every sub-program of its equations (loop groups made
    by fusion excepted: they are already the end product)."""
    eqns = []
    for eqn in program.eqns:
        if eqn.prim.name != "fused" and sub_programs(eqn.params):
            params = {k: _mapped(v, run) for k, v in eqn.params.items()}
            eqn = Eqn(eqn.prim, eqn.inputs, eqn.outputs, params, eqn.site)
        eqns.append(eqn)
    return Program(program.inputs, tuple(eqns), program.outputs)


def recursively(run: Pass) -> Pass:
    """`run` applied to the innermost bodies first, then outward to `program` itself."""
    def everywhere(program: Program) -> Program:
        return run(on_bodies(program, everywhere))
    return everywhere

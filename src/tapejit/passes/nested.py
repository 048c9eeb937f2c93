"""Passes inside sub-programs: the bodies of higher-order equations are optimized and fused
like any program (their inputs and outputs, the equation's contract, stay as they are)."""

from __future__ import annotations

from collections.abc import Callable

from tapejit.ir import Eqn, Program, Var, sub_programs
from tapejit.passes.cse import rename_atom

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


def fresh_copy(program: Program, inputs) -> tuple[tuple[Eqn, ...], tuple]:
    """The equations and outputs of `program` applied to the atoms `inputs`, every var it
    defines replaced by a fresh one (a body may be inlined more than once, or share
    equations with another body)."""
    renames = {id(v): a for v, a in zip(program.inputs, inputs)}
    eqns = []
    for e in program.eqns:
        outputs = tuple(Var(v.type) for v in e.outputs)
        ins = tuple(rename_atom(renames, a) for a in e.inputs)
        renames.update({id(v): w for v, w in zip(e.outputs, outputs)})
        eqns.append(Eqn(e.prim, ins, outputs, e.params, e.site))
    outs = tuple(rename_atom(renames, a) for a in program.outputs)
    return tuple(eqns), outs


CALLS = ("call", "checkpoint", "custom_jvp_call", "custom_vjp_call", "linear_call")
"""Primitives that only call their body: once autodiff is done, their body is the meaning."""


def inline_calls(program: Program) -> Program:
    """The program with every call of a body replaced by the body's equations (so fusion and
    CSE see across the call)."""
    eqns: list[Eqn] = []
    renames: dict[int, object] = {}
    for eqn in program.eqns:
        inputs = tuple(rename_atom(renames, a) for a in eqn.inputs)
        if eqn.prim.name not in CALLS:
            eqns.append(eqn if inputs == eqn.inputs else
                        Eqn(eqn.prim, inputs, eqn.outputs, eqn.params, eqn.site))
            continue
        body_eqns, outs = fresh_copy(inline_calls(eqn.params["body"]), inputs)
        eqns.extend(body_eqns)
        renames.update({id(v): a for v, a in zip(eqn.outputs, outs)})
    outputs = tuple(rename_atom(renames, a) for a in program.outputs)
    return Program(program.inputs, tuple(eqns), outputs)

"""Runs a Program by binding each equation: eagerly with NumPy, or into an enclosing trace."""

from __future__ import annotations

from collections.abc import Sequence

from tapejit.ir import Lit, Program
from tapejit.trace import bind


def eval_program(program: Program, args: Sequence) -> list:
    """The program's outputs for `args` (Tensors, Tracers or NumPy values)."""
    if len(args) != len(program.inputs):
        raise TypeError(f"program takes {len(program.inputs)} inputs, got {len(args)}")
    env = {id(var): value for var, value in zip(program.inputs, args)}

    def read(atom):
        return atom.value if isinstance(atom, Lit) else env[id(atom)]

    for eqn in program.eqns:
        out = bind(eqn.prim, *(read(a) for a in eqn.inputs), **eqn.params)
        env[id(eqn.out)] = out
    return [read(a) for a in program.outputs]

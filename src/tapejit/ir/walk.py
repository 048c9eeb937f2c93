"""The one program walker: every interpreter of a Program is this loop plus a per-equation
hook (NumPy impls, bind, forward mode, source generation, the checkers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tapejit.ir.core import Eqn, Lit
from tapejit.ir.program import Program

RunEqn = Callable[[Eqn, list], Any]


def walk(program: Program, args: Sequence, run_eqn: RunEqn, env: dict | None = None) -> list:
    """The program's outputs for `args`.

    run_eqn(eqn, input values) gives the equation's output value (a sequence of values when
    it has several outputs or its primitive has multiple_results). Literals are read as their
    NumPy scalar. Pass `env` to keep the value of every var, keyed by id(var).
    """
    if len(args) != len(program.inputs):
        raise TypeError(f"program takes {len(program.inputs)} inputs, got {len(args)}")
    env = {} if env is None else env
    env.update((id(var), value) for var, value in zip(program.inputs, args))

    def read(atom):
        return atom.value if type(atom) is Lit else env[id(atom)]

    for eqn in program.eqns:
        result = run_eqn(eqn, [read(a) for a in eqn.inputs])
        if len(eqn.outputs) == 1 and not eqn.prim.multiple_results:
            env[id(eqn.outputs[0])] = result
        else:
            env.update((id(v), x) for v, x in zip(eqn.outputs, result))
    return [read(a) for a in program.outputs]


def interpret(program: Program, args: Sequence, env: dict | None = None) -> list:
    """The program's outputs computed by each equation's NumPy impl (sub-programs of
    higher-order primitives, the interpreter's checks)."""
    return walk(program, args, lambda eqn, ins: eqn.prim.impl(*ins, **eqn.params), env)

"""The one program walker: every interpreter of a Program is this loop plus a per-equation
hook (NumPy impls, bind, forward mode, source generation, the checkers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tapejit.ir.core import Eqn, Lit
from tapejit.ir.program import Program

RunEqn = Callable[[Eqn, list], Any]


def walk(program: Program, args: Sequence, run_eqn: RunEqn, env: dict | None = None,
         dead: list[list[int]] | None = None) -> list:
    """The program's outputs for `args`.

    run_eqn(eqn, input values) gives the equation's output value (a sequence of values when
    it has several outputs or its primitive has multiple_results). Literals are read as their
    NumPy scalar. Pass `env` to keep the value of every var, keyed by id(var); without it, a
    value is dropped after the last equation that reads it, so that a long program of big
    arrays holds only what is still to be read (an interpreted backward pass held every
    intermediate value to its end). A caller walking one program many times (a loop's body)
    passes its `dead_vars` once found.
    """
    if len(args) != len(program.inputs):
        raise TypeError(f"program takes {len(program.inputs)} inputs, got {len(args)}")
    keep_all = env is not None
    env = {} if env is None else env
    env.update((id(var), value) for var, value in zip(program.inputs, args))
    dead_after = None if keep_all else dead if dead is not None else dead_vars(program)

    def read(atom):
        return atom.value if type(atom) is Lit else env[id(atom)]

    for k, eqn in enumerate(program.eqns):
        result = run_eqn(eqn, [read(a) for a in eqn.inputs])
        if len(eqn.outputs) == 1 and not eqn.prim.multiple_results:
            env[id(eqn.outputs[0])] = result
        else:
            env.update((id(v), x) for v, x in zip(eqn.outputs, result))
        if dead_after is not None:
            del result
            for key in dead_after[k]:
                del env[key]
    return [read(a) for a in program.outputs]


def dead_vars(program: Program) -> list[list[int]]:
    """Per equation, the ids of the vars no later equation reads and the program does not
    return: its inputs read for the last time, and its outputs nothing reads."""
    last: dict[int, int] = {id(v): -1 for v in program.inputs}
    for k, eqn in enumerate(program.eqns):
        for a in eqn.inputs:
            if type(a) is not Lit:
                last[id(a)] = k
        for v in eqn.outputs:
            last.setdefault(id(v), k)
    for a in program.outputs:
        last.pop(id(a), None)
    dead: list[list[int]] = [[] for _ in program.eqns]
    for key, k in last.items():
        if k >= 0:
            dead[k].append(key)
    return dead


def interpret(program: Program, args: Sequence, env: dict | None = None,
              dead: list[list[int]] | None = None) -> list:
    """The program's outputs computed by each equation's NumPy impl (sub-programs of
    higher-order primitives, the interpreter's checks)."""
    return walk(program, args, lambda eqn, ins: eqn.prim.impl(*ins, **eqn.params), env, dead)

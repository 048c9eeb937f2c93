"""float16 in kernels: Numba has no float16 on the CPU, so a program's float16 values are
computed in float32 (the kernel is the float32 program) and rounded to float16 when stored,
as JAX does on the CPU. Eager NumPy rounds after every operation instead, so the two may
differ in the last float16 bit."""

from __future__ import annotations

import numpy as np

from tapejit.dtypes import float16, float32
from tapejit.ir import Eqn, Lit, Program, TensorType, Var


def has_float16(program: Program) -> bool:
    return any(v.type.dtype == float16 for v in _vars(program))


def _vars(program: Program):
    yield from program.inputs
    for eqn in program.eqns:
        yield from eqn.outputs
        for value in eqn.params.values():
            if isinstance(value, Program):
                yield from _vars(value)


class _Widener:
    def __init__(self) -> None:
        self.vars: dict[int, Var] = {}

    def var(self, var: Var) -> Var:
        if id(var) not in self.vars:
            t = var.type
            self.vars[id(var)] = Var(TensorType(float32, t.shape)) if t.dtype == float16 else var
        return self.vars[id(var)]

    def atom(self, atom):
        if isinstance(atom, Lit):
            return Lit(np.float32(atom.value)) if atom.value.dtype == float16 else atom
        return self.var(atom)

    def param(self, value):
        if isinstance(value, Program):
            return self.program(value)
        return float32 if isinstance(value, np.dtype) and value == float16 else value

    def eqn(self, eqn: Eqn) -> Eqn:
        params = {k: self.param(v) for k, v in eqn.params.items()}
        return Eqn(eqn.prim, tuple(self.atom(a) for a in eqn.inputs),
                   tuple(self.var(v) for v in eqn.outputs), params, eqn.site)

    def program(self, program: Program) -> Program:
        return Program(tuple(self.var(v) for v in program.inputs),
                       tuple(self.eqn(e) for e in program.eqns),
                       tuple(self.atom(a) for a in program.outputs))


def widen_float16(program: Program) -> Program:
    """The same program with every float16 value, literal and conversion in float32."""
    return _Widener().program(program)


def float16_positions(atoms) -> tuple[int, ...]:
    return tuple(i for i, a in enumerate(atoms) if a.type.dtype == float16)

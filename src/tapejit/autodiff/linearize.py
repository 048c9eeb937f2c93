"""Linearize: run each equation's JVP rule on traced tangents, tagging what is linear."""

from __future__ import annotations

from tapejit.dtypes import is_float
from tapejit.errors import TapejitError
from tapejit.ir import Eqn, Lit, Program, TensorType, Var
from tapejit.tensor import Tensor
from tapejit.trace import Trace, Tracer


class LinearizeTrace(Trace):
    """A trace that tags every value computed from a tangent as linear.

    Equations with no linear input compute residuals from primal values; the linear ones
    form the linear program that the transpose pass reverses.
    """

    def __init__(self) -> None:
        super().__init__()
        self.linear: set[int] = set()

    def new_linear_input(self, type_: TensorType) -> Tracer:
        var = Var(type_)
        self.linear.add(id(var))
        return Tracer(self, var)

    def is_linear(self, atom) -> bool:
        return isinstance(atom, Var) and id(atom) in self.linear

    def _on_eqn(self, eqn: Eqn) -> None:
        if any(id(a) in self.linear for a in eqn.inputs if isinstance(a, Var)):
            self.linear.update(id(v) for v in eqn.outputs)

    def linear_eqns(self) -> list[Eqn]:
        return [e for e in self.eqns if id(e.out) in self.linear]

    def known_eqns(self) -> list[Eqn]:
        return [e for e in self.eqns if id(e.out) not in self.linear]


def _as_tensor(value):
    """A primal as ops see it (literals and NumPy values become concrete Tensors)."""
    return value if isinstance(value, Tensor) else Tensor(value)


def _check_tangent(eqn: Eqn, var: Var, tangent) -> None:
    if tangent.shape != var.type.shape or tangent.dtype != var.type.dtype:
        raise TapejitError(f"JVP rule of {eqn.prim.name} gave a tangent typed "
                           f"{tangent.dtype}{list(tangent.shape)} for an output {var.type}")


def jvp_eqn(eqn: Eqn, ins: list, out, tangents: dict) -> None:
    """Apply one equation's JVP rule to its primal inputs `ins` and output `out` (a tuple for
    an equation with several outputs, whose rule then gives a tuple of tangents); record the
    outputs' tangents in `tangents` (keyed by var id; absent means zero)."""
    ts = [tangents.get(id(a)) if isinstance(a, Var) else None for a in eqn.inputs]
    several = eqn.prim.multiple_results
    if all(t is None for t in ts) or not any(is_float(v.type.dtype) for v in eqn.outputs):
        return
    if eqn.prim.jvp is None:
        raise NotImplementedError(f"primitive {eqn.prim.name} has no JVP rule")
    primal_out = tuple(map(_as_tensor, out)) if several else _as_tensor(out)
    result = eqn.prim.jvp([_as_tensor(x) for x in ins], ts, primal_out, **eqn.params)
    for var, tangent in zip(eqn.outputs, result if several else (result,)):
        if tangent is not None:
            _check_tangent(eqn, var, tangent)
            tangents[id(var)] = tangent


def jvp_program_eqns(program: Program, primals: dict, tangents: dict) -> None:
    """Push tangents through every equation of `program` (primals of every var are given)."""
    read = lambda atom: atom.value if isinstance(atom, Lit) else primals[id(atom)]
    for eqn in program.eqns:
        out = (tuple(primals[id(v)] for v in eqn.outputs) if eqn.prim.multiple_results
               else primals[id(eqn.out)])
        jvp_eqn(eqn, [read(a) for a in eqn.inputs], out, tangents)

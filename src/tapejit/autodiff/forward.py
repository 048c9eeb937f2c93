"""Forward mode: run a program with tangents beside the primals, applying JVP rules as it goes.

The rules are ops, so this runs eagerly on NumPy values or emits into an enclosing trace.
"""

from __future__ import annotations

from collections.abc import Sequence

from tapejit.autodiff.linearize import jvp_eqn
from tapejit.dtypes import is_float
from tapejit.ir import Lit, Program, walk
from tapejit.tensor import Tensor
from tapejit.trace import bind


def jvp_eval(program: Program, primals: Sequence, tangents: Sequence) -> tuple[list, list]:
    """Outputs of `program` and their tangents (None where zero) for input tangents."""
    tangent_env = {id(v): t if isinstance(t, Tensor) else Tensor(t)
                   for v, t in zip(program.inputs, tangents)
                   if t is not None and is_float(v.type.dtype)}

    def run(eqn, ins):
        out = bind(eqn.prim, *ins, **eqn.params)
        jvp_eqn(eqn, ins, out, tangent_env)
        return out

    outs = walk(program, primals, run)
    out_tangents = [None if isinstance(a, Lit) else tangent_env.get(id(a))
                    for a in program.outputs]
    return outs, out_tangents

"""Common-subexpression elimination: an equation equal to an earlier one reuses its result."""

from __future__ import annotations

from tapejit.ir import Eqn, Lit, Program, Var, params_key
from tapejit.passes.dims import symbolic_dims


def _atom_key(atom) -> tuple:
    if isinstance(atom, Lit):
        return ("lit", atom.value.dtype.str, repr(atom.value.item()))
    return ("var", id(atom))


def rename_atom(renames: dict[int, object], atom):
    return renames.get(id(atom), atom) if isinstance(atom, Var) else atom


def cse(program: Program) -> Program:
    """The program with repeated pure equations (same primitive, params, inputs and symbolic
    output shape) merged. Two broadcasts of 0 to (10,) stay apart when one is batch-sized
    and the other class-sized: merging them only while the batch is 10 would change the
    kernel with the batch size."""
    dims = symbolic_dims(program)
    renames: dict[int, object] = {}
    seen: dict[tuple, Eqn] = {}
    eqns = []
    for eqn in program.eqns:
        inputs = tuple(rename_atom(renames, a) for a in eqn.inputs)
        key = (eqn.prim.name, params_key(eqn.params), tuple(_atom_key(a) for a in inputs),
               tuple(dims.key(v) for v in eqn.outputs))
        earlier = seen.get(key)
        if earlier is not None:
            renames.update({id(v): w for v, w in zip(eqn.outputs, earlier.outputs)})
            continue
        if inputs != eqn.inputs:
            eqn = Eqn(eqn.prim, inputs, eqn.outputs, eqn.params, eqn.site)
        seen[key] = eqn
        eqns.append(eqn)
    outputs = tuple(rename_atom(renames, a) for a in program.outputs)
    return Program(program.inputs, tuple(eqns), outputs)

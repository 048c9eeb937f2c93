"""Loop merging and pruning: two scans over the same operands become one loop when their
carries stay equal step by step, and scans stop stacking outputs nobody reads.

Reverse mode makes such pairs: the forward program's scan, and the known scan of its JVP,
which recomputes the same carries and also stacks the residuals. Merged, the loop runs once.
The carries are equal when, assuming them equal at the top of a step, common-subexpression
elimination of the merged body makes the second scan's new carries the very values of the
first's (then they are equal at every step, by induction).
"""

from __future__ import annotations

from tapejit.ir import Eqn, Lit, Program, Var, params_key
from tapejit.passes.cse import cse, rename_atom
from tapejit.passes.dce import dce
from tapejit.passes.nested import fresh_copy


def _key(eqn: Eqn) -> tuple | None:
    if eqn.prim.name != "scan":
        return None
    params = {k: v for k, v in eqn.params.items() if k != "body"}
    ins = tuple(("var", id(a)) if isinstance(a, Var) else ("lit", repr(a.value))
                for a in eqn.inputs)
    return (params_key(params), ins)


def _same(a, b) -> bool:
    if isinstance(a, Var) or isinstance(b, Var):
        return a is b
    return isinstance(a, Lit) and isinstance(b, Lit) and a.value.dtype == b.value.dtype and (
        repr(a.value) == repr(b.value))


def _merged(first: Eqn, second: Eqn) -> Eqn | None:
    """One scan computing both, or None if their carries cannot be shown equal."""
    nk = first.params["num_carry"]
    a, b = first.params["body"], second.params["body"]
    b_eqns, b_outs = fresh_copy(b, a.inputs)
    body = cse(Program(a.inputs, a.eqns + b_eqns,
                       a.outputs + b_outs[nk:] + b_outs[:nk]))
    n = len(body.outputs)
    kept, claimed = body.outputs[:n - nk], body.outputs[n - nk:]
    if not all(_same(x, y) for x, y in zip(body.outputs[:nk], claimed)):
        return None
    body = Program(body.inputs, body.eqns, kept)
    params = dict(first.params, body=body)
    outputs = first.outputs + second.outputs[nk:]
    return Eqn(first.prim, first.inputs, outputs, params, first.site)


def merge_scans(program: Program) -> Program:
    """The program with each scan merged into an earlier one over the same operands, where
    their carries provably agree."""
    eqns: list[Eqn | None] = []
    seen: dict[tuple, int] = {}
    renames: dict[int, object] = {}
    for eqn in program.eqns:
        inputs = tuple(rename_atom(renames, a) for a in eqn.inputs)
        if inputs != eqn.inputs:
            eqn = Eqn(eqn.prim, inputs, eqn.outputs, eqn.params, eqn.site)
        key = _key(eqn)
        if key is not None and key in seen:
            merged = _merged(eqns[seen[key]], eqn)
            if merged is not None:
                nk = eqn.params["num_carry"]
                renames.update({id(v): w for v, w in zip(eqn.outputs[:nk], merged.outputs)})
                eqns[seen[key]] = merged
                continue
        if key is not None:
            seen[key] = len(eqns)
        eqns.append(eqn)
    outputs = tuple(rename_atom(renames, a) for a in program.outputs)
    return Program(program.inputs, tuple(eqns), outputs)


def drop_unused_ys(program: Program) -> Program:
    """Scans stop stacking outputs nobody reads (the carries stay: the next step needs
    them)."""
    used = {id(a) for e in program.eqns for a in e.inputs if isinstance(a, Var)}
    used.update(id(a) for a in program.outputs if isinstance(a, Var))
    eqns = []
    for eqn in program.eqns:
        if eqn.prim.name == "scan":
            nk = eqn.params["num_carry"]
            keep = [i for i, v in enumerate(eqn.outputs) if i < nk or id(v) in used]
            if len(keep) < len(eqn.outputs):
                body = eqn.params["body"]
                body = dce(Program(body.inputs, body.eqns,
                                   tuple(body.outputs[i] for i in keep)))
                eqn = Eqn(eqn.prim, eqn.inputs, tuple(eqn.outputs[i] for i in keep),
                          dict(eqn.params, body=body), eqn.site)
        eqns.append(eqn)
    return Program(program.inputs, tuple(eqns), program.outputs)

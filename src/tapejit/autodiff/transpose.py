"""Transpose: walk the linear equations backward, turning output cotangents into input ones."""

from __future__ import annotations

from collections.abc import Sequence

from tapejit.autodiff.linearize import LinearizeTrace
from tapejit.ir import Eqn, Lit, Var
from tapejit.primitives.base import Undefined
from tapejit.tensor import Tensor


def _accumulate(env: dict, var: Var, ct) -> None:
    """Cotangents of a var used more than once add up."""
    key = id(var)
    env[key] = ct if key not in env else env[key] + ct


def _transpose_args(trace: LinearizeTrace, eqn: Eqn) -> list:
    def arg(atom):
        if isinstance(atom, Lit):
            return Tensor(atom.value)
        return Undefined(atom.type) if trace.is_linear(atom) else trace.tracer(atom)
    return [arg(a) for a in eqn.inputs]


def _transpose_eqn(trace: LinearizeTrace, eqn: Eqn, ct, env: dict) -> None:
    """Add the input cotangents of one linear equation to `env`; `ct` is its output's
    cotangent, or a tuple of them (None where zero) for an equation with several outputs."""
    if eqn.prim.transpose is None:
        raise NotImplementedError(f"primitive {eqn.prim.name} is used linearly but has no "
                                  f"transpose rule")
    in_cts = eqn.prim.transpose(ct, *_transpose_args(trace, eqn), **eqn.params)
    for atom, in_ct in zip(eqn.inputs, in_cts):
        if in_ct is not None and trace.is_linear(atom):
            _accumulate(env, atom, in_ct)


def transpose_linear(trace: LinearizeTrace, linear_inputs: Sequence[Var | None],
                     out_tangents: Sequence, cts: Sequence) -> list:
    """Cotangents of `linear_inputs` (None where unconnected), emitted into `trace`.

    out_tangents[i] is the linear tracer (or None) whose cotangent is cts[i].
    """
    env: dict[int, object] = {}
    for tangent, ct in zip(out_tangents, cts):
        if tangent is not None:
            _accumulate(env, tangent._var, ct)
    for eqn in reversed(trace.linear_eqns()):
        if eqn.prim.multiple_results:
            ct = tuple(env.pop(id(v), None) for v in eqn.outputs)
            if any(c is not None for c in ct):
                _transpose_eqn(trace, eqn, ct, env)
            continue
        ct = env.pop(id(eqn.out), None)
        if ct is not None:
            _transpose_eqn(trace, eqn, ct, env)
    return [None if v is None else env.get(id(v)) for v in linear_inputs]

"""The backward program of a forward program: linearize, then transpose, then clean up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tapejit.autodiff.linearize import LinearizeTrace, jvp_program_eqns
from tapejit.autodiff.transpose import transpose_linear
from tapejit.dtypes import is_float
from tapejit.ir import Program, Var
from tapejit.passes.dce import dce, used_inputs
from tapejit.passes.pipeline import checked


@dataclass(frozen=True)
class VJP:
    """A backward program and how to feed it.

    program inputs: the forward values it needs (`residuals`, vars of the forward program),
    then one cotangent per forward output, then constants (`const_values`). Its outputs are
    the cotangents of the `wrt` inputs that are connected (`connected[i]`).
    """

    program: Program
    residuals: tuple[Var, ...]
    const_values: tuple
    connected: tuple[bool, ...]


def _all_vars(program: Program) -> list[Var]:
    return list(program.inputs) + [v for eqn in program.eqns for v in eqn.outputs]


def _linear_inputs(trace: LinearizeTrace, program: Program, wrt, tangents: dict) -> list:
    linear = []
    for i in wrt:
        var = program.inputs[i]
        if is_float(var.type.dtype):
            tangent = trace.new_linear_input(var.type)
            tangents[id(var)] = tangent
            linear.append(tangent._var)
        else:
            linear.append(None)
    return linear


def vjp_program(program: Program, wrt: Sequence[int]) -> VJP:
    """Derive the program computing d(outputs)/d(inputs[wrt]) applied to output cotangents."""
    forward_vars = _all_vars(program)
    with LinearizeTrace() as trace:
        primals = {id(v): trace.new_input(v.type) for v in forward_vars}
        tangents: dict[int, object] = {}
        linear = _linear_inputs(trace, program, wrt, tangents)
        jvp_program_eqns(program, primals, tangents)
        out_tangents = [tangents.get(id(o)) if isinstance(o, Var) else None
                        for o in program.outputs]
        cts = [trace.new_input(o.type) for o in program.outputs]
        in_cts = transpose_linear(trace, linear, out_tangents, cts)
        connected = tuple(c is not None for c in in_cts)
        outputs = [trace.to_atom(c) for c in in_cts if c is not None]
    consts = list(trace.consts.values())
    inputs = tuple(trace.inputs) + tuple(var for var, _ in consts)
    backward = dce(Program(inputs, tuple(trace.known_eqns()), tuple(outputs)))
    return _prune_residuals(backward, forward_vars, [v for _, v in consts], connected)


def _prune_residuals(backward: Program, forward_vars, const_values, connected):
    """Keep only the forward values the backward program reads."""
    n_res = len(forward_vars)
    used = used_inputs(backward)[:n_res]
    keep_inputs = [v for v, u in zip(backward.inputs[:n_res], used) if u]
    residuals = tuple(v for v, u in zip(forward_vars, used) if u)
    program = Program(tuple(keep_inputs) + backward.inputs[n_res:], backward.eqns,
                      backward.outputs)
    return VJP(checked(program), residuals, tuple(const_values), connected)

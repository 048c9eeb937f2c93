"""Sub-programs of the higher-order primitives: tracing a Python function into one, and the
two autodiff transformations their rules apply to a body — splitting its JVP into a known
part and a linear part (partial evaluation), and transposing a linear body."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from tapejit.autodiff.linearize import LinearizeTrace, jvp_program_eqns
from tapejit.autodiff.transpose import transpose_linear
from tapejit.dtypes import is_float
from tapejit.errors import TapejitError, op_error
from tapejit.ir import Program, TensorType, Var, walk
from tapejit.passes.dce import dce
from tapejit.primitives.broadcast import broadcast_in_dim_p
from tapejit.site import user_site
from tapejit.state import STATE
from tapejit.trace import Trace, Tracer


@contextmanager
def no_tapes() -> Iterator[None]:
    """Building a body is not user computation: recording tapes do not see it."""
    saved = STATE.tapes
    STATE.tapes = []
    try:
        yield
    finally:
        STATE.tapes = saved


@dataclass(frozen=True)
class Closed:
    """A body program whose first inputs are the values it captured (`captured`), then the
    inputs its caller declared."""

    program: Program
    captured: tuple

    @property
    def num_captured(self) -> int:
        return len(self.captured)


def closed_trace(trace: Trace, outputs: Sequence) -> Closed:
    """The trace as a program over (captured values, declared inputs)."""
    outs = tuple(trace.to_atom(o) for o in outputs)
    const_vars = tuple(var for var, _ in trace.consts.values())
    captured = tuple(value for _, value in trace.consts.values())
    return Closed(Program(const_vars + tuple(trace.inputs), tuple(trace.eqns), outs), captured)


class BodyTrace(Trace):
    """The trace of a loop body or a branch: Variables it reads come from outside (captured);
    assigning one inside is refused, since the body may run any number of times."""

    def assign_variable(self, var, value) -> bool:
        raise op_error(TapejitError, "Variable.assign",
                       f"'{var.name}' is assigned inside a loop body or a branch",
                       "return the new value from the body (as part of the carry) and assign "
                       "it after the loop", user_site())


def trace_function(fn: Callable, in_types: Sequence[TensorType]) -> tuple[Closed, object]:
    """Trace `fn` on abstract inputs of `in_types`. fn returns (flat outputs, aux), where aux
    is anything Python (a tree structure); outputs become the program's outputs. Tapes do not
    record the body's work, only the equation that runs it (and any op on outside values,
    which is emitted outside)."""
    with BodyTrace() as trace:
        args = [trace.new_input(t) for t in in_types]
        outs, aux = fn(*args)
        closed = closed_trace(trace, outs)
    return closed, aux


def over_inputs(program: Program, types: Sequence[TensorType], placement: Sequence[int]
                ) -> Program:
    """`program` as a program over inputs of `types`, its input j being input placement[j];
    the other inputs are unused (so branches of one cond can share a signature)."""
    inputs = [Var(t) for t in types]
    for j, slot in enumerate(placement):
        inputs[slot] = program.inputs[j]
    return Program(tuple(inputs), program.eqns, program.outputs)


def offsets(counts: Sequence[int]) -> list[int]:
    """Where each of consecutive runs of `counts` items starts."""
    starts, total = [], 0
    for n in counts:
        starts.append(total)
        total += n
    return starts


def emit_all(trace: Trace, program: Program, args: Sequence, env: dict | None = None) -> list:
    """Emit every equation of `program` into `trace` (constant ones too)."""
    return walk(program, args, lambda eqn, ins: trace.emit(eqn.prim, ins, eqn.params), env)


def emit_zeros(trace: Trace, t: TensorType) -> Tracer:
    params = dict(shape=t.shape, broadcast_dimensions=())
    return trace.emit(broadcast_in_dim_p, [np.zeros((), t.dtype)[()]], params)


@dataclass(frozen=True)
class Split:
    """A body's JVP split in two.

    known: inputs (captured consts of the split, then the body's inputs); outputs: the
        body's outputs, then the residuals.
    linear: inputs (the residuals, then the tangents of the `mask`ed body inputs); outputs:
        the tangents of the body outputs marked in `out_mask`. Linear in the tangents.
    residual_source: per residual, the index of the known program input it is (a loop
        invariant: a captured const or a body input), or None if the body computes it.
    """

    known: Program
    captured: tuple
    linear: Program
    out_mask: tuple[bool, ...]
    residual_source: tuple


def _residuals(trace: LinearizeTrace, tangents: Sequence) -> list[Var]:
    """Known vars the linear equations (or the tangent outputs) read, in first-use order."""
    found: dict[int, Var] = {}
    reads = [a for e in trace.linear_eqns() for a in e.inputs] + list(tangents)
    for atom in reads:
        if isinstance(atom, Var) and not trace.is_linear(atom):
            found.setdefault(id(atom), atom)
    return list(found.values())


def split_jvp(body: Program, mask: Sequence[bool], instantiate: Sequence[bool]) -> Split:
    """Linearize `body` with tangents on the inputs in `mask`, split into known and linear.

    Outputs marked in `instantiate` get a tangent even when it is zero (a loop's carry must
    keep its type from one iteration to the next).
    """
    with no_tapes(), LinearizeTrace() as trace:
        primals = [trace.new_input(v.type) for v in body.inputs]
        tangents: dict[int, object] = {}
        linear_in = []
        for var, wanted in zip(body.inputs, mask):
            if wanted:
                tangent = trace.new_linear_input(var.type)
                tangents[id(var)] = tangent
                linear_in.append(tangent._var)
        env: dict[int, object] = {}
        outs = emit_all(trace, body, primals, env)
        jvp_program_eqns(body, env, tangents)
        out_tangents = []
        for atom, zero in zip(body.outputs, instantiate):
            tangent = tangents.get(id(atom)) if isinstance(atom, Var) else None
            if tangent is None and zero:
                tangent = emit_zeros(trace, atom.type)
                trace.linear.add(id(tangent._var))
            out_tangents.append(tangent)
        out_atoms = [trace.to_atom(o) for o in outs]
        tangent_atoms = [None if t is None else trace.to_atom(t) for t in out_tangents]
    given = [t for t in tangent_atoms if t is not None]
    residuals = _residuals(trace, given)
    const_vars = tuple(var for var, _ in trace.consts.values())
    known_inputs = const_vars + tuple(p._var for p in primals)
    position = {id(v): i for i, v in enumerate(known_inputs)}
    known = dce(Program(known_inputs, tuple(trace.known_eqns()), tuple(out_atoms + residuals)))
    linear = Program(tuple(residuals) + tuple(linear_in), tuple(trace.linear_eqns()),
                     tuple(given))
    return Split(known, tuple(v for _, v in trace.consts.values()), dce(linear),
                 tuple(t is not None for t in tangent_atoms),
                 tuple(position.get(id(r)) for r in residuals))


@dataclass(frozen=True)
class Transposed:
    """A linear body transposed.

    program: inputs (captured consts, the body's non-linear inputs, one cotangent per body
        output); outputs: the cotangents of the body's linear inputs (zeros where
        unconnected).
    """

    program: Program
    captured: tuple


def transpose_body(body: Program, linear: Sequence[bool]) -> Transposed:
    """Transpose `body` with respect to the inputs marked in `linear`: the non-linear work it
    does is recomputed, the linear work reversed."""
    with no_tapes(), LinearizeTrace() as trace:
        args = [trace.new_linear_input(v.type) if lin else trace.new_input(v.type)
                for v, lin in zip(body.inputs, linear)]
        fixed_inputs = list(trace.inputs)
        outs = emit_all(trace, body, args)
        cts = [trace.new_input(a.type) for a in body.outputs]
        out_tangents = [o if isinstance(o, Tracer) and trace.is_linear(o._var) else None
                        for o in outs]
        linear_vars = [a._var for a, lin in zip(args, linear) if lin]
        in_cts = transpose_linear(trace, linear_vars, out_tangents, cts)
        results = [ct if ct is not None else emit_zeros(trace, v.type)
                   for ct, v in zip(in_cts, linear_vars)]
        result_atoms = [trace.to_atom(r) for r in results]
    const_vars = tuple(var for var, _ in trace.consts.values())
    inputs = const_vars + tuple(fixed_inputs) + tuple(c._var for c in cts)
    program = dce(Program(inputs, tuple(trace.known_eqns()), tuple(result_atoms)))
    return Transposed(program, tuple(v for _, v in trace.consts.values()))


def jvp_body(body: Program, mask: Sequence[bool], instantiate: Sequence[bool]
             ) -> tuple[Closed, tuple[bool, ...]]:
    """The JVP of `body` as one program: inputs (captured, body inputs, tangents of the
    `mask`ed inputs); outputs (body outputs, tangents of the outputs it says are nonzero
    or are marked in `instantiate`). Forward mode only: it mixes primal and tangent work."""
    with no_tapes(), Trace() as trace:
        primals = [trace.new_input(v.type) for v in body.inputs]
        tangents = {id(v): trace.new_input(v.type)
                    for v, wanted in zip(body.inputs, mask) if wanted}
        env: dict[int, object] = {}
        outs = emit_all(trace, body, primals, env)
        jvp_program_eqns(body, env, tangents)
        out_tangents, out_mask = [], []
        for atom, zero in zip(body.outputs, instantiate):
            tangent = tangents.get(id(atom)) if isinstance(atom, Var) else None
            if tangent is None and zero:
                tangent = emit_zeros(trace, atom.type)
            out_mask.append(tangent is not None)
            if tangent is not None:
                out_tangents.append(tangent)
        closed = closed_trace(trace, list(outs) + out_tangents)
    return closed, tuple(out_mask)


def float_mask(types: Sequence[TensorType], mask: Sequence[bool]) -> list[bool]:
    """Tangents exist only for floating-point values."""
    return [bool(m) and is_float(t.dtype) for t, m in zip(types, mask)]

"""Reverse mode through a while_loop whose trip count is known only when it runs.

The JVP of a while_loop is one loop over (primal carry, tangent carry): the primal part never
reads a tangent and the tangent part is linear in the tangents. A transpose would normally
stack each step's residuals, but the IR's shapes are static and the trip count is not, so
this one recomputes them instead: a loop counts the iterations n, then a backward loop over
k = n-1, ..., 0 rebuilds step k's primal carry from the initial one (k primal steps) and runs
the transposed tangent step on it. That costs n(n+1)/2 primal steps and no memory that grows
with n; `tj.while_loop(..., maximum_iterations=m)` is a scan that stacks residuals instead
(linear time, memory for m steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np

from tapejit.control.bodies import (
    closed_trace,
    emit_all,
    emit_zeros,
    no_tapes,
    transpose_body,
)
from tapejit.errors import TapejitError
from tapejit.ir import Program, TensorType, Var
from tapejit.passes.dce import dce
from tapejit.primitives.arithmetic import add_p, sub_p
from tapejit.primitives.base import is_undefined
from tapejit.primitives.broadcast import full
from tapejit.primitives.compare import gt_p, lt_p
from tapejit.trace import Trace, bind, top_trace

COUNTER = TensorType(np.dtype(np.int32), ())


def reaches(program: Program, marked: Sequence[bool]) -> list[bool]:
    """For each output of `program`, whether it depends on an input marked in `marked`."""
    tainted = {id(v) for v, m in zip(program.inputs, marked) if m}
    for eqn in program.eqns:
        if any(isinstance(a, Var) and id(a) in tainted for a in eqn.inputs):
            tainted.update(id(v) for v in eqn.outputs)
    return [isinstance(a, Var) and id(a) in tainted for a in program.outputs]


def linear_inputs(body: Program, nconsts: int, undefined: Sequence[bool]) -> list[bool]:
    """The body inputs that are tangents: the undefined ones, and the carries the body feeds
    from a tangent (a tangent carry that started as a zero value), to a fixed point."""
    mask = list(undefined)
    while True:
        fed = reaches(body, mask)
        grown = mask[:nconsts] + [m or f for m, f in zip(mask[nconsts:], fed)]
        if grown == mask:
            return mask
        mask = grown


def _restricted(program: Program, keep_in: Sequence[bool], keep_out: Sequence[bool]) -> Program:
    """`program` with only the kept outputs, over only the kept inputs (the others must be
    unused once the dropped outputs are gone)."""
    pruned = dce(Program(program.inputs, program.eqns,
                         tuple(o for o, k in zip(program.outputs, keep_out) if k)))
    return Program(tuple(v for v, k in zip(pruned.inputs, keep_in) if k), pruned.eqns,
                   pruned.outputs)


def _counting_body(step: Program, n_consts: int) -> tuple[Program, tuple]:
    """(step's consts; counter, primal carry) -> (counter + 1, next primal carry)."""
    types = [v.type for v in step.inputs]
    with no_tapes(), Trace() as trace:
        consts = [trace.new_input(t) for t in types[:n_consts]]
        counter = trace.new_input(COUNTER)
        carry = [trace.new_input(t) for t in types[n_consts:]]
        nxt = emit_all(trace, step, consts + carry)
        closed = closed_trace(trace, [trace.emit(add_p, [counter, np.int32(1)], {})] + nxt)
    return closed.program, closed.captured


def _compare_counter(prim, carry_types: Sequence[TensorType], bound: bool) -> Program:
    """A predicate `counter <prim> 0`, or with `bound` `counter <prim> bound` (the bound its
    one const), over a carry whose first value is the counter."""
    with no_tapes(), Trace() as trace:
        limit = trace.new_input(COUNTER) if bound else np.int32(0)
        counter = trace.new_input(COUNTER)
        for t in carry_types:
            trace.new_input(t)
        return closed_trace(trace, [trace.emit(prim, [counter, limit], {})]).program


def _loop(loop, pred_consts, body_consts, init, predicate: Program, body: Program) -> tuple:
    return bind(loop, *pred_consts, *body_consts, *init, predicate=predicate, body=body,
                predicate_nconsts=len(pred_consts), body_nconsts=len(body_consts))


def _backward_body(loop, transposed, step: Program, counting, n_consts: int, n_carry: int,
                   ct_types: Sequence[TensorType], acc_types: Sequence[TensorType]):
    """(captured, transposed step's captured, consts, initial primal carry; counter, carry
    cotangents, const cotangent sums) -> the same one step earlier."""
    step_types = [v.type for v in step.inputs]
    recompute_pred = _compare_counter(lt_p, step_types[n_consts:], bound=True)
    count_program, count_captured = counting
    with no_tapes(), Trace() as trace:
        t_captured = [trace.new_input(v.type)
                      for v in transposed.program.inputs[:len(transposed.captured)]]
        consts = [trace.new_input(t) for t in step_types[:n_consts]]
        start = [trace.new_input(t) for t in step_types[n_consts:]]
        counter = trace.new_input(COUNTER)
        cts = [trace.new_input(t) for t in ct_types]
        acc = [trace.new_input(t) for t in acc_types]
        k = trace.emit(sub_p, [counter, np.int32(1)], {})
        primal_k = _loop(loop, [k], list(count_captured) + consts,
                         [full((), 0, np.int32)] + start, recompute_pred, count_program)[1:]
        outs = emit_all(trace, transposed.program, t_captured + consts + list(primal_k) + cts)
        sums = [trace.emit(add_p, [a, o], {}) for a, o in zip(acc, outs)]
        closed = closed_trace(trace, [k] + outs[len(acc_types):] + sums)
    assert len(outs) == len(acc_types) + n_carry
    return closed


def transpose_while(loop, cts, args, *, predicate: Program, body: Program, predicate_nconsts: int,
                    body_nconsts: int) -> list:
    """Cotangents of a linear while_loop's undefined operands (see the module docstring);
    `loop` is the while_loop primitive."""
    np_, nb = predicate_nconsts, body_nconsts
    body_args = args[np_:]
    lin = linear_inputs(body, nb, [is_undefined(a) for a in body_args])
    lin_carry = lin[nb:]
    if any(reaches(predicate, [False] * np_ + lin_carry)):
        raise TapejitError("while_loop transpose: the predicate reads a tangent carry")
    primal = [not m for m in lin]
    step = _restricted(body, primal, [not m for m in lin_carry])
    consts = [a for a, m in zip(body_args[:nb], lin[:nb]) if not m]
    start = [a for a, m in zip(body_args[nb:], lin_carry) if not m]
    counting = _counting_body(step, len(consts))
    count_pred = Program(tuple(predicate.inputs[:np_]) + (Var(COUNTER),) + tuple(
        v for v, m in zip(predicate.inputs[np_:], lin_carry) if not m),
        predicate.eqns, predicate.outputs)
    trips = _loop(loop, list(args[:np_]), list(counting[1]) + consts,
                  [full((), 0, np.int32)] + start, count_pred, counting[0])[0]
    transposed = transpose_body(_restricted(body, [True] * len(lin), lin_carry), lin)
    carry_types = [v.type for v, m in zip(body.inputs[nb:], lin_carry) if m]
    acc_types = [v.type for v, m in zip(body.inputs[:nb], lin[:nb]) if m]
    back = _backward_body(loop, transposed, step, counting, len(consts), len(carry_types),
                          carry_types, acc_types)
    trace = top_trace([trips])
    zeros = (lambda t: full(t.shape, 0, t.dtype)) if trace is None else partial(emit_zeros, trace)
    lin_cts = [zeros(t) if ct is None else ct
               for ct, t, m in zip(cts, (v.type for v in body.outputs), lin_carry) if m]
    outs = _loop(loop, [], list(back.captured) + list(transposed.captured) + consts + start,
                 [trips] + lin_cts + [zeros(t) for t in acc_types],
                 _compare_counter(gt_p, carry_types + acc_types, bound=False), back.program)[1:]
    carry_cts = iter(outs[:len(carry_types)])
    const_cts = iter(outs[len(carry_types):])
    result = [None] * np_
    result += [next(const_cts) if m else None for m in lin[:nb]]
    result += [next(carry_cts) if m else None for m in lin_carry]
    return [ct if is_undefined(a) else None for ct, a in zip(result, args)]

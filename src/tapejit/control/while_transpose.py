"""Reverse mode through a while_loop whose trip count is known only when it runs.

The JVP of a while_loop is one loop over (primal carry, tangent carry): the primal part never
reads a tangent and the tangent part is linear in the tangents. A transpose would normally
stack each step's residuals, but the IR's shapes are static and the trip count is not, so
this one keeps a fixed number of snapshots and recomputes from them:

1. a loop counts the iterations n;
2. a scan of S steps (S static: as many primal carries as fit in SNAPSHOT_BYTES, at most
   MAX_SNAPSHOTS) stores the carry every stride = ceil(n / S) iterations;
3. a backward loop over k = n-1, ..., 0 rebuilds step k's primal carry from the snapshot
   before it (fewer than `stride` primal steps) and runs the transposed tangent step on it.

That is about 2n + n·stride/2 primal steps: linear while n <= S, and n²/(2S) beyond.
`tj.while_loop(..., maximum_iterations=m)` is a scan that stacks every step's residuals
instead (linear time, memory for m steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from tapejit.control.bodies import (
    closed_trace,
    emit_all,
    emit_zeros,
    no_tapes,
    transpose_body,
)
from tapejit.control.scan import scan_bind
from tapejit.errors import TapejitError
from tapejit.ir import Program, TensorType, Var
from tapejit.passes.dce import dce
from tapejit.primitives.arithmetic import add_p, maximum_p, minimum_p, mul_p, sub_p
from tapejit.primitives.base import is_undefined
from tapejit.primitives.broadcast import full
from tapejit.primitives.compare import gt_p, lt_p
from tapejit.primitives.indexing import dynamic_slice
from tapejit.primitives.rounding import floor_divide_p
from tapejit.primitives.shape import squeeze
from tapejit.trace import Trace, bind, top_trace

SNAPSHOT_BYTES = 32 * 2**20
MAX_SNAPSHOTS = 128
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


def snapshot_count(carry_types: Sequence[TensorType]) -> int:
    """How many primal carries the transpose keeps (static: the IR's shapes are)."""
    size = sum(int(np.prod(t.shape, dtype=np.int64)) * t.dtype.itemsize for t in carry_types)
    return int(max(1, min(MAX_SNAPSHOTS, SNAPSHOT_BYTES // max(size, 1))))


@dataclass(frozen=True)
class _Steps:
    """The primal step as the body of a counting loop (`_counting_body`), with what it reads:
    `advance` emits the loop that takes a (counter, primal carry) up to a limit."""

    loop: object
    program: Program
    captured: tuple
    consts: list
    carry_types: list

    def advance(self, counter, carry, limit) -> tuple:
        below = _compare_counter(lt_p, self.carry_types, bound=True)
        return _loop(self.loop, [limit], list(self.captured) + list(self.consts),
                     [counter] + list(carry), below, self.program)


def _snapshots(steps: _Steps, start, trips, slots: int) -> tuple[list, object]:
    """The primal carry at iterations 0, stride, 2·stride, ... (stride = ceil(trips / slots)),
    each stacked along a leading axis of `slots`; and the stride."""
    ceil = bind(floor_divide_p, bind(add_p, trips, np.int32(slots - 1)), np.int32(slots))
    stride = bind(maximum_p, ceil, np.int32(1))
    with no_tapes(), Trace() as trace:
        counter = trace.new_input(COUNTER)
        carry = [trace.new_input(t) for t in steps.carry_types]
        limit = trace.emit(minimum_p, [trace.emit(add_p, [counter, stride], {}), trips], {})
        body = closed_trace(trace, list(steps.advance(counter, carry, limit)) + carry)
    outs = scan_bind(list(body.captured), [full((), 0, np.int32)] + list(start), [],
                     body=body.program, length=slots)
    return list(outs[1 + len(start):]), stride


def _backward_body(steps: _Steps, transposed, snapshots, stride, ct_types, acc_types):
    """(counter, carry cotangents, const cotangent sums) -> the same one step earlier: the
    primal carry of that step rebuilt from the snapshot before it, then the transposed step
    (everything else it reads is captured)."""
    with no_tapes(), Trace() as trace:
        counter = trace.new_input(COUNTER)
        cts = [trace.new_input(t) for t in ct_types]
        acc = [trace.new_input(t) for t in acc_types]
        k = trace.emit(sub_p, [counter, np.int32(1)], {})
        segment = trace.emit(floor_divide_p, [k, stride], {})
        base = [squeeze(dynamic_slice(snap, [segment] + [np.int32(0)] * len(t.shape),
                                      (1,) + t.shape), (0,))
                for snap, t in zip(snapshots, steps.carry_types)]
        first = trace.emit(mul_p, [segment, stride], {})
        primal_k = steps.advance(first, base, k)[1:]
        outs = emit_all(trace, transposed.program,
                        list(transposed.captured) + list(steps.consts) + list(primal_k) + cts)
        sums = [trace.emit(add_p, [a, o], {}) for a, o in zip(acc, outs)]
        return closed_trace(trace, [k] + outs[len(acc_types):] + sums)


def transpose_while(loop, cts, args, *, predicate: Program, body: Program,
                    predicate_nconsts: int, body_nconsts: int) -> list:
    """Cotangents of a linear while_loop's undefined operands (see the module docstring);
    `loop` is the while_loop primitive."""
    np_, nb = predicate_nconsts, body_nconsts
    body_args = args[np_:]
    lin = linear_inputs(body, nb, [is_undefined(a) for a in body_args])
    lin_carry = lin[nb:]
    if any(reaches(predicate, [False] * np_ + lin_carry)):
        raise TapejitError("while_loop transpose: the predicate reads a tangent carry")
    step = _restricted(body, [not m for m in lin], [not m for m in lin_carry])
    consts = [a for a, m in zip(body_args[:nb], lin[:nb]) if not m]
    start = [a for a, m in zip(body_args[nb:], lin_carry) if not m]
    primal_types = [v.type for v in step.inputs[len(consts):]]
    steps = _Steps(loop, *_counting_body(step, len(consts)), consts, primal_types)
    count_pred = Program(tuple(predicate.inputs[:np_]) + (Var(COUNTER),) + tuple(
        v for v, m in zip(predicate.inputs[np_:], lin_carry) if not m),
        predicate.eqns, predicate.outputs)
    trips = _loop(loop, list(args[:np_]), list(steps.captured) + consts,
                  [full((), 0, np.int32)] + start, count_pred, steps.program)[0]
    snapshots, stride = _snapshots(steps, start, trips, snapshot_count(primal_types))
    transposed = transpose_body(_restricted(body, [True] * len(lin), lin_carry), lin)
    carry_types = [v.type for v, m in zip(body.inputs[nb:], lin_carry) if m]
    acc_types = [v.type for v, m in zip(body.inputs[:nb], lin[:nb]) if m]
    back = _backward_body(steps, transposed, snapshots, stride, carry_types, acc_types)
    trace = top_trace([trips])
    zeros = (lambda t: full(t.shape, 0, t.dtype)) if trace is None else partial(emit_zeros, trace)
    lin_cts = [zeros(t) if ct is None else ct
               for ct, t, m in zip(cts, (v.type for v in body.outputs), lin_carry) if m]
    outs = _loop(loop, [], list(back.captured), [trips] + lin_cts + [zeros(t) for t in acc_types],
                 _compare_counter(gt_p, carry_types + acc_types, bound=False), back.program)[1:]
    carry_cts = iter(outs[:len(carry_types)])
    const_cts = iter(outs[len(carry_types):])
    result = [None] * np_
    result += [next(const_cts) if m else None for m in lin[:nb]]
    result += [next(carry_cts) if m else None for m in lin_carry]
    return [ct if is_undefined(a) else None for ct, a in zip(result, args)]

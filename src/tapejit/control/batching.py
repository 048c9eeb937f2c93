"""vmap of the higher-order primitives: their bodies are batched by tracing `batch_eval`
over them, with every batched value's batch axis first.

scan: consts and carries batched first, xs batched on axis 1 (axis 0 is the loop's), so the
slices the body sees are batched first; a carry that the body makes batched is batched from
the start (a fixed point). cond: with an unbatched index, a cond of batched branches; with a
batched one, every branch runs and `select` picks per example. while_loop: with an unbatched
predicate, a loop of the batched body; with a batched one, the loop runs while any example
goes on and the finished ones keep their carry. Calls batch their body; custom rules are
traced and batched the same way when they are called.
"""

from __future__ import annotations

import numpy as np

from tapejit.control.bodies import Closed, offsets, over_inputs, trace_function
from tapejit.ir import Program, TensorType
from tapejit.primitives.base import batch_first
from tapejit.primitives.batching import batch_eval, batch_size, with_batch
from tapejit.primitives.broadcast import broadcast_in_dim
from tapejit.primitives.compare import eq_p, gt_p, select_p
from tapejit.primitives.convert import convert
from tapejit.primitives.reduce import reduce_max_p
from tapejit.primitives.shape import transpose
from tapejit.trace import bind, eval_program


def batched_type(t: TensorType, batched: bool, n: int) -> TensorType:
    return TensorType(t.dtype, ((n,) + t.shape) if batched else t.shape)


def batch_body(body: Program, batched: list[bool], n: int, force: list[bool] | None = None
               ) -> tuple[Closed, list[bool]]:
    """`body` on inputs batched first where `batched` says; outputs batched first, or not at
    all. `force` makes outputs batched even when they do not depend on the batch."""
    types = [batched_type(v.type, b, n) for v, b in zip(body.inputs, batched)]

    def run(*args):
        outs, dims = batch_eval(body, args, [0 if b else None for b in batched])
        made = []
        for k, (out, dim) in enumerate(zip(outs, dims)):
            if dim is None and not (force and force[k]):
                made.append(out)
            else:
                made.append(with_batch(out, dim, n))
        return made, [d is not None or bool(force and force[k]) for k, d in enumerate(dims)]

    return trace_function(run, types)


def _front(args, dims, n) -> list:
    return [a if d is None else batch_first(a, d) for a, d in zip(args, dims)]


# --- scan ----------------------------------------------------------------------------------

def _to_axis_1(x, dim, n):
    """A stacked x with its batch axis second (the loop's axis stays first)."""
    if dim is None:
        return x
    x = batch_first(x, dim)
    return transpose(x, (1, 0) + tuple(range(2, len(x.shape))))


def scan_batch(prim, args, dims, *, body, length, reverse, num_consts, num_carry):
    n = batch_size(args, dims)
    split = num_consts + num_carry
    batched = [d is not None for d in dims]
    while True:
        closed, out_batched = batch_body(body, batched, n)
        grown = [b or o for b, o in zip(batched[num_consts:split], out_batched[:num_carry])]
        if grown == batched[num_consts:split]:
            break
        batched[num_consts:split] = grown
    force = batched[num_consts:split] + [False] * (len(body.outputs) - num_carry)
    closed, out_batched = batch_body(body, batched, n, force)
    consts = _front(args[:num_consts], dims[:num_consts], n)
    init = [with_batch(a, d, n) if b else a
            for a, d, b in zip(args[num_consts:split], dims[num_consts:split],
                               batched[num_consts:split])]
    xs = [_to_axis_1(a, d, n) for a, d in zip(args[split:], dims[split:])]
    outs = bind(prim, *closed.captured, *consts, *init, *xs, body=closed.program, length=length,
                reverse=reverse, num_consts=len(closed.captured) + num_consts,
                num_carry=num_carry)
    out_dims = [0 if b else None for b in out_batched[:num_carry]] + [
        1 if b else None for b in out_batched[num_carry:]]
    return tuple(outs), tuple(out_dims)


# --- cond ----------------------------------------------------------------------------------

def cond_batch(prim, args, dims, *, branches):
    n = batch_size(args, dims)
    operands = _front(args[1:], dims[1:], n)
    batched = [d is not None for d in dims[1:]]
    force = [True] * len(branches[0].outputs)
    traced = [batch_body(b, batched, n, force)[0] for b in branches]
    if dims[0] is None:
        programs, captured = _shared(traced)
        outs = bind(prim, args[0], *captured, *operands, branches=programs)
        return tuple(outs), (0,) * len(outs)
    index = batch_first(args[0], dims[0])
    results = [bind_closed(c, operands) for c in traced]
    chosen = list(results[0])
    for k, result in enumerate(results[1:], start=1):
        pick = bind(eq_p, index, np.int32(k))
        chosen = [bind(select_p, _per_example(pick, r), r, c) for r, c in zip(result, chosen)]
    return tuple(chosen), (0,) * len(chosen)


def _per_example(pick, like):
    """A per-example bool broadcast over the example's axes."""
    return broadcast_in_dim(pick, tuple(like.shape), (0,))


def bind_closed(closed: Closed, operands) -> list:
    return eval_program(closed.program, list(closed.captured) + list(operands))


def _shared(traced: list[Closed]):
    cap_types = [[v.type for v in c.program.inputs[:c.num_captured]] for c in traced]
    rest = [v.type for v in traced[0].program.inputs[traced[0].num_captured:]]
    types = [t for ts in cap_types for t in ts] + rest
    n_cap = len(types) - len(rest)
    programs = tuple(over_inputs(c.program, types, list(range(at, at + c.num_captured))
                                 + list(range(n_cap, len(types))))
                     for c, at in zip(traced, offsets([len(ts) for ts in cap_types])))
    return programs, [v for c in traced for v in c.captured]


# --- while_loop ----------------------------------------------------------------------------

def while_batch(prim, args, dims, *, predicate, body, predicate_nconsts, body_nconsts):
    n = batch_size(args, dims)
    npc, nb = predicate_nconsts, body_nconsts
    pc, bc, init = args[:npc], args[npc:npc + nb], args[npc + nb:]
    pd, bd, cd = dims[:npc], dims[npc:npc + nb], dims[npc + nb:]
    carry = [d is not None for d in cd]
    while True:
        step, out_b = batch_body(body, [d is not None for d in bd] + carry, n)
        grown = [c or o for c, o in zip(carry, out_b)]
        if grown == carry:
            break
        carry = grown
    pred, pred_b = batch_body(predicate, [d is not None for d in pd] + carry, n)
    if pred_b[0]:
        carry = [True] * len(carry)
    step, _ = batch_body(body, [d is not None for d in bd] + carry, n, carry)
    pred, pred_b = batch_body(predicate, [d is not None for d in pd] + carry, n)
    start = [with_batch(a, d, n) if c else a for a, d, c in zip(init, cd, carry)]
    pcs, bcs = _front(pc, pd, n), _front(bc, bd, n)
    if not pred_b[0]:
        outs = bind(prim, *pred.captured, *pcs, *step.captured, *bcs, *start,
                    predicate=pred.program, body=step.program,
                    predicate_nconsts=len(pred.captured) + npc,
                    body_nconsts=len(step.captured) + nb)
        return tuple(outs), tuple(0 if c else None for c in carry)
    return _while_any(prim, pred, step, pcs, bcs, start)


def _while_any(prim, pred: Closed, step: Closed, pcs, bcs, start):
    """A batched predicate: loop while any example goes on; the finished keep their carry."""
    types = [TensorType(np.dtype(s.dtype), tuple(s.shape)) for s in start]

    def any_going(*args):
        flags = bind_closed(pred, list(pcs) + list(args))[0]
        count = bind(reduce_max_p, convert(flags, np.int32), axes=(0,))
        return [bind(gt_p, count, np.int32(0))], None

    def guarded(*args):
        flags = bind_closed(pred, list(pcs) + list(args))[0]
        new = bind_closed(step, list(bcs) + list(args))
        return [bind(select_p, _per_example(flags, x), x, old)
                for x, old in zip(new, args)], None

    test, _ = trace_function(any_going, types)
    loop, _ = trace_function(guarded, types)
    outs = bind(prim, *test.captured, *loop.captured, *start, predicate=test.program,
                body=loop.program, predicate_nconsts=test.num_captured,
                body_nconsts=loop.num_captured)
    return tuple(outs), (0,) * len(outs)


# --- calls ---------------------------------------------------------------------------------

def call_batch(prim, args, dims, *, body, **params):
    """call, checkpoint and linear_call: the same call of the batched body (values the
    batched body captured come first, so a linear_call's fixed operands grow by them)."""
    n = batch_size(args, dims)
    closed, out_batched = batch_body(body, [d is not None for d in dims], n)
    if "num_fixed" in params:
        params = dict(params, num_fixed=params["num_fixed"] + closed.num_captured)
    outs = bind(prim, *closed.captured, *_front(args, dims, n), body=closed.program, **params)
    return tuple(outs), tuple(0 if b else None for b in out_batched)

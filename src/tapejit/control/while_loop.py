"""while_loop: repeat a body program on a carry while a predicate program says so.

Operands: `predicate_nconsts` values the predicate reads, `body_nconsts` values the body
reads, then the initial carry. The predicate maps (its consts, carry) to a bool scalar; the
body (its consts, carry) to a new carry of the same types.

JVP: one loop over the carry and its tangents. Transpose (`while_transpose.py`): the trip
count is not known before the loop runs, so the residuals are recomputed from a fixed number
of snapshots rather than stacked. A bound on the number of iterations (`maximum_iterations`
in tj.while_loop) or a fori_loop with static bounds makes a scan instead, which stacks them.
"""

from __future__ import annotations

import numpy as np

from tapejit.control.batching import while_batch
from tapejit.control.bodies import float_mask, jvp_body, over_inputs
from tapejit.control.while_transpose import transpose_while
from tapejit.errors import DTypeError, TypeRuleError
from tapejit.ir import Primitive, Program, TensorType, dead_vars, interpret
from tapejit.primitives.broadcast import full
from tapejit.trace import bind


def _while_type(*in_types: TensorType, predicate: Program, body: Program,
                predicate_nconsts: int, body_nconsts: int):
    pred_consts = tuple(in_types[:predicate_nconsts])
    body_consts = tuple(in_types[predicate_nconsts:predicate_nconsts + body_nconsts])
    carry = tuple(in_types[predicate_nconsts + body_nconsts:])
    if tuple(v.type for v in predicate.inputs) != pred_consts + carry:
        raise TypeRuleError("the predicate does not take (its consts, the carry)",
                            "trace the predicate on the loop's carry types")
    result = tuple(a.type for a in predicate.outputs)
    if result != (TensorType(np.dtype(bool), ()),):
        raise TypeRuleError(f"the predicate must give one bool scalar, it gives "
                            f"({', '.join(map(str, result))})",
                            "return a comparison such as `i < n`", DTypeError)
    if tuple(v.type for v in body.inputs) != body_consts + carry:
        raise TypeRuleError("the body does not take (its consts, the carry)",
                            "trace the body on the loop's carry types")
    out = tuple(a.type for a in body.outputs)
    if out != carry:
        raise TypeRuleError(f"the body turns a carry of ({', '.join(map(str, carry))}) into "
                            f"({', '.join(map(str, out))})",
                            "return the carry with the same dtypes and shapes it came in with")
    return carry


def _while_impl(*args, predicate: Program, body: Program, predicate_nconsts: int,
                body_nconsts: int):
    pred_consts = list(args[:predicate_nconsts])
    body_consts = list(args[predicate_nconsts:predicate_nconsts + body_nconsts])
    carry = list(args[predicate_nconsts + body_nconsts:])
    types = [a.type for a in body.outputs]
    dead_in_predicate, dead_in_body = dead_vars(predicate), dead_vars(body)
    while bool(interpret(predicate, pred_consts + carry, dead=dead_in_predicate)[0]):
        new = interpret(body, body_consts + carry, dead=dead_in_body)
        carry = [np.asarray(c, t.dtype) for c, t in zip(new, types)]
    return tuple(np.asarray(c, t.dtype) for c, t in zip(carry, types))


def while_bind(pred_consts, body_consts, init, *, predicate: Program, body: Program) -> tuple:
    return bind(while_p, *pred_consts, *body_consts, *init, predicate=predicate, body=body,
                predicate_nconsts=len(pred_consts), body_nconsts=len(body_consts))


def _while_jvp(primals, tangents, outs, *, predicate: Program, body: Program,
               predicate_nconsts: int, body_nconsts: int):
    nb = body_nconsts
    body_primals = list(primals[predicate_nconsts:])
    types = [v.type for v in body.inputs]
    mask = float_mask(types, [t is not None for t in tangents[predicate_nconsts:]])
    while True:
        closed, out_mask = jvp_body(body, mask, [False] * len(body.outputs))
        grown = float_mask(types[nb:], [m or o for m, o in zip(mask[nb:], out_mask)])
        if grown == mask[nb:]:
            break
        mask[nb:] = grown
    closed, _ = jvp_body(body, mask, mask[nb:])
    n_cap, n_tc = len(closed.captured), sum(mask[:nb])
    n_in = n_cap + len(types)
    inputs = closed.program.inputs
    # jvp_body's order (captured, consts, carry, const tangents, carry tangents) -> the loop's
    # (captured, consts, const tangents; carry, carry tangents)
    order = (list(inputs[:n_cap + nb]) + list(inputs[n_in:n_in + n_tc])
             + list(inputs[n_cap + nb:n_in]) + list(inputs[n_in + n_tc:]))
    loop_body = Program(tuple(order), closed.program.eqns, closed.program.outputs)
    t = [tan if tan is not None else full(ty.shape, 0, ty.dtype)
         for tan, ty, m in zip(tangents[predicate_nconsts:], types, mask) if m]
    carry_t, consts_t = t[n_tc:], t[:n_tc]
    np_ = predicate_nconsts
    pred_types = [v.type for v in predicate.inputs] + [
        ty for ty, m in zip(types[nb:], mask[nb:]) if m]
    loop_pred = over_inputs(predicate, pred_types, list(range(len(predicate.inputs))))
    outs = while_bind(list(primals[:np_]), list(closed.captured) + body_primals[:nb] + consts_t,
                      body_primals[nb:] + carry_t, predicate=loop_pred, body=loop_body)
    n_carry = len(types) - nb
    found = iter(outs[n_carry:])
    return tuple(next(found) if m else None for m in mask[nb:])


def _while_transpose(cts, *args, **params):
    return transpose_while(while_p, cts, args, **params)


while_p = Primitive(name="while_loop", type_rule=_while_type, impl=_while_impl, jvp=_while_jvp,
                    transpose=_while_transpose, kind="other", batch=while_batch,
                   multiple_results=True)

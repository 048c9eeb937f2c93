"""call: a jitted function called inside another trace or under a recording tape stays one
equation, its traced program the `body` (printed with the function's `name`).

JVP: the body's JVP split in two (as a scan's): a `call` of the known part, which also gives
the residuals, and a `linear_call` of the linear part on them, so reverse mode stores the
residuals instead of recomputing the call. The optimizer inlines calls after autodiff.
"""

from __future__ import annotations

from tapejit.control.batching import call_batch
from tapejit.control.bodies import float_mask, split_jvp
from tapejit.control.custom import linear_call_p
from tapejit.errors import TypeRuleError
from tapejit.ir import Primitive, Program, interpret
from tapejit.primitives.broadcast import full
from tapejit.trace import bind


def _call_type(*in_types, body: Program, name: str):
    declared = tuple(v.type for v in body.inputs)
    if tuple(in_types) != declared:
        raise TypeRuleError(f"{name} takes ({', '.join(map(str, declared))}), got "
                            f"({', '.join(map(str, in_types))})",
                            "call it with the types it was traced for")
    return tuple(a.type for a in body.outputs)


def _call_impl(*args, body: Program, name: str):
    return tuple(interpret(body, args))


def _call_jvp(primals, tangents, outs, *, body: Program, name: str):
    mask = float_mask([v.type for v in body.inputs], [t is not None for t in tangents])
    split = split_jvp(body, mask, [False] * len(body.outputs))
    known = bind(call_p, *split.captured, *primals, body=split.known, name=name)
    residuals = known[len(body.outputs):]
    given = [t if t is not None else full(v.type.shape, 0, v.type.dtype)
             for t, v, m in zip(tangents, body.inputs, mask) if m]
    found = iter(bind(linear_call_p, *residuals, *given, body=split.linear,
                      num_fixed=len(residuals)))
    return tuple(next(found) if m else None for m in split.out_mask)


call_p = Primitive(name="call", type_rule=_call_type, impl=_call_impl, jvp=_call_jvp,
                   kind="other", batch=call_batch,
                   multiple_results=True)

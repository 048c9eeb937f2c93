"""cond: run one of several branch programs, chosen by an int32 index.

Operands: the index (clamped into range, as XLA's conditional does), then the operands
every branch takes. Each branch is a program over the operands; all give the same types.

JVP: each branch's JVP is split into a known and a linear part; a known cond computes the
outputs and every branch's residuals (zeros in the slots of the branches not taken), a
linear cond the tangents from them. Transpose: a cond of the transposed branches.
"""

from __future__ import annotations

import numpy as np

from tapejit.control.batching import cond_batch
from tapejit.control.bodies import (
    closed_trace,
    emit_all,
    emit_zeros,
    float_mask,
    no_tapes,
    offsets,
    over_inputs,
    split_jvp,
    transpose_body,
)
from tapejit.errors import DTypeError, ShapeError, TypeRuleError
from tapejit.ir import Primitive, Program, TensorType, interpret
from tapejit.primitives.base import is_undefined
from tapejit.primitives.broadcast import full
from tapejit.trace import Trace, bind


def _cond_type(index: TensorType, *operands: TensorType, branches: tuple[Program, ...]):
    if index.shape != () or index.dtype != np.int32:
        raise TypeRuleError(f"the branch index must be an int32 scalar, got {index}",
                            "pass tj.cast(i, tj.int32) (a bool predicate: cast it to int32)",
                            DTypeError)
    outs = None
    for k, branch in enumerate(branches):
        declared = tuple(v.type for v in branch.inputs)
        if declared != tuple(operands):
            raise TypeRuleError(f"branch {k} takes ({', '.join(map(str, declared))}), the "
                                f"operands are ({', '.join(map(str, operands))})",
                                "every branch takes the same operands", ShapeError)
        types = tuple(a.type for a in branch.outputs)
        if outs is not None and types != outs:
            raise TypeRuleError(f"branch {k} gives ({', '.join(map(str, types))}), branch 0 "
                                f"gives ({', '.join(map(str, outs))})",
                                "make every branch return the same dtypes and shapes",
                                ShapeError)
        outs = types
    return outs


def _pick(index, n: int) -> int:
    return int(min(max(int(index), 0), n - 1))


def _cond_impl(index, *operands, branches: tuple[Program, ...]):
    branch = branches[_pick(index, len(branches))]
    outs = interpret(branch, operands)
    return tuple(np.asarray(o, a.type.dtype) for o, a in zip(outs, branch.outputs))


def cond_bind(index, operands, branches: tuple[Program, ...]) -> tuple:
    return bind(cond_p, index, *operands, branches=tuple(branches))


def _cond_jvp(primals, tangents, outs, *, branches: tuple[Program, ...]):
    index, operands = primals[0], primals[1:]
    types = [v.type for v in branches[0].inputs]
    mask = float_mask(types, [t is not None for t in tangents[1:]])
    n_out = len(branches[0].outputs)
    first = [split_jvp(b, mask, [False] * n_out) for b in branches]
    out_mask = [any(s.out_mask[k] for s in first) for k in range(n_out)]
    splits = [split_jvp(b, mask, out_mask) for b in branches]
    captured = [c for s in splits for c in s.captured]
    known = _known_branches(splits, types, n_out)
    known_outs = cond_bind(index, captured + list(operands), known)
    t = [tan if tan is not None else full(ty.shape, 0, ty.dtype)
         for tan, ty, m in zip(tangents[1:], types, mask) if m]
    linear = _linear_branches(splits)
    lin_outs = iter(cond_bind(index, list(known_outs[n_out:]) + t, linear))
    return tuple(next(lin_outs) if m else None for m in out_mask)


def _slot_types(splits, n_out) -> list[list[TensorType]]:
    return [[a.type for a in s.known.outputs[n_out:]] for s in splits]


def _known_branches(splits, operand_types, n_out) -> tuple[Program, ...]:
    """Each branch's known program over (every branch's captured values, operands), giving
    its outputs and every branch's residual slots (its own filled, the others zero)."""
    cap_types = [[v.type for v in s.known.inputs[:len(s.captured)]] for s in splits]
    slot_types = _slot_types(splits, n_out)
    cap_at = offsets([len(c) for c in cap_types])
    slot_at = offsets([len(t) for t in slot_types])
    programs = []
    for k, split in enumerate(splits):
        with no_tapes(), Trace() as trace:
            caps = [trace.new_input(t) for ts in cap_types for t in ts]
            ops = [trace.new_input(t) for t in operand_types]
            own = caps[cap_at[k]:cap_at[k] + len(split.captured)]
            outs = emit_all(trace, split.known, own + ops)
            slots = [emit_zeros(trace, t) for ts in slot_types for t in ts]
            slots[slot_at[k]:slot_at[k] + len(slot_types[k])] = outs[n_out:]
            programs.append(closed_trace(trace, outs[:n_out] + slots).program)
    return tuple(programs)


def _linear_branches(splits) -> tuple[Program, ...]:
    """Each branch's linear program over (every branch's residual slots, tangents)."""
    n_res = [len(s.residual_source) for s in splits]
    slot_types = [[v.type for v in s.linear.inputs[:n]] for s, n in zip(splits, n_res)]
    tangent_types = [v.type for v in splits[0].linear.inputs[n_res[0]:]]
    types = [t for ts in slot_types for t in ts] + tangent_types
    slot_at = offsets(n_res)
    return tuple(over_inputs(s.linear, types, list(range(at, at + n)) + list(
        range(len(types) - len(tangent_types), len(types))))
        for s, at, n in zip(splits, slot_at, n_res))


def _cond_transpose(cts, index, *operands, branches: tuple[Program, ...]):
    if is_undefined(index):
        raise NotImplementedError("a cond's index cannot be linear")
    linear = [is_undefined(a) for a in operands]
    out_types = [a.type for a in branches[0].outputs]
    cts = [ct if ct is not None else full(t.shape, 0, t.dtype) for ct, t in zip(cts, out_types)]
    transposed = [transpose_body(b, linear) for b in branches]
    fixed = [a for a in operands if not is_undefined(a)]
    cap_types = [[v.type for v in tb.program.inputs[:len(tb.captured)]] for tb in transposed]
    rest = [v.type for v in transposed[0].program.inputs[len(transposed[0].captured):]]
    types = [t for ts in cap_types for t in ts] + rest
    n_cap = len(types) - len(rest)
    programs = tuple(over_inputs(tb.program, types, list(range(at, at + len(tb.captured)))
                                 + list(range(n_cap, len(types))))
                     for tb, at in zip(transposed, offsets([len(c) for c in cap_types])))
    captured = [c for tb in transposed for c in tb.captured]
    outs = iter(cond_bind(index, captured + fixed + cts, programs))
    return [None] + [next(outs) if lin else None for lin in linear]


cond_p = Primitive(name="cond", type_rule=_cond_type, impl=_cond_impl, jvp=_cond_jvp,
                   transpose=_cond_transpose, kind="other", batch=cond_batch,
                   multiple_results=True)

"""scan: a loop over the leading axis of its `xs` with a carry, its body a sub-program.

Operands: `num_consts` loop invariants, `num_carry` initial carries, then the xs. The body
takes (consts, carry, one slice of each x) and gives (new carry, one slice of each y); the
scan's outputs are the final carry and the ys stacked along a new leading axis of size
`length`. `reverse` walks the xs from the last slice to the first (and stacks ys in place).

JVP: the body's JVP is split (partial evaluation) into a known scan, which computes the
primal outputs and stacks the residuals the tangents need, and a linear scan over those
residuals. Transpose: a linear scan runs backward over its residuals, with the cotangents of
its linear consts summed in extra carries.
"""

from __future__ import annotations

import numpy as np

from tapejit.control.batching import scan_batch
from tapejit.control.bodies import (
    Closed,
    closed_trace,
    emit_all,
    float_mask,
    no_tapes,
    split_jvp,
    transpose_body,
)
from tapejit.errors import ShapeError, TypeRuleError
from tapejit.ir import Primitive, Program, TensorType, dead_vars, interpret
from tapejit.passes.dce import dce
from tapejit.primitives.arithmetic import add_p
from tapejit.primitives.base import is_undefined
from tapejit.primitives.broadcast import full
from tapejit.trace import Trace, bind


def _slice_type(t: TensorType, length: int) -> TensorType:
    if t.ndim == 0 or t.shape[0] != length:
        raise TypeRuleError(f"scan over length {length} got an x of type {t}",
                            f"every x needs a leading axis of size {length}", ShapeError)
    return TensorType(t.dtype, t.shape[1:])


def _scan_type(*in_types, body: Program, length: int, reverse: bool, num_consts: int,
               num_carry: int):
    split = num_consts + num_carry
    expected = tuple(in_types[:split]) + tuple(_slice_type(t, length) for t in in_types[split:])
    declared = tuple(v.type for v in body.inputs)
    if expected != declared:
        raise TypeRuleError(f"scan body takes ({', '.join(map(str, declared))}), operands give "
                            f"({', '.join(map(str, expected))})",
                            "the body's inputs are (consts, carry, one slice of each x)")
    carry_in = tuple(in_types[num_consts:split])
    carry_out = tuple(a.type for a in body.outputs[:num_carry])
    if carry_in != carry_out:
        raise TypeRuleError(f"scan body turns a carry of ({', '.join(map(str, carry_in))}) into "
                            f"({', '.join(map(str, carry_out))})",
                            "return the carry with the same dtypes and shapes it came in with")
    ys = tuple(TensorType(a.type.dtype, (length,) + a.type.shape)
               for a in body.outputs[num_carry:])
    return carry_out + ys


def _scan_impl(*args, body: Program, length: int, reverse: bool, num_consts: int,
               num_carry: int):
    consts = list(args[:num_consts])
    carry = list(args[num_consts:num_consts + num_carry])
    xs = args[num_consts + num_carry:]
    y_types = [a.type for a in body.outputs[num_carry:]]
    ys = [np.empty((length,) + t.shape, t.dtype) for t in y_types]
    dead = dead_vars(body)
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        outs = interpret(body, consts + carry + [x[i] for x in xs], dead=dead)
        carry = [np.asarray(c, t.dtype) for c, t in
                 zip(outs[:num_carry], (a.type for a in body.outputs[:num_carry]))]
        for y, value in zip(ys, outs[num_carry:]):
            y[i] = value
    return tuple(carry) + tuple(ys)


def scan_bind(consts, init, xs, *, body: Program, length: int, reverse: bool = False) -> tuple:
    """The scan's outputs (final carry, then stacked ys) as a tuple."""
    return bind(scan_p, *consts, *init, *xs, body=body, length=length, reverse=reverse,
                num_consts=len(consts), num_carry=len(init))


def _zeros(t: TensorType):
    return full(t.shape, 0, t.dtype)


def _carry_mask(body: Program, num_consts: int, num_carry: int, mask: list[bool]) -> list[bool]:
    """Carries with a nonzero tangent: those given one, and those the body gives one to
    (iterated to a fixed point)."""
    carry = list(mask[num_consts:num_consts + num_carry])
    types = [v.type for v in body.inputs]
    while True:
        wanted = mask[:num_consts] + carry + mask[num_consts + num_carry:]
        split = split_jvp(body, wanted, [False] * len(body.outputs))
        grown = float_mask(types[num_consts:num_consts + num_carry],
                           [c or o for c, o in zip(carry, split.out_mask[:num_carry])])
        if grown == carry:
            return carry
        carry = grown


def _residual_roles(sources, first_carry: int, first_x: int) -> list[str]:
    """How the linear scan gets each residual: "const" (a loop invariant), "x" (a slice of
    an x: the x itself is passed) or "step" (computed per step: the known scan stacks it)."""
    roles = []
    for source in sources:
        if source is not None and source < first_carry:
            roles.append("const")
        elif source is not None and source >= first_x:
            roles.append("x")
        else:
            roles.append("step")
    return roles


def _scan_jvp(primals, tangents, outs, *, body: Program, length: int, reverse: bool,
              num_consts: int, num_carry: int):
    types = [v.type for v in body.inputs]
    mask = float_mask(types, [t is not None for t in tangents])
    mask[num_consts:num_consts + num_carry] = _carry_mask(body, num_consts, num_carry, mask)
    n_out = len(body.outputs)
    split = split_jvp(body, mask, mask[num_consts:num_consts + num_carry]
                      + [False] * (n_out - num_carry))
    c = len(split.captured) + num_consts
    roles = _residual_roles(split.residual_source, c, c + num_carry)
    stacked = tuple(split.known.outputs[n_out + i] for i, r in enumerate(roles) if r == "step")
    known = dce(Program(split.known.inputs, split.known.eqns,
                        split.known.outputs[:n_out] + stacked))
    known_in = list(split.captured) + list(primals)
    known_outs = scan_bind(known_in[:c], known_in[c:c + num_carry], known_in[c + num_carry:],
                           body=known, length=length, reverse=reverse)
    per_step = iter(known_outs[n_out:])
    values = [next(per_step) if role == "step" else known_in[source]
              for source, role in zip(split.residual_source, roles)]
    fixed = [i for i, r in enumerate(roles) if r == "const"]
    moving = [i for i, r in enumerate(roles) if r != "const"]
    t = [tangents[i] if tangents[i] is not None else _zeros(types[i])
         for i in range(len(tangents)) if mask[i]]
    n_tc, n_tk = sum(mask[:num_consts]), sum(mask[num_consts:num_consts + num_carry])
    lin = split.linear
    res, tan = lin.inputs[:len(roles)], lin.inputs[len(roles):]
    lin_body = Program(tuple([res[i] for i in fixed] + list(tan[:n_tc + n_tk])
                             + [res[i] for i in moving] + list(tan[n_tc + n_tk:])),
                       lin.eqns, lin.outputs)
    lin_outs = iter(scan_bind([values[i] for i in fixed] + t[:n_tc], t[n_tc:n_tc + n_tk],
                              [values[i] for i in moving] + t[n_tc + n_tk:],
                              body=lin_body, length=length, reverse=reverse))
    return tuple(next(lin_outs) if m else None for m in split.out_mask)


def _scan_transpose(cts, *args, body: Program, length: int, reverse: bool, num_consts: int,
                    num_carry: int):
    split = num_consts + num_carry
    # every carry of a linear scan is a tangent: one given as a value is a zero start
    linear = [is_undefined(a) or num_consts <= i < split for i, a in enumerate(args)]
    transposed = transpose_body(body, linear)
    lin_consts = [i for i in range(num_consts) if linear[i]]
    lin_xs = [i for i in range(split, len(args)) if linear[i]]
    fixed_consts = [a for a in args[:num_consts] if not is_undefined(a)]
    fixed_xs = [a for a in args[split:] if not is_undefined(a)]
    out_types = [a.type for a in body.outputs[:num_carry]] + [
        TensorType(a.type.dtype, (length,) + a.type.shape) for a in body.outputs[num_carry:]]
    cts = [ct if ct is not None else _zeros(t) for ct, t in zip(cts, out_types)]
    acc_types = [body.inputs[i].type for i in lin_consts]
    t_body = _transposed_scan_body(transposed.program,
                                   len(transposed.captured) + len(fixed_consts),
                                   len(fixed_xs), num_carry, acc_types)
    outs = iter(scan_bind(list(t_body.captured) + list(transposed.captured) + fixed_consts,
                          cts[:num_carry] + [_zeros(t) for t in acc_types],
                          fixed_xs + cts[num_carry:], body=t_body.program, length=length,
                          reverse=not reverse))
    result = [None] * len(args)
    for i in list(range(num_consts, split)) + lin_consts + lin_xs:
        result[i] = next(outs)
    return [ct if is_undefined(a) else None for ct, a in zip(result, args)]


def _transposed_scan_body(program: Program, n_consts: int, n_xs: int, num_carry: int,
                          acc_types) -> Closed:
    """A transposed body (inputs: consts, fixed xs, carry cts, y cts; outputs: cts of the
    linear consts, carries and xs) in scan form: consts; carry (carry cts, accumulated const
    cts); xs (fixed xs, y cts) -> carry (carry cts, accumulators + const cts), ys (x cts)."""
    types = [v.type for v in program.inputs]
    with no_tapes(), Trace() as trace:
        consts = [trace.new_input(t) for t in types[:n_consts]]
        ct_carry = [trace.new_input(t) for t in types[n_consts + n_xs:][:num_carry]]
        acc = [trace.new_input(t) for t in acc_types]
        xs = [trace.new_input(t) for t in types[n_consts:n_consts + n_xs]]
        ct_ys = [trace.new_input(t) for t in types[n_consts + n_xs + num_carry:]]
        outs = emit_all(trace, program, consts + xs + ct_carry + ct_ys)
        n_acc = len(acc_types)
        sums = [trace.emit(add_p, [a, c], {}) for a, c in zip(acc, outs[:n_acc])]
        return closed_trace(trace, outs[n_acc:n_acc + num_carry] + sums
                            + outs[n_acc + num_carry:])


scan_p = Primitive(name="scan", type_rule=_scan_type, impl=_scan_impl, jvp=_scan_jvp,
                   transpose=_scan_transpose, kind="other", size_params=("length",),
                   batch=scan_batch, multiple_results=True)

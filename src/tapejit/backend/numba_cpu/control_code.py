"""Control flow in kernels: a scan or a while_loop becomes a loop whose body is written once
(so compile time does not grow with the trip count), a cond an if/elif chain.

A body's inputs are bound by assignment at the top of each iteration or branch. Values that
cross iterations or leave a branch are made C-contiguous arrays (or stay scalars), so Numba
types each variable once whatever iteration or branch assigned it. Kernels never write into
an array they did not allocate, so carries may alias their inputs safely; they are not
`fresh` (the kernel's return copies them).
"""

from __future__ import annotations

from collections.abc import Callable

from tapejit.backend.interface import LoweringError
from tapejit.backend.numba_cpu.copy_code import copy_into
from tapejit.backend.numba_cpu.source import KernelBuilder, np_type
from tapejit.ir import Eqn, Lit, Program

EmitBody = Callable[[Program], None]


class _Indented:
    """Write a body one level deeper than the current line."""

    def __init__(self, kernel: KernelBuilder) -> None:
        self.kernel = kernel

    def __enter__(self) -> None:
        self.kernel.prefix += "    "

    def __exit__(self, *exc) -> None:
        self.kernel.prefix = self.kernel.prefix[:-4]


def _steady(kernel: KernelBuilder, atom) -> str:
    """An atom as a value whose Numba type does not depend on where it came from."""
    expr = kernel.atom(atom)
    if isinstance(atom, Lit):
        return f"{np_type(atom.value.dtype)}({expr})"
    if atom.type.ndim:
        return f"np.ascontiguousarray({expr})"
    return f"{np_type(atom.type.dtype)}({expr})"


def _bind(kernel: KernelBuilder, program: Program, values: list[str]) -> None:
    for var, value in zip(program.inputs, values):
        kernel.emit(f"{kernel.name(var)} = {value}")


def emit_scan(kernel: KernelBuilder, eqn: Eqn, emit_body: EmitBody) -> None:
    p = eqn.params
    body, nc, nk = p["body"], p["num_consts"], p["num_carry"]
    carry_vars = eqn.outputs[:nk]
    for out, init in zip(carry_vars, eqn.inputs[nc:nc + nk]):
        kernel.emit(f"{kernel.name(out)} = {_steady(kernel, init)}")
    for out in eqn.outputs[nk:]:
        kernel.emit(f"{kernel.name(out)} = np.empty({kernel.shape(out.type.shape)}, "
                    f"{np_type(out.type.dtype)})")
    it, n = kernel.new_temp("it"), kernel.size(p["length"])
    steps = f"range({n} - 1, -1, -1)" if p["reverse"] else f"range({n})"
    kernel.emit(f"for {it} in {steps}:")
    with _Indented(kernel):
        consts = [kernel.atom(a) for a in eqn.inputs[:nc]]
        xs = [f"{kernel.atom(a)}[{it}]" for a in eqn.inputs[nc + nk:]]
        _bind(kernel, body, consts + [kernel.name(v) for v in carry_vars] + xs)
        emit_body(body)
        for out, new in zip(carry_vars, body.outputs[:nk]):
            kernel.emit(f"{kernel.name(out)} = {_steady(kernel, new)}")
        for out, y in zip(eqn.outputs[nk:], body.outputs[nk:]):
            _stack(kernel, f"{kernel.name(out)}[{it}]", y)
    kernel.fresh.update(id(v) for v in eqn.outputs[nk:])


def _stack(kernel: KernelBuilder, slot: str, y) -> None:
    """slot = y, where slot is one iteration's row of a stacked output."""
    if y.type.ndim == 0:
        kernel.emit(f"{slot} = {kernel.atom(y)}")
        return
    for line in copy_into(kernel.new_temp, slot, kernel.atom(y), y.type.ndim):
        kernel.emit(line)


def emit_while(kernel: KernelBuilder, eqn: Eqn, emit_body: EmitBody) -> None:
    p = eqn.params
    predicate, body = p["predicate"], p["body"]
    npc, nb = p["predicate_nconsts"], p["body_nconsts"]
    carry = [kernel.name(v) for v in eqn.outputs]
    for out, init in zip(eqn.outputs, eqn.inputs[npc + nb:]):
        kernel.emit(f"{kernel.name(out)} = {_steady(kernel, init)}")
    kernel.emit("while True:")
    with _Indented(kernel):
        _bind(kernel, predicate, [kernel.atom(a) for a in eqn.inputs[:npc]] + carry)
        emit_body(predicate)
        kernel.emit(f"if not {kernel.atom(predicate.outputs[0])}:")
        kernel.emit("    break")
        _bind(kernel, body, [kernel.atom(a) for a in eqn.inputs[npc:npc + nb]] + carry)
        emit_body(body)
        for out, new in zip(eqn.outputs, body.outputs):
            kernel.emit(f"{kernel.name(out)} = {_steady(kernel, new)}")


def emit_cond(kernel: KernelBuilder, eqn: Eqn, emit_body: EmitBody) -> None:
    branches = eqn.params["branches"]
    index = kernel.new_temp("branch")
    kernel.emit(f"{index} = min(max(np.int64({kernel.atom(eqn.inputs[0])}), 0), "
                f"{len(branches) - 1})")
    operands = [kernel.atom(a) for a in eqn.inputs[1:]]
    for k, branch in enumerate(branches):
        if len(branches) == 1:
            head = "if True:"
        elif k == len(branches) - 1:
            head = "else:"
        else:
            head = f"{'el' if k else ''}if {index} == {k}:"
        kernel.emit(head)
        with _Indented(kernel):
            _bind(kernel, branch, operands)
            emit_body(branch)
            for out, value in zip(eqn.outputs, branch.outputs):
                kernel.emit(f"{kernel.name(out)} = {_steady(kernel, value)}")


def _inline_body(kernel: KernelBuilder, eqn: Eqn, emit_body: EmitBody) -> None:
    """A call of its `body` on its operands: the body's equations written in place."""
    body = eqn.params["body"]
    _bind(kernel, body, [kernel.atom(a) for a in eqn.inputs])
    emit_body(body)
    for out, value in zip(eqn.outputs, body.outputs):
        kernel.emit(f"{kernel.name(out)} = {kernel.atom(value)}")


def _no_forward_code(kernel: KernelBuilder, eqn: Eqn, emit_body: EmitBody) -> None:
    raise LoweringError("custom_vjp_lin (a custom_vjp's tangent map) is only ever transposed; "
                        "forward mode through a custom_vjp function is refused earlier")


CONTROL_CODE = {
    "scan": emit_scan,
    "while_loop": emit_while,
    "cond": emit_cond,
    "call": _inline_body,
    "custom_jvp_call": _inline_body,
    "custom_vjp_call": _inline_body,
    "checkpoint": _inline_body,
    "linear_call": _inline_body,
    "custom_vjp_lin": _no_forward_code,
}
"""Primitive name -> emit(kernel, eqn, emit_body): the higher-order primitives' code."""

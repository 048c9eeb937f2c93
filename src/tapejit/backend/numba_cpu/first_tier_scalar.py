"""Rank-0 loop-group steps the first tier computes without a kernel call.

A loop or scan body over scalars is a rank-0 group run once per iteration, and calling a
shared kernel for each of its equations cost about 10 us each (argument conversion, Numba's
dispatch), so a 1000-step loop spent a quarter of a second in calls. The operations here are
IEEE-754's correctly rounded ones (and comparisons, selection, integer arithmetic that wraps
in both), so a NumPy scalar of the equation's dtype gives the kernel's result bit for bit:
the kernel compiles them strictly (no fast-math, no contraction), and an integer result it
computes wider is cast back to the same wrapped value. Anything else (transcendentals,
integer division, conversions, complex numbers) stays on its kernel.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from tapejit.ir import Eqn, Lit, Program

_COMPARISONS = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le,
                "eq": operator.eq, "ne": operator.ne}
_RING = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
         "neg": operator.neg, "square": lambda x: x * x}
_FLOAT_ONLY = {"div": operator.truediv, "abs": operator.abs, "sqrt": np.sqrt}
_LOGIC = {"and": operator.and_, "or": operator.or_, "not": operator.invert}  # on np.bool_: logical


def _select(pred, on_true, on_false):
    return on_true if pred else on_false


def _exact_op(eqn: Eqn) -> Callable | None:
    """The operator computing `eqn` exactly on NumPy scalars of its dtypes, or None."""
    name = eqn.prim.name
    operand_kinds = {a.type.dtype.kind for a in eqn.inputs}
    if name == "select":
        return _select if eqn.out.type.dtype.kind in "fiub" else None
    if name == "stop_gradient":
        return lambda x: x
    if name in _COMPARISONS:
        return _COMPARISONS[name] if operand_kinds <= set("fiub") else None
    if name in _LOGIC:
        return _LOGIC[name] if operand_kinds == {"b"} else None
    if name in _RING:
        return _RING[name] if operand_kinds <= set("fiu") else None
    if name in _FLOAT_ONLY:
        return _FLOAT_ONLY[name] if operand_kinds == {"f"} else None
    return None


class ExactScalarStep:
    """One equation of a rank-0 group on NumPy scalars of its operands' dtypes."""

    __slots__ = ("op",)

    def __init__(self, op: Callable) -> None:
        self.op = op


def exact_scalar_step(eqn: Eqn) -> ExactScalarStep | None:
    """The kernel-free step of a rank-0 group's equation, when its operation is exact."""
    if eqn.prim.multiple_results or len(eqn.outputs) != 1 or eqn.out.type.ndim:
        return None
    op = _exact_op(eqn)
    return None if op is None else ExactScalarStep(op)


def scalar_group_function(body: Program, steps: list) -> Callable[[list], list] | None:
    """The rank-0 group `body` as one generated Python function of its input values: exact
    steps inline on NumPy scalars, the others called as they are (their results cast to their
    dtypes once). It runs under np.errstate(all="ignore"): an overflow or a division by zero
    gives IEEE's value, as the kernel does, without a warning. None when some value is not a
    scalar."""
    if any(a.type.ndim for e in body.eqns for a in (*e.inputs, *e.outputs)):
        return None
    names: dict[int, str] = {}
    scope: dict[str, object] = {"errstate": np.errstate}
    lines = []

    def bind(value: object, stem: str) -> str:
        name = f"{stem}{len(scope)}"
        scope[name] = value
        return name

    def cast_to(var, text: str) -> str:
        return f"{bind(var.type.dtype.type, 't')}({text})"

    for i, v in enumerate(body.inputs):
        names[id(v)] = f"v{len(names)}"
        lines.append(f"{names[id(v)]} = {cast_to(v, f'args[{i}]')}")

    def operand(a) -> str:
        return bind(a.type.dtype.type(a.value), "c") if isinstance(a, Lit) else names[id(a)]

    for eqn, step in zip(body.eqns, steps):
        ins = [operand(a) for a in eqn.inputs]
        outs = []
        for v in eqn.outputs:
            names[id(v)] = f"v{len(names)}"
            outs.append(names[id(v)])
        if isinstance(step, ExactScalarStep):
            lines.append(f"{outs[0]} = {bind(step.op, 'op')}({', '.join(ins)})")
            continue
        call = f"{bind(step, 'step')}([{', '.join(ins)}])"
        if len(outs) == 1 and not eqn.prim.multiple_results:
            lines.append(f"{outs[0]} = {cast_to(eqn.out, call)}")
            continue
        lines.append(f"{', '.join(outs)}, = {call}")
        lines += [f"{n} = {cast_to(v, n)}" for n, v in zip(outs, eqn.outputs)]
    results = ", ".join(operand(a) for a in body.outputs)
    source = "\n".join(["def group(args):", "    with errstate(all='ignore'):",
                         *(f"        {line}" for line in lines),
                         f"    return [{results}]"])
    exec(compile(source, "<tapejit first-tier scalar group>", "exec"), scope)  # noqa: S102
    return scope["group"]

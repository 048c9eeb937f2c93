"""First-tier steps that need no kernel: operations whose result has one right answer.

Loading a shared kernel costs 5 to 10 ms in a new process, and calling one about 10 us, so
a small program or a loop over scalars spent most of its first call on kernels it hardly
used. The operations here are IEEE-754's correctly rounded ones (add, sub, mul, div, sqrt,
and neg, abs, comparisons, selection), integer arithmetic that wraps in both tiers (the
kernel casts every integer result to its dtype), and data movement (slices, pads,
reshapes...): NumPy computes them to the kernel's bits, since the kernel compiles them
strictly (no fast-math, no contraction). Transcendentals, integer division, conversions,
reductions and complex numbers stay on their kernels.

A rank-0 loop group (a scalar loop's body, run once per iteration) becomes one generated
Python function over NumPy scalars.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import reduce

import numpy as np

from tapejit.ir import Eqn, Lit, Program

_COMPARISONS = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le,
                "eq": operator.eq, "ne": operator.ne}
_RING = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
         "neg": operator.neg, "square": lambda x: x * x}
_FLOAT_ONLY = {"div": operator.truediv, "abs": operator.abs, "sqrt": np.sqrt}
_LOGIC = {"and": operator.and_, "or": operator.or_, "not": operator.invert}  # on bools: logical
_TABLES = ((_COMPARISONS, "fiub"), (_LOGIC, "b"), (_RING, "fiu"), (_FLOAT_ONLY, "f"))
"""Each table's operations and the operand kinds they are exact for."""
MOVEMENT = frozenset({"slice", "pad", "reshape", "transpose", "squeeze", "expand_dims", "rev",
                      "concatenate", "broadcast_in_dim"})
"""Primitives that only move values: their NumPy impls are the kernel's bits."""
_LONGEST_PRODUCT = 8
"""integer_pow up to this exponent is the kernel's left-to-right product (beyond: a power)."""


def _select(pred, on_true, on_false):
    if isinstance(pred, np.ndarray):
        return np.where(pred, on_true, on_false)
    return on_true if pred else on_false


def _integer_pow(y: int, one) -> Callable:
    """The kernel's x ** y: x * x * ... left to right, 1 / that for y < 0, 1 for y == 0."""
    def power(x):
        if y == 0:
            return np.ones_like(x) if isinstance(x, np.ndarray) else one
        product = reduce(operator.mul, [x] * abs(y))
        return product if y > 0 else one / product
    return power


def _exact_op(eqn: Eqn) -> Callable | None:
    """The operator computing `eqn` exactly on NumPy values of its dtypes, or None."""
    name = eqn.prim.name
    kinds = {a.type.dtype.kind for a in eqn.inputs}
    if name == "select":
        return _select if eqn.out.type.dtype.kind in "fiub" else None
    if name == "stop_gradient":
        return lambda x: x
    if name == "integer_pow":
        y = eqn.params["y"]
        float_ok = kinds == {"f"} and abs(y) <= _LONGEST_PRODUCT
        return _integer_pow(y, eqn.out.type.dtype.type(1)) if float_ok or (
            kinds <= set("iu") and 0 < y <= _LONGEST_PRODUCT) else None
    for table, allowed in _TABLES:
        if name in table:
            return table[name] if kinds <= set(allowed) else None
    return None


def _c_order(value):
    """Arrays leave a NumPy step C-contiguous, as a kernel's do: a later kernel step given
    another layout would make Numba compile it again for that layout."""
    if type(value) is np.ndarray and not value.flags.c_contiguous:
        return np.ascontiguousarray(value)
    return value


class ExactStep:
    """One equation on NumPy values: arrays as they come, scalars (a literal, a kernel's
    rank-0 result) as NumPy scalars of their dtypes."""

    __slots__ = ("op", "casts")

    def __init__(self, op: Callable, eqn: Eqn) -> None:
        self.op = op
        self.casts = tuple(a.type.dtype.type for a in eqn.inputs)

    def __call__(self, values: list):
        return _c_order(self.op(*[v if type(v) is np.ndarray else cast(v)
                                  for cast, v in zip(self.casts, values)]))


def exact_step(eqn: Eqn) -> ExactStep | None:
    """The kernel-free step of an elementwise equation, when its operation is exact."""
    if eqn.prim.multiple_results or len(eqn.outputs) != 1:
        return None
    op = _exact_op(eqn)
    return None if op is None else ExactStep(op, eqn)


def movement_step(eqn: Eqn) -> Callable[[list], object] | None:
    """Data movement by the primitive's own NumPy impl (each operand in its dtype: a rank-0
    value may come as a Python scalar)."""
    if eqn.prim.name not in MOVEMENT:
        return None
    dtypes = [a.type.dtype for a in eqn.inputs]
    impl, params = eqn.prim.impl, eqn.params
    return lambda values: _c_order(impl(*[np.asarray(v, d) for v, d in zip(values, dtypes)],
                                        **params))


def scalar_group_function(body: Program, steps: list) -> Callable[[list], list] | None:
    """The rank-0 group `body` as one generated Python function of its input values: exact
    steps inline on NumPy scalars, the others called as they are (their results cast to their
    dtypes once). None when some value is not a scalar. The first tier runs under
    np.errstate(all="ignore"): an overflow or a division by zero gives IEEE's value, as the
    kernel does, without a warning."""
    if any(a.type.ndim for e in body.eqns for a in (*e.inputs, *e.outputs)):
        return None
    names: dict[int, str] = {}
    scope: dict[str, object] = {}
    lines = []

    def bind(value: object, stem: str) -> str:
        name = f"{stem}{len(scope)}"
        scope[name] = value
        return name

    def cast_to(var, text: str) -> str:
        return f"{bind(var.type.dtype.type, 't')}({text})"

    def define(var) -> str:
        names[id(var)] = f"v{len(names)}"
        return names[id(var)]

    def operand(a) -> str:
        return bind(a.type.dtype.type(a.value), "c") if isinstance(a, Lit) else names[id(a)]

    for i, v in enumerate(body.inputs):
        lines.append(f"{define(v)} = {cast_to(v, f'args[{i}]')}")
    for eqn, step in zip(body.eqns, steps):
        ins = ", ".join(operand(a) for a in eqn.inputs)
        outs = [define(v) for v in eqn.outputs]
        if isinstance(step, ExactStep):
            lines.append(f"{outs[0]} = {bind(step.op, 'op')}({ins})")
            continue
        call = f"{bind(step, 'step')}([{ins}])"
        if len(outs) == 1 and not eqn.prim.multiple_results:
            lines.append(f"{outs[0]} = {cast_to(eqn.out, call)}")
        else:
            lines.append(f"{', '.join(outs)}, = {call}")
            lines += [f"{n} = {cast_to(v, n)}" for n, v in zip(outs, eqn.outputs)]
    results = ", ".join(operand(a) for a in body.outputs)
    source = "\n".join(["def group(args):", *(f"    {line}" for line in lines),
                        f"    return [{results}]"])
    exec(compile(source, "<tapejit first-tier scalar group>", "exec"), scope)  # noqa: S102
    return scope["group"]

"""Algebraic simplification: a table of rewrite rules, applied until nothing changes.

Each rule sees an equation (its inputs already rewritten) and the defining equation of every
var, and returns None (no change), an atom that replaces the output, or a new equation that
defines the same output var.

Not folded on purpose: x * 0 for floats, because inf * 0 and NaN * 0 are NaN and tapejit
keeps NaN/inf semantics (NaN checks must survive); it is folded for integers. Nor x / 1:
divisors are counts (a mean over the batch, n - ddof), and a rule that fired only when a
count happened to be 1 would make the kernel depend on the batch size.
"""

from __future__ import annotations

import numpy as np

from tapejit.ir import Eqn, Lit, Program, Var
from tapejit.passes.cse import rename_atom
from tapejit.passes.dce import dce
from tapejit.primitives.broadcast import broadcast_in_dim_p
from tapejit.primitives.shape import reshape_p


def _scalar_value(atom, defs):
    """The constant an atom holds everywhere (a literal or a broadcast literal), else None."""
    if isinstance(atom, Lit):
        return atom.value
    eqn = defs.get(id(atom))
    if eqn is not None and eqn.prim.name == "broadcast_in_dim" and isinstance(eqn.inputs[0],
                                                                             Lit):
        return eqn.inputs[0].value
    return None


def _is(atom, defs, value) -> bool:
    v = _scalar_value(atom, defs)
    return v is not None and v == value and not (isinstance(v, np.bool_) and value is not bool)


def _same_type(atom, eqn) -> bool:
    return atom.type == eqn.out.type


def _identity_operand(eqn, defs, unit, sides=(0, 1)):
    """x for x (op) unit when the result has x's type."""
    for side in sides:
        other = eqn.inputs[1 - side]
        if _is(eqn.inputs[side], defs, unit) and _same_type(other, eqn):
            return other
    return None


def _mul(eqn, defs):
    found = _identity_operand(eqn, defs, 1)
    if found is not None or eqn.out.type.dtype.kind == "f":
        return found
    if any(_is(a, defs, 0) for a in eqn.inputs):
        return _zeros(eqn)
    return None


def _zeros(eqn):
    zero = Lit(np.zeros((), eqn.out.type.dtype)[()])
    if not eqn.out.type.shape:
        return zero
    return Eqn(broadcast_in_dim_p, (zero,), eqn.outputs,
               dict(shape=eqn.out.type.shape, broadcast_dimensions=()), eqn.site)


def _neg(eqn, defs):
    inner = defs.get(id(eqn.inputs[0]))
    return inner.inputs[0] if inner is not None and inner.prim.name == "neg" else None


def _same_input_type(eqn, defs):
    return eqn.inputs[0] if _same_type(eqn.inputs[0], eqn) else None


def _swapped_dot(eqn, inner):
    """transpose(dot_general(a, b)) that only swaps the free dims = dot_general(b, a)."""
    (lc, rc), (lb, rb) = inner.params["dimension_numbers"]
    n_left = inner.inputs[0].type.ndim - len(lc)
    n_out = len(eqn.params["permutation"])
    swap = tuple(range(n_left, n_out)) + tuple(range(n_left))
    if lb or eqn.params["permutation"] != swap:
        return None
    dims = ((rc, lc), ((), ()))
    return Eqn(inner.prim, inner.inputs[::-1], eqn.outputs, dict(dimension_numbers=dims),
               eqn.site)


def _transpose(eqn, defs):
    perm = eqn.params["permutation"]
    if perm == tuple(range(len(perm))):
        return eqn.inputs[0]
    inner = defs.get(id(eqn.inputs[0]))
    if inner is not None and inner.prim.name == "dot_general":
        return _swapped_dot(eqn, inner)
    if inner is None or inner.prim.name != "transpose":
        return None
    composed = tuple(inner.params["permutation"][p] for p in perm)
    if composed == tuple(range(len(composed))):
        return inner.inputs[0]
    return Eqn(eqn.prim, inner.inputs, eqn.outputs, dict(permutation=composed), eqn.site)


_RESHAPES = ("reshape", "squeeze", "expand_dims")


def _reshape(eqn, defs):
    """Every reshape-like op becomes one reshape of the original operand (or nothing)."""
    source = eqn.inputs[0]
    inner = defs.get(id(source))
    if inner is not None and inner.prim.name in _RESHAPES:
        source = inner.inputs[0]
    if source.type == eqn.out.type:
        return source
    if eqn.prim.name == "reshape" and source is eqn.inputs[0]:
        return None
    return Eqn(reshape_p, (source,), eqn.outputs,
               dict(new_sizes=eqn.out.type.shape), eqn.site)


def _broadcast(eqn, defs):
    if eqn.inputs[0].type == eqn.out.type:
        return eqn.inputs[0]
    inner = defs.get(id(eqn.inputs[0]))
    if inner is None or inner.prim.name != "broadcast_in_dim":
        return None
    outer_dims = eqn.params["broadcast_dimensions"]
    dims = tuple(outer_dims[d] for d in inner.params["broadcast_dimensions"])
    return Eqn(eqn.prim, inner.inputs, eqn.outputs,
               dict(shape=eqn.params["shape"], broadcast_dimensions=dims), eqn.site)


def _select(eqn, defs):
    pred = _scalar_value(eqn.inputs[0], defs)
    if pred is None:
        return None
    chosen = eqn.inputs[1] if bool(pred) else eqn.inputs[2]
    return chosen if _same_type(chosen, eqn) else None


def _integer_pow(eqn, defs):
    return eqn.inputs[0] if eqn.params["y"] == 1 else None


def _add(eqn, defs):
    """x + 0 is x for integers; for floats only when the 0 is -0.0 (-0.0 + 0.0 is +0.0)."""
    if eqn.out.type.dtype.kind != "f":
        return _identity_operand(eqn, defs, 0)
    for side in (0, 1):
        zero = _scalar_value(eqn.inputs[side], defs)
        other = eqn.inputs[1 - side]
        if zero is not None and zero == 0 and np.signbit(zero) and _same_type(other, eqn):
            return other
    return None


RULES = {
    "add": _add,
    "sub": lambda e, d: _identity_operand(e, d, 0, sides=(1,)),
    "mul": _mul,
    "neg": _neg,
    "stop_gradient": _same_input_type,
    "convert_element_type": _same_input_type,
    "transpose": _transpose,
    "reshape": _reshape,
    "squeeze": _reshape,
    "expand_dims": _reshape,
    "broadcast_in_dim": _broadcast,
    "select": _select,
    "integer_pow": _integer_pow,
}


def _fold_constants(eqn):
    """An elementwise equation of literals is a literal."""
    if (eqn.prim.kind != "elementwise" or eqn.out.type.shape
            or not all(isinstance(a, Lit) for a in eqn.inputs)):
        return None
    with np.errstate(all="ignore"):
        value = np.asarray(eqn.prim.impl(*(a.value for a in eqn.inputs), **eqn.params))
    return Lit(value.astype(eqn.out.type.dtype)[()])


def _simplify_once(program: Program) -> tuple[Program, bool]:
    renames: dict[int, object] = {}
    defs: dict[int, Eqn] = {}
    eqns, changed = [], False
    for eqn in program.eqns:
        inputs = tuple(rename_atom(renames, a) for a in eqn.inputs)
        if inputs != eqn.inputs:
            eqn = Eqn(eqn.prim, inputs, eqn.outputs, eqn.params, eqn.site)
        rule = RULES.get(eqn.prim.name)
        result = _fold_constants(eqn)
        if result is None and rule is not None:
            result = rule(eqn, defs)
        if isinstance(result, (Var, Lit)):
            renames[id(eqn.out)] = result
            changed = True
            continue
        if isinstance(result, Eqn):
            eqn, changed = result, True
        eqns.append(eqn)
        defs.update({id(v): eqn for v in eqn.outputs})
    outputs = tuple(rename_atom(renames, a) for a in program.outputs)
    return Program(program.inputs, tuple(eqns), outputs), changed


def simplify(program: Program, max_rounds: int = 10) -> Program:
    """Apply RULES until a fixed point (or max_rounds), then drop dead equations."""
    for _ in range(max_rounds):
        program, changed = _simplify_once(program)
        program = dce(program)
        if not changed:
            break
    return program

"""Symbolic dimensions: which sizes of a program are the same size for every batch size it
can be traced with, and which only happen to be equal now.

Every input dimension starts as a symbol of its own; an equation unifies the dimensions its
type rule requires to be equal (broadcasting operands, contracted and batch dimensions,
kept axes of a reduction, ...). Passes that group or merge equations by shape (fusion, CSE)
compare these symbols, so a batch of 64 beside a hidden layer of 64 changes nothing: the
generated kernel depends on the program's structure, never on a coincidence of sizes.
Size-1 dimensions stay the constant 1 (they broadcast, and kernels are specialised on them).
"""

from __future__ import annotations

from tapejit.ir import Eqn, Program, Var, params_key

ONE = "1"


class Dims:
    """A union-find over dimension symbols and the symbolic shape of every var."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.shapes: dict[int, tuple] = {}
        self.results: dict[tuple, Eqn] = {}

    def fresh(self, size: int):
        if size == 1:
            return ONE
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def root(self, d):
        if d == ONE:
            return ONE
        while self.parent[d] != d:
            self.parent[d] = self.parent[self.parent[d]]
            d = self.parent[d]
        return d

    def unify(self, a, b) -> None:
        if a == ONE or b == ONE:
            return
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def of(self, atom) -> tuple:
        if not isinstance(atom, Var):
            return ()
        if id(atom) not in self.shapes:
            self.shapes[id(atom)] = tuple(self.fresh(s) for s in atom.type.shape)
        return self.shapes[id(atom)]

    def key(self, atom) -> tuple:
        """The var's shape as symbols: equal keys mean equal sizes for every batch size."""
        return tuple(self.root(d) for d in self.of(atom))

    def shape_key(self, dims: tuple) -> tuple:
        return tuple(self.root(d) for d in dims)


def _unify_aligned(dims: Dims, out: tuple, operand: tuple) -> None:
    """Broadcasting: trailing axes line up; an operand axis of size 1 says nothing."""
    for o, i in zip(reversed(out), reversed(operand)):
        dims.unify(o, i)


def _broadcasting(dims: Dims, eqn: Eqn) -> None:
    out = dims.of(eqn.out)
    for atom in eqn.inputs:
        _unify_aligned(dims, out, dims.of(atom))


def _broadcast_in_dim(dims: Dims, eqn: Eqn) -> None:
    out, operand = dims.of(eqn.out), dims.of(eqn.inputs[0])
    for i, d in enumerate(eqn.params["broadcast_dimensions"]):
        dims.unify(out[d], operand[i])


def _reduce(dims: Dims, eqn: Eqn) -> None:
    operand = dims.of(eqn.inputs[0])
    kept = [d for i, d in enumerate(operand) if i not in eqn.params["axes"]]
    for o, i in zip(dims.of(eqn.out), kept):
        dims.unify(o, i)


def _transpose(dims: Dims, eqn: Eqn) -> None:
    operand = dims.of(eqn.inputs[0])
    for o, p in zip(dims.of(eqn.out), eqn.params["permutation"]):
        dims.unify(o, operand[p])


def _same_but_ones(dims: Dims, eqn: Eqn) -> None:
    """squeeze, expand_dims, and reshapes that only add or drop axes of size 1."""
    out = [d for d in dims.of(eqn.out) if d != ONE]
    operand = [d for d in dims.of(eqn.inputs[0]) if d != ONE]
    if len(out) == len(operand) and [v for v in eqn.out.type.shape if v != 1] == [
            v for v in eqn.inputs[0].type.shape if v != 1]:
        for o, i in zip(out, operand):
            dims.unify(o, i)


def _untouched_axes(dims: Dims, eqn: Eqn, untouched) -> None:
    out, operand = dims.of(eqn.out), dims.of(eqn.inputs[0])
    for axis, same in enumerate(untouched):
        if same:
            dims.unify(out[axis], operand[axis])


def _slice(dims: Dims, eqn: Eqn) -> None:
    p, shape = eqn.params, eqn.inputs[0].type.shape
    _untouched_axes(dims, eqn, [s == 0 and lim == n and k == 1 for s, lim, k, n in zip(
        p["start_indices"], p["limit_indices"], p["strides"], shape)])


def _pad(dims: Dims, eqn: Eqn) -> None:
    p = eqn.params
    _untouched_axes(dims, eqn, [lo == hi == i == 0 for lo, hi, i in zip(
        p["low"], p["high"], p["interior"])])


def _concatenate(dims: Dims, eqn: Eqn) -> None:
    out, axis = dims.of(eqn.out), eqn.params["dimension"]
    for atom in eqn.inputs:
        for i, (o, d) in enumerate(zip(out, dims.of(atom))):
            if i != axis:
                dims.unify(o, d)


def _dot_general(dims: Dims, eqn: Eqn) -> None:
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs, out = dims.of(eqn.inputs[0]), dims.of(eqn.inputs[1]), dims.of(eqn.out)
    for a, b in zip(lc + lb, rc + rb):
        dims.unify(lhs[a], rhs[b])
    free = ([lhs[d] for d in lb]
            + [d for i, d in enumerate(lhs) if i not in lc and i not in lb]
            + [d for i, d in enumerate(rhs) if i not in rc and i not in rb])
    for o, d in zip(out, free):
        dims.unify(o, d)


def _same_shape(dims: Dims, eqn: Eqn) -> None:
    for o, i in zip(dims.of(eqn.out), dims.of(eqn.inputs[0])):
        dims.unify(o, i)


def _fused(dims: Dims, eqn: Eqn) -> None:
    propagate(dims, eqn.params["body"])


RULES = {
    "broadcast_in_dim": _broadcast_in_dim, "transpose": _transpose,
    "squeeze": _same_but_ones, "expand_dims": _same_but_ones, "reshape": _same_but_ones,
    "slice": _slice, "pad": _pad, "concatenate": _concatenate, "dot_general": _dot_general,
    "rev": _same_shape, "fused": _fused,
}
"""How each primitive relates its output's dimensions to its inputs'; elementwise ones
broadcast, reductions keep axes, and an equation not listed makes fresh dimensions (no
relation assumed: never wrong, at worst a missed fusion), unless it repeats an earlier
equation (`_like_an_earlier_one`)."""


def _rule(eqn: Eqn):
    if eqn.prim.name in RULES:
        return RULES[eqn.prim.name]
    if eqn.prim.kind == "elementwise":
        return _broadcasting
    if eqn.prim.kind == "reduce":
        return _reduce
    return None


def _sizeless(value) -> bool:
    return value is None or isinstance(value, (bool, str))


def _like_an_earlier_one(dims: Dims, eqn: Eqn) -> None:
    """An equation with no rule makes fresh dimensions, but a type rule is a function of its
    operands' types and its params: when the params hold no number (so no size), an
    equation of the same primitive on operands of the same symbolic shapes has outputs of
    the same symbolic shapes (the forward's svd and the gradient's, say, so CSE merges
    them)."""
    if not all(_sizeless(v) for v in eqn.params.values()):
        return
    key = (eqn.prim.name, params_key(eqn.params),
           tuple((a.type.dtype, dims.key(a)) for a in eqn.inputs))
    earlier = dims.results.setdefault(key, eqn)
    for mine, theirs in zip(eqn.outputs, earlier.outputs):
        for a, b in zip(dims.of(mine), dims.of(theirs)):
            dims.unify(a, b)


def propagate(dims: Dims, program: Program) -> Dims:
    for eqn in program.eqns:
        rule = _rule(eqn)
        if rule is not None:
            rule(dims, eqn)
        else:
            _like_an_earlier_one(dims, eqn)
    return dims


def symbolic_dims(program: Program) -> Dims:
    """The symbolic dimensions of every var of `program` (and of its fused bodies)."""
    return propagate(Dims(), program)

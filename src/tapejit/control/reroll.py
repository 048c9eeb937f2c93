"""Rerolling: a block of equations repeated at least MIN_REPEATS times in a row, each copy
reading the previous one's values (an unrolled Python loop), becomes one `scan` whose body is
the block, so its kernel is compiled once whatever the trip count.

Block b of a run is equations [start + b*L, start + (b+1)*L). Every input of every block must
be read the same way in each block: a value of the same block, of the previous block (a
carry), one outside value (a loop const), a literal, or the b-th slice of values stacked by
an earlier rolled run (its xs, walked forward or backward: the backward pass of a rolled
forward loop). Values of the blocks that are read outside the run are stacked as the scan's
ys; a plain equation reading one gets it back by slicing. The body runs the block's
equations in the same order on the same values, so results are bitwise unchanged.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from tapejit.control.scan import scan_p
from tapejit.ir import Eqn, Lit, Program, TensorType, Var, params_key
from tapejit.primitives.shape import squeeze_p
from tapejit.primitives.slicing import slice_p

MIN_REPEATS = 8
MAX_BLOCK = 400


def _signature(eqn: Eqn) -> tuple:
    return (id(eqn.prim), params_key(eqn.params), tuple(v.type for v in eqn.outputs))


@dataclass
class _Run:
    start: int
    size: int
    count: int
    reverse: bool = False
    consts: dict = field(default_factory=dict)      # id(var) -> var
    carries: dict = field(default_factory=dict)     # (j, k) -> init atom
    xs: dict = field(default_factory=dict)          # (id(stacked), offset) -> stacked var

    def block(self, b: int) -> range:
        first = self.start + b * self.size
        return range(first, first + self.size)


class _Finder:
    """Finds runs left to right; `stacked` maps a per-block value of a run found earlier to
    (its stacked var, its index there)."""

    def __init__(self, program: Program) -> None:
        self.eqns = program.eqns
        self.where = {id(v): (i, k) for i, e in enumerate(self.eqns)
                      for k, v in enumerate(e.outputs)}
        self.sigs = [_signature(e) for e in self.eqns]
        self.at: dict[tuple, list[int]] = {}
        for i, sig in enumerate(self.sigs):
            self.at.setdefault(sig, []).append(i)
        self.stacked: dict[int, tuple[Var, int]] = {}

    def run_at(self, s: int) -> _Run | None:
        for size in self._periods(s):
            run = _Run(s, size, 2)
            while self._periodic(s + (run.count - 1) * size, size) and self._matches(
                    run, run.count):
                run.count += 1
            if run.count >= MIN_REPEATS and self._first_block(run):
                return run
        return None

    def _periods(self, s: int):
        """Block sizes at which the equations from s repeat MIN_REPEATS times by signature."""
        positions = self.at[self.sigs[s]]
        first = bisect.bisect_right(positions, s)
        for p in positions[first:]:
            size = p - s
            if size > MAX_BLOCK or s + MIN_REPEATS * size > len(self.eqns):
                return
            if self._periodic(s, size, MIN_REPEATS - 1):
                yield size

    def _periodic(self, s: int, size: int, blocks: int = 1) -> bool:
        end = s + (blocks + 1) * size
        if end > len(self.eqns):
            return False
        return all(self.sigs[i] == self.sigs[i + size] for i in range(s, end - size))

    def describe(self, run: _Run, b: int, atom, xs_sign: int):
        if isinstance(atom, Lit):
            return ("lit", atom.value.dtype.str, repr(atom.value.item()))
        where = self.where.get(id(atom))
        first = run.start + b * run.size
        if where is not None and first <= where[0] < first + run.size:
            return ("in", where[0] - first, where[1])
        if where is not None and first - run.size <= where[0] < first and b > 0:
            return ("prev", where[0] - first + run.size, where[1])
        if where is not None and run.start <= where[0] < first:
            return ("far",)
        if id(atom) in self.stacked:
            stacked, index = self.stacked[id(atom)]
            return ("xs", id(stacked), index - xs_sign * b)
        return ("ext", id(atom))

    def _matches(self, run: _Run, b: int) -> bool:
        """Whether block b reads its inputs as block 1 does (b >= 2); the first match fixes
        the direction its xs are walked in."""
        if run.start + (b + 1) * run.size > len(self.eqns):
            return False
        for sign in ((-1,) if run.reverse else (1,)) if b > 2 else (1, -1):
            if self._same_reads(run, 1, b, sign):
                run.reverse = sign < 0
                return True
        return False

    def _same_reads(self, run: _Run, ref: int, b: int, sign: int) -> bool:
        for i, j in zip(run.block(ref), run.block(b)):
            for a, c in zip(self.eqns[i].inputs, self.eqns[j].inputs):
                da, dc = self.describe(run, ref, a, sign), self.describe(run, b, c, sign)
                if da != dc or da[0] == "far":
                    return False
        return True

    def _first_block(self, run: _Run) -> bool:
        """Block 0 reads as block 1 does, except that its carries come from outside."""
        sign = -1 if run.reverse else 1
        for i, j in zip(run.block(0), run.block(1)):
            for a, c in zip(self.eqns[i].inputs, self.eqns[j].inputs):
                want = self.describe(run, 1, c, sign)
                if want[0] == "prev":
                    if (self.describe(run, 0, a, sign)[0] == "in" or a.type != c.type
                            or run.carries.setdefault(want[1:], a) is not a):
                        return False
                elif self.describe(run, 0, a, sign) != want:
                    return False
                elif want[0] == "ext":
                    run.consts[id(c)] = c
                elif want[0] == "xs":
                    run.xs[want[1:]] = self.stacked[id(c)][0]
        return True


def _used_outside(program: Program, run: _Run) -> set[tuple[int, int]]:
    """Block slots (j, k) some block's value of which is read outside the run."""
    inside = range(run.start, run.start + run.count * run.size)
    where = {id(v): (i, k) for i in inside for k, v in enumerate(program.eqns[i].outputs)}
    slots = set()
    readers = [e.inputs for i, e in enumerate(program.eqns) if i not in inside]
    for atoms in readers + [program.outputs]:
        for a in atoms:
            if isinstance(a, Var) and id(a) in where:
                i, k = where[id(a)]
                slots.add(((i - run.start) % run.size, k))
    return slots


@dataclass
class _Rolled:
    """A run and what replaces it: the scan equation (after any slices of its xs), and
    where each of its blocks' values read outside went."""

    run: _Run
    eqns: list
    direct: dict      # id(var of the last block) -> the scan's final carry
    stacked: dict     # id(var of block b) -> (the stacked ys var, its index)


def _slot_var(program: Program, run: _Run, b: int, slot) -> Var:
    j, k = slot
    return program.eqns[run.start + b * run.size + j].outputs[k]


def _body(finder: _Finder, run: _Run, ys: list) -> tuple[Program, list]:
    """The scan body, from block 1: inputs (consts, carries, x slices), outputs (carries,
    ys); and the carry slots in order."""
    sign = -1 if run.reverse else 1
    consts = {key: Var(v.type) for key, v in run.consts.items()}
    slots = sorted(run.carries)
    carries = {slot: Var(run.carries[slot].type) for slot in slots}
    xs = {key: Var(TensorType(v.type.dtype, v.type.shape[1:])) for key, v in run.xs.items()}
    made: dict[tuple, Var] = {}
    eqns = []
    for j, i in enumerate(run.block(1)):
        eqn = finder.eqns[i]
        ins = [_body_atom(finder.describe(run, 1, a, sign), a, made, carries, consts, xs)
               for a in eqn.inputs]
        outs = tuple(Var(v.type) for v in eqn.outputs)
        made.update({(j, k): v for k, v in enumerate(outs)})
        eqns.append(Eqn(eqn.prim, tuple(ins), outs, eqn.params, eqn.site))
    inputs = tuple(consts.values()) + tuple(carries.values()) + tuple(xs.values())
    outputs = tuple(made[s] for s in slots) + tuple(made[s] for s in ys)
    return Program(inputs, tuple(eqns), outputs), slots


def _body_atom(d: tuple, atom, made: dict, carries: dict, consts: dict, xs: dict):
    kind, key = d[0], d[1:]
    if kind == "lit":
        return atom
    if kind == "in":
        return made[key]
    if kind == "prev":
        return carries[key]
    return consts[id(atom)] if kind == "ext" else xs[key]


def _xs_operands(run: _Run) -> tuple[list, list]:
    """The stacked values the scan walks (a slice when it walks part of one), and the slice
    equations that make them."""
    operands, eqns = [], []
    for (_, offset), stacked in run.xs.items():
        start = offset if not run.reverse else offset - run.count + 1
        n = stacked.type.shape[0]
        if start == 0 and run.count == n:
            operands.append(stacked)
            continue
        rest = stacked.type.shape[1:]
        part = Var(TensorType(stacked.type.dtype, (run.count,) + rest))
        eqns.append(Eqn(slice_p, (stacked,), (part,),
                        dict(start_indices=(start,) + (0,) * len(rest),
                             limit_indices=(start + run.count,) + rest,
                             strides=(1,) * (len(rest) + 1))))
        operands.append(part)
    return operands, eqns


def _roll(program: Program, finder: _Finder, run: _Run) -> _Rolled:
    ys = sorted(_used_outside(program, run))
    body, slots = _body(finder, run, ys)
    operands, eqns = _xs_operands(run)
    finals = tuple(Var(run.carries[s].type) for s in slots)
    stacked = tuple(Var(TensorType(a.type.dtype, (run.count,) + a.type.shape))
                    for a in body.outputs[len(slots):])
    params = dict(body=body, length=run.count, reverse=run.reverse,
                  num_consts=len(run.consts), num_carry=len(slots))
    inputs = tuple(run.consts.values()) + tuple(run.carries[s] for s in slots) + tuple(operands)
    eqns.append(Eqn(scan_p, inputs, finals + stacked, params, program.eqns[run.start].site))
    last = run.count - 1
    direct = {id(_slot_var(program, run, last, s)): f for s, f in zip(slots, finals)}
    by_block = {}
    for slot, ys_var in zip(ys, stacked):
        for b in range(run.count):
            index = run.count - 1 - b if run.reverse else b
            by_block[id(_slot_var(program, run, b, slot))] = (ys_var, index)
    return _Rolled(run, eqns, direct, by_block)


def reroll(program: Program) -> Program:
    """The program with every run of at least MIN_REPEATS repeated blocks rolled into a
    scan (the program itself when there is none)."""
    finder = _Finder(program)
    rolled: list[_Rolled] = []
    s = 0
    while s < len(program.eqns):
        run = finder.run_at(s)
        if run is None:
            s += 1
            continue
        done = _roll(program, finder, run)
        finder.stacked.update(done.stacked)
        rolled.append(done)
        s = run.start + run.count * run.size
    return _rewrite(program, rolled) if rolled else program


class _Reader:
    """Reads of values that rolling removed: the last block's carries are the scan's final
    carries; any other block value is sliced out of the stacked ys (once)."""

    def __init__(self, rolled: list[_Rolled], out: list) -> None:
        self.direct = {k: v for r in rolled for k, v in r.direct.items()}
        self.stacked = {k: v for r in rolled for k, v in r.stacked.items()}
        self.made: dict[int, Var] = {}
        self.out = out

    def __call__(self, atom):
        if not isinstance(atom, Var):
            return atom
        if id(atom) in self.direct:
            return self.direct[id(atom)]
        if id(atom) not in self.stacked:
            return atom
        if id(atom) not in self.made:
            self.made[id(atom)] = self._slice(*self.stacked[id(atom)], atom.type)
        return self.made[id(atom)]

    def _slice(self, ys: Var, index: int, t: TensorType) -> Var:
        row = Var(TensorType(t.dtype, (1,) + t.shape))
        self.out.append(Eqn(slice_p, (ys,), (row,), dict(
            start_indices=(index,) + (0,) * len(t.shape),
            limit_indices=(index + 1,) + t.shape, strides=(1,) * (len(t.shape) + 1))))
        value = Var(t)
        self.out.append(Eqn(squeeze_p, (row,), (value,), dict(dimensions=(0,))))
        return value


def _rewrite(program: Program, rolled: list[_Rolled]) -> Program:
    starts = {r.run.start: r for r in rolled}
    out: list[Eqn] = []
    read = _Reader(rolled, out)
    i = 0
    while i < len(program.eqns):
        done = starts.get(i)
        eqns = done.eqns if done is not None else [program.eqns[i]]
        for eqn in eqns:
            inputs = tuple(read(a) for a in eqn.inputs)
            out.append(eqn if inputs == eqn.inputs else
                       Eqn(eqn.prim, inputs, eqn.outputs, eqn.params, eqn.site))
        i += done.run.count * done.run.size if done is not None else 1
    return Program(program.inputs, tuple(out), tuple(read(a) for a in program.outputs))

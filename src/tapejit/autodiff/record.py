"""What a tape records, and how recorded ops become a program: reachability from sources to
targets, and the Program over the values that link them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from tapejit.ir import Eqn, Lit, Program, TensorType, Var
from tapejit.tensor import Tensor


class Recorded:
    """One recorded op: outputs = prim[params](inputs), and the ids of its inputs and
    outputs (how the tape links ops into a graph). `inputs` and `outputs` are dropped when a
    tape releases its values; the ids stay. Most ops have one output: `output` and `out_id`
    name it (a higher-order primitive has several).

    `key` (or None) is what the backward pass of this op depends on besides the data: the
    primitive, its params, each input as the tape's number of a watched value or the kind of
    an outside one, and the output's kind (see `value_key`); the keys of a tape's entries
    name its recorded chain (autodiff.chain).

    This class is the common case, made for every op of an eager tape: one float output,
    whose line is not looked up (`site` None). `Recorded.of` makes the others (`_Detailed`)."""

    __slots__ = ("prim", "params", "inputs", "outputs", "ids", "out_ids", "key")
    site = None
    float_out = True

    def __init__(self, prim, params, inputs, outputs, ids, out_ids, key) -> None:
        # one statement each: a tuple assignment builds a tuple (this runs for every op)
        self.prim = prim
        self.params = params
        self.inputs = inputs
        self.outputs = outputs
        self.ids = ids
        self.out_ids = out_ids
        self.key = key

    @property
    def flow_ids(self) -> tuple:
        """The ids of the outputs values flow on through (all of them, here)."""
        return self.out_ids

    @classmethod
    def of(cls, prim, params, inputs, outputs, site, ids, float_out, key=None) -> Recorded:
        """An entry with its user line `site`, an integer output or several outputs."""
        out_ids = tuple(map(id, outputs))
        # the outputs values flow on through: of a loop's several outputs, only the float
        # ones (its integer counters are reached, but carry no gradient)
        flow_ids = (tuple(id(o) for o in outputs if o.dtype.kind == "f")
                    if prim.multiple_results else out_ids)
        return _Detailed(prim, params, inputs, outputs, ids, out_ids, key, site, float_out,
                         flow_ids)

    @property
    def output(self):
        return None if self.outputs is None else self.outputs[0]

    @property
    def out_id(self) -> int:
        return self.out_ids[0]

    def release(self) -> None:
        self.inputs = self.outputs = None


class _Detailed(Recorded):
    """A recorded op with a user line, an output that is not a float, or several outputs."""

    __slots__ = ("site", "float_out", "flow_ids")

    def __init__(self, prim, params, inputs, outputs, ids, out_ids, key, site, float_out,
                 flow_ids) -> None:
        super().__init__(prim, params, inputs, outputs, ids, out_ids, key)
        self.site = site
        self.float_out = float_out
        self.flow_ids = flow_ids


def data_key(data):
    """A NumPy value's dtype and shape, hashable: a NumPy scalar's type says both."""
    kind = type(data)
    return (data.dtype, data.shape) if kind is np.ndarray else kind


def value_key(value):
    """What an op's backward depends on in an operand besides its data: whether it is a
    Tensor or a NumPy value passed as it is, its dtype and its shape (None for anything else,
    e.g. a traced value)."""
    kind = type(value)
    if kind is Tensor:
        return data_key(value._value)
    if kind is np.ndarray or isinstance(value, np.generic):
        return ("numpy", data_key(value))
    return None


def forward_reach(entries: Iterable[Recorded], starts: Iterable[int],
                  through: Callable[[Recorded], bool] | None = None
                  ) -> tuple[set[int], list[Recorded]]:
    """The ids reachable from `starts` along recorded ops, and the ops reached, in order.
    `through(entry)` says whether a value flows on through that op (default: every op)."""
    reach = set(starts)
    along = []
    for e in entries:
        for k in e.ids:
            if k in reach:
                along.append(e)
                if through is None or through(e):
                    reach.update(e.flow_ids)
                break
    return reach, along


def relevant_entries(entries, targets, sources) -> tuple[list[Recorded], set[int]]:
    """The entries on a path from a source to a target, in order, and the ids of every value
    reachable from the sources."""
    reach, forward = forward_reach(entries, (id(s) for s in sources))
    needed = {id(t) for t in targets if id(t) in reach}
    kept = []
    for e in reversed(forward):
        if any(k in needed for k in e.out_ids):
            kept.append(e)
            needed.update(k for k in e.ids if k in reach)
    kept.reverse()
    return kept, reach


def _type_of(value) -> TensorType:
    return TensorType(value.dtype, tuple(value.shape))


class _ProgramBuilder:
    """Turns recorded entries into a Program over the values linking sources to targets."""

    def __init__(self, entries: list[Recorded], literals: bool = True) -> None:
        self.entries = entries
        self.literals = literals  # a NumPy scalar operand as a literal (or as an input)
        self.var_of: dict[int, Var] = {}
        self.values: dict[int, object] = {}
        self.inputs: list[Var] = []

    def _input(self, value) -> Var:
        var = Var(_type_of(value))
        self.var_of[id(value)] = var
        self.values[id(var)] = value
        self.inputs.append(var)
        return var

    def _atom(self, value):
        if id(value) in self.var_of:
            return self.var_of[id(value)]
        if self.literals and isinstance(value, np.generic):
            return Lit(value)
        return self._input(value)

    def build(self, targets, sources, chosen: list[Recorded] | None = None
              ) -> tuple[Program, dict, list[int]]:
        for s in sources:
            self._input(s)
        eqns = []
        if chosen is None:
            chosen = relevant_entries(self.entries, targets, sources)[0]
        for e in chosen:
            ins = tuple(self._atom(a) for a in e.inputs)
            outs = tuple(Var(_type_of(o)) for o in e.outputs)
            for value, var in zip(e.outputs, outs):
                self.var_of[id(value)] = var
                self.values[id(var)] = value
            eqns.append(Eqn(e.prim, ins, outs, e.params, e.site))
        kept = [i for i, t in enumerate(targets) if id(t) in self.var_of]
        outputs = tuple(self.var_of[id(targets[i])] for i in kept)
        return Program(tuple(self.inputs), tuple(eqns), outputs), self.values, kept


def recorded_program(entries: list[Recorded], targets, sources) -> tuple[Program, dict, list]:
    """The recorded ops linking `sources` to `targets` as a Program.

    Returns the program (inputs: the sources, then other values it reads), a map from each
    var's id to its recorded value, and the indices of the targets it outputs (targets
    that do not depend on the sources are left out).
    """
    return _ProgramBuilder(entries).build(targets, sources)


def remaking_entries(entries: list[Recorded], chosen: list[Recorded], freed: set[int]
                     ) -> list[Recorded]:
    """`chosen` and every entry that makes, directly or through other freed values, a
    value in `freed` (ids of values the tape gave up) that one of them reads, in the
    tape's order: the program of these entries computes the freed values again from values
    the tape still holds."""
    maker = {k: e for e in entries for k in e.out_ids}
    picked = {id(e) for e in chosen}
    todo = list(chosen)
    while todo:
        for k in todo.pop().ids:
            e = maker.get(k)
            if k in freed and e is not None and id(e) not in picked:
                picked.add(id(e))
                todo.append(e)
    return [e for e in entries if id(e) in picked]


def recomputing_program(entries: list[Recorded], targets, sources, freed: set[int]
                        ) -> tuple[Program, list, list[int], tuple[int, ...]]:
    """The recorded ops from `sources` to `targets` as a Program that also computes again
    each freed value they read (`remaking_entries`); NumPy scalar operands are inputs, so
    that the program's shape does not depend on their values.

    Returns the program, the values of its inputs (the sources first), the indices of the
    targets it outputs, and the positions on the tape of the entries it holds (with the
    tape's chain signature, what names the program).
    """
    relevant = relevant_entries(entries, targets, sources)[0]
    chosen = remaking_entries(entries, relevant, freed)
    program, values, kept = _ProgramBuilder(entries, literals=False).build(
        targets, sources, chosen)
    position = {id(e): i for i, e in enumerate(entries)}
    return (program, [values[id(v)] for v in program.inputs], kept,
            tuple(position[id(e)] for e in chosen))


def remaking_program(entries: list[Recorded], freed: set[int]) -> tuple[Program, list, list]:
    """A Program computing the recorded outputs whose ids are in `freed` (arrays the tape
    gave up) from the values the tape still holds: the program, the values of its inputs,
    and the freed Tensors it outputs, in order."""
    makers = [e for e in entries if e.outputs is not None and e.out_ids[0] in freed]
    chosen = remaking_entries(entries, makers, freed)
    targets = [e.outputs[0] for e in makers]
    program, values, _ = _ProgramBuilder(entries).build(targets, [], chosen)
    return program, [values[id(v)] for v in program.inputs], targets

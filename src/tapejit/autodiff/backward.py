"""Running a tape's backward pass: a derived backward program bound to the recorded values
(so enclosing tapes and traces see every step), or, when nothing else records, one cached
single-op VJP per recorded op."""

from __future__ import annotations

import enum
import time

import numpy as np

from tapejit.autodiff.eager import op_vjp
from tapejit.autodiff.record import Recorded, recorded_program, relevant_entries
from tapejit.autodiff.vjp import VJP, vjp_program
from tapejit.primitives.batching import batch_eval, with_batch
from tapejit.state import STATE
from tapejit.tensor import Tensor
from tapejit.trace import eval_program


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def _sum(terms):
    terms = [t for t in terms if t is not None]
    if not terms:
        return None
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _raw(x):
    return x._value if isinstance(x, Tensor) else x


class PreparedGradient:
    """A backward program bound to a tape's recorded values, ready for cotangents.

    groups: per source, the recorded tensors it stands for (a Variable read several times
    stands for each read); their gradients are summed.
    """

    def __init__(self, groups, unique, vjp: VJP | None, residuals, kept) -> None:
        self.groups, self.unique, self.vjp = groups, unique, vjp
        self.residuals, self.kept = residuals, kept

    @classmethod
    def derive(cls, entries: list[Recorded], targets, groups, unique):
        """Derive the backward program of the recorded ops from `unique` to `targets`."""
        program, values, kept = recorded_program(entries, targets, unique)
        start = time.perf_counter()
        vjp = vjp_program(program, range(len(unique)))
        for trace in STATE.traces:
            trace.note_backward(vjp.program, time.perf_counter() - start)
        residuals = [values[id(v)] for v in vjp.residuals]
        return cls(groups, unique, vjp, residuals, kept)

    def run(self, cts) -> list:
        """Gradient per source group for the targets' cotangents `cts` (every recording
        tape, the differentiated one included, records the backward pass)."""
        if self.vjp is None:
            return [None] * len(self.groups)
        args = self.residuals + [cts[i] for i in self.kept] + list(self.vjp.const_values)
        results = eval_program(self.vjp.program, args)
        return self._by_group(results)

    def run_batched(self, cts, size: int) -> list:
        """As `run`, for cotangents with a leading batch axis: the backward program batched
        once by vmap's rules (not run once per row), each gradient batch-first."""
        if self.vjp is None:
            return [None] * len(self.groups)
        kept = [cts[i] for i in self.kept]
        consts = list(self.vjp.const_values)
        args = self.residuals + kept + consts
        dims = [None] * len(self.residuals) + [0] * len(kept) + [None] * len(consts)
        outs, out_dims = batch_eval(self.vjp.program, args, dims)
        return self._by_group(with_batch(o, d, size) for o, d in zip(outs, out_dims))

    def _by_group(self, results) -> list:
        results = iter(r if isinstance(r, Tensor) else Tensor(r) for r in results)
        by_tensor = {id(t): next(results) if ok else None
                     for t, ok in zip(self.unique, self.vjp.connected)}
        return [_sum([by_tensor[id(t)] for t in g]) for g in self.groups]


def _zeros_like(value):
    return np.zeros(np.shape(value), np.asarray(value).dtype)


def by_group(found, unique, groups) -> list:
    """Per source group, the sum of the raw cotangents `found` of its tensors (None when
    none reached them); `found` is in the order of `unique`."""
    by_id = {id(t): None if g is None else Tensor(g) for t, g in zip(unique, found)}
    return [_sum([by_id[id(t)] for t in g]) for g in groups]


class ChainGradient:
    """The backward pass of a chain seen before, as its generated function (autodiff.chain)."""

    def __init__(self, function, entries, groups, unique, release: bool) -> None:
        self.function, self.entries, self.release = function, entries, release
        self.groups, self.unique = groups, unique

    def run(self, cts) -> list:
        """Gradients per source group; with `release`, each entry drops its values when its
        step is done, and every entry at the end."""
        found = self.function(self.entries, [_raw(ct) for ct in cts], self.release)
        if self.release:
            for e in self.entries:
                e.inputs = e.outputs = None
        return by_group(found, self.unique, self.groups)


class EagerGradient:
    """The backward pass run op by op with cached single-op VJPs (see autodiff.eager)."""

    def __init__(self, entries, groups, unique, targets, release: bool = False) -> None:
        relevant, reach = relevant_entries(entries, targets, unique)
        self.groups, self.unique, self.targets = groups, unique, targets
        self.release = release  # run once, dropping each step's values when it is done
        self.reach = reach
        self.sources = {id(t) for t in unique}
        self.plan = []
        for e in relevant:
            values = [a._value if type(a) is Tensor else _raw(a) for a in e.inputs]
            wrt = tuple(i for i, k in enumerate(e.ids)
                        if k in reach and values[i].dtype.kind == "f")
            if e.prim.multiple_results:
                output, out_key = tuple(o._value for o in e.outputs), e.out_ids
            else:
                output, out_key = e.output._value, e.out_id
            vjp = op_vjp(e.prim, e.params, values, output, wrt)
            if release:  # hold only what the step reads
                values = [v if f"ins[{i}]" in vjp.sources else None
                          for i, v in enumerate(values)]
                if "out" not in vjp.sources and not e.prim.multiple_results:
                    output = None
            self.plan.append((out_key, vjp, values, e.ids, output))

    def run(self, cts) -> list:
        env: dict[int, object] = {}
        for target, ct in zip(self.targets, cts):
            if id(target) in self.reach:
                key = id(target)
                env[key] = _raw(ct) if key not in env else env[key] + _raw(ct)
        sources, plan = self.sources, list(self.plan)
        if self.release:
            self.plan = []
        while plan:
            out_key, vjp, inputs, input_ids, output = plan.pop()
            if type(out_key) is int:
                ct = env.get(out_key) if out_key in sources else env.pop(out_key, None)
            else:
                ct = self._take(env, out_key, output)
            if ct is None:
                continue
            for position, in_ct in zip(vjp.wrt, vjp.run(inputs, output, ct)):
                key = input_ids[position]
                env[key] = in_ct if key not in env else env[key] + in_ct
        return by_group([env.get(id(t)) for t in self.unique], self.unique, self.groups)

    def _take(self, env: dict, out_ids: tuple, output):
        """The cotangents of an op's several outputs, zeros filled in, or None if none
        reached it; sources keep theirs."""
        cts = [env.get(k) if k in self.sources else env.pop(k, None) for k in out_ids]
        if all(c is None for c in cts):
            return None
        return tuple(_zeros_like(o) if c is None else c for c, o in zip(cts, output))

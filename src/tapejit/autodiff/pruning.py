"""A non-persistent tape frees, during the forward pass, the big values nothing but the tape
holds any more: a recorded output of at least PRUNE_BYTES whose reference count says that
only the tape holds it gives its array up for a placeholder of the same dtype and shape.
The Tensor object stays on the tape, so its id() stays unique and the tape's links stay
right; nobody else can see it (only a weak reference could). The tape then holds no more
than the user does: its forward pass peaks where the same code without a tape peaks.

Values a backward step reads (its residuals) are freed too. The gradient then computes them
again: as one fused program of the recorded forward and backward (tapejit.recompute) when
nothing else records, or else by the recorded ops' own NumPy impls (`Pruner.restore`, the
same bits as the values freed) before the op-by-op pass runs. A persistent tape keeps every
value: a later gradient may read any."""

from __future__ import annotations

import sys

from tapejit.autodiff.eager import op_vjp
from tapejit.autodiff.record import remaking_program
from tapejit.ir import interpret
from tapejit.ops.temporaries import COUNTS_AS_ASSUMED
from tapejit.tensor import Tensor
from tapejit.trace import placeholder

PRUNE_BYTES = 1 << 20
"""Recorded outputs at least this big may be freed; smaller ones are not worth the check."""

_TAPE_REFERENCES = 4
"""References to a pending Tensor besides the recorded ops' inputs that read it, when only
the tape holds it: its entry's outputs, the pending list, and (while counted) the loop
variable and getrefcount's argument."""


def backward_reads(entry, watched) -> tuple[set[int], bool]:
    """The input positions an entry's VJP reads and whether it reads the output, for every
    watched float input differentiated (more than any gradient asks: the safe side). An op
    whose VJP cannot be derived here reads everything."""
    values = [a._value if type(a) is Tensor else a for a in entry.inputs]
    wrt = tuple(j for j, a in enumerate(entry.inputs)
                if id(a) in watched and getattr(values[j], "dtype", None) is not None
                and values[j].dtype.kind == "f")
    if not wrt:
        return set(), False
    try:
        vjp = op_vjp(entry.prim, entry.params, values, entry.outputs[0]._value, wrt)
    except Exception:  # noqa: BLE001 (any failure: keep everything this op holds)
        return set(range(len(values))), True
    reads = {int(s[4:-1]) for s in vjp.sources if s.startswith("ins[")}
    return reads, "out" in vjp.sources


class Pruner:
    """The pending big outputs of one tape, those freed, and what its recorded backward
    steps read."""

    __slots__ = ("pending", "uses", "needed", "pruned")

    def __init__(self) -> None:
        self.pending: list[Tensor] = []
        self.uses: dict[int, int] = {}  # id of a pending Tensor -> recorded inputs holding it
        self.needed: set[int] = set()  # ids of values some recorded VJP reads
        self.pruned: set[int] = set()  # ids of the Tensors whose arrays were freed

    def track(self, entry, watched, candidate: bool) -> None:
        """Account for a recorded single-output op: what its VJP reads is noted; its output
        waits for its users to let go when it is a `candidate` (big, and nothing else
        records)."""
        reads, reads_out = backward_reads(entry, watched)
        for j, a in enumerate(entry.inputs):
            k = id(a)
            if k in self.uses:
                self.uses[k] += 1
            if j in reads:
                self.needed.add(k)
        out = entry.outputs[0]
        if reads_out:
            self.needed.add(id(out))
        if candidate and COUNTS_AS_ASSUMED:
            self.pending.append(out)
            self.uses[id(out)] = 0
        self.prune()

    def keep_all(self, inputs) -> None:
        """An op whose backward is not known here (several outputs, traced): it may read
        every input."""
        self.needed.update(map(id, inputs))

    def prune(self) -> None:
        """Free each pending value once only the tape holds it."""
        still = []
        for t in self.pending:
            k = id(t)
            if sys.getrefcount(t) == _TAPE_REFERENCES + self.uses[k]:
                t._value = placeholder(t._value)
                self.pruned.add(k)
                del self.uses[k]
            else:
                still.append(t)
        self.pending = still

    def references(self, t: Tensor) -> int | None:
        """How many references this tape holds to `t` when it waits to be freed (its
        entry's outputs, the pending list and the recorded inputs that read it), else
        None."""
        uses = self.uses.get(id(t))
        return None if uses is None else _TAPE_REFERENCES - 2 + uses

    def give_up(self, t: Tensor) -> None:
        """`t` gave its array to an op's result (trace.bind_into): if it was pending, it is
        freed."""
        if self.uses.pop(id(t), None) is None:
            return
        self.pending = [p for p in self.pending if p is not t]
        self.pruned.add(id(t))

    def freed_residuals(self) -> bool:
        """Whether a value some recorded VJP reads was freed (the gradient must compute it
        again)."""
        return not self.pruned.isdisjoint(self.needed)

    def restore(self, entries) -> None:
        """Compute every freed value again from the values the tape still holds, with the
        recorded ops' NumPy impls (the values freed had these bits), seen by no tape or
        trace: for a backward pass that reads recorded values as they are."""
        if not self.pruned:
            return
        program, inputs, freed = remaking_program(entries, self.pruned)
        values = interpret(program, [a._value if type(a) is Tensor else a for a in inputs])
        for t, value in zip(freed, values):
            t._value = value
        self.pruned.clear()

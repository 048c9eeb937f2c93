"""The loop structure that gives a fused group's float sums NumPy's order
(primitives.broadcast.summation_run).

The sums of a group that share a trailing run walk the blocks of `pairwise_plan` (computed
once per call), their halves joined as they finish (a run of at most `BLOCK` elements is one
block). The run's length is only known at run time, so one kernel text
serves every size (short rows, too, match NumPy through the leaf's own short-run rule).
A block's summands are computed into a buffer by segments along the last axis whose loop
vectorizes (no loop-carried sum), then added by `pairwise_sum`. Sums without a run add in
loop order, which is NumPy's order for them; fusion never puts sums with different runs in
one group.
"""

from __future__ import annotations

from tapejit.backend.numba_cpu.source import KernelBuilder, np_type
from tapejit.ir import Eqn
from tapejit.primitives.broadcast import summation_run

HELPERS = ("BLOCK", "pairwise_join", "pairwise_plan", "pairwise_sum")


class PairwiseDriver:
    """Emits the driver for the sums of one group that share a trailing run and a dtype."""

    def __init__(self, kernel: KernelBuilder, shape: tuple, index: list[str],
                 sums: list[Eqn], start: int) -> None:
        self.kernel = kernel
        self.shape = shape
        self.index = index
        self.sums = sums
        self.slot = {id(e): k for k, e in enumerate(sums)}
        self.start = start
        self.dtype = sums[0].out.type.dtype
        self.run_axes = [d for d in range(start, len(shape)) if shape[d] != 1]
        stem = kernel.new_temp("pw")
        self.pw, self.vals, self.buf = stem, stem + "_vals", stem + "_buf"
        self.base = stem + "_base"
        self.first, self.unsigned = stem + "_first", stem + "_u"
        kernel.math.update(HELPERS)

    @classmethod
    def find(cls, kernel: KernelBuilder, shape: tuple, index: list[str],
             reductions: list[Eqn]) -> PairwiseDriver | None:
        """The driver for the first float sum with a run, joined by the sums that share it."""
        chosen: list[Eqn] = []
        start = None
        for eqn in reductions:
            if eqn.prim.name != "reduce_sum" or eqn.out.type.dtype.kind != "f":
                continue
            own = summation_run(shape, eqn.params["axes"])
            if own is None:
                continue
            if chosen and (own, eqn.out.type.dtype) != (start, chosen[0].out.type.dtype):
                continue
            start = own
            chosen.append(eqn)
        return cls(kernel, shape, index, chosen, start) if chosen else None

    def feeds(self, eqn: Eqn) -> bool:
        return id(eqn) in self.slot

    def _length(self) -> str:
        return " * ".join(self.kernel.size(self.shape[d]) for d in self.run_axes)

    def plan(self, indent: str) -> None:
        """The run's blocks, the same for every output: computed once, before the loops."""
        self.kernel.emit(f"{self.pw}_starts, {self.pw}_joins = "
                         f"pairwise_plan({self._length()})", indent)

    def allocate(self, indent: str) -> None:
        k, dtype = self.kernel, np_type(self.dtype)
        k.emit(f"{self.vals} = np.empty(({len(self.sums)}, 64), {dtype})", indent)
        k.emit(f"{self.buf} = np.empty(({len(self.sums)}, BLOCK), {dtype})", indent)

    def open(self, indent: str) -> str:
        """Begin one output's run; returns the indent of the innermost loop's body.

        The innermost loop counts in uint64 from 0 and the body indexes the last axis with an
        unsigned name of its own: NumPy-style negative-index handling of a signed index that
        LLVM cannot prove non-negative would keep the loop from vectorizing.
        """
        k, pw = self.kernel, self.pw
        for d in range(self.start, len(self.shape)):
            if self.shape[d] == 1:
                k.emit(f"{self.index[d]} = 0", indent)
        k.emit(f"{pw}_top = 0", indent)
        k.emit(f"for {pw}_b in range({pw}_joins.shape[0]):", indent)
        block = indent + "    "
        k.emit(f"{pw}_at = {pw}_starts[{pw}_b]", block)
        k.emit(f"{pw}_n = {pw}_starts[{pw}_b + 1] - {pw}_at", block)
        self.block_indent = block
        if len(self.run_axes) == 1:  # a block never leaves the row
            k.emit(f"{pw}_from = np.uint64({pw}_at)", block)
            k.emit(f"for {pw}_k in range(np.uint64({pw}_n)):", block)
            return self._inner(block + "    ")
        self._block_indices(block)
        k.emit(f"{pw}_pos = 0", block)
        k.emit(f"while {pw}_pos < {pw}_n:", block)
        segment = block + "    "
        size = k.size(self.shape[self.run_axes[-1]])
        k.emit(f"{pw}_take = min({size} - {self.first}, {pw}_n - {pw}_pos)", segment)
        k.emit(f"{pw}_from = np.uint64({self.first})", segment)
        k.emit(f"{self.base} = np.uint64({pw}_pos)", segment)
        k.emit(f"for {pw}_k in range(np.uint64({pw}_take)):", segment)
        self.segment_indent = segment
        return self._inner(segment + "    ")

    def _inner(self, indent: str) -> str:
        self.kernel.emit(f"{self.unsigned} = {self.pw}_from + {self.pw}_k", indent)
        self.index[self.run_axes[-1]] = self.unsigned
        return indent

    def _block_indices(self, indent: str) -> None:
        """The run's indices at the block's first element (a division per axis per block)."""
        k = self.kernel
        k.emit(f"{self.pw}_rest = {self.pw}_at", indent)
        names = [self.index[d] for d in self.run_axes[:-1]] + [self.first]
        for d, name in reversed(list(zip(self.run_axes[1:], names[1:]))):
            size = k.size(self.shape[d])
            k.emit(f"{name} = {self.pw}_rest % max({size}, 1)", indent)
            k.emit(f"{self.pw}_rest = {self.pw}_rest // max({size}, 1)", indent)
        k.emit(f"{names[0]} = {self.pw}_rest", indent)

    def store(self, eqn: Eqn, value: str) -> str:
        at = f"{self.pw}_k" if len(self.run_axes) == 1 else f"{self.base} + {self.pw}_k"
        return f"{self.buf}[{self.slot[id(eqn)]}, {at}] = {value}"

    def close(self, indent: str, targets: list[str]) -> None:
        """End the segment, the block and the run; add each run's sum to its target."""
        k, pw, block = self.kernel, self.pw, self.block_indent
        if len(self.run_axes) > 1:
            k.emit(f"{pw}_pos += {pw}_take", self.segment_indent)
            k.emit(f"{self.first} = 0", self.segment_indent)
            self._carry(self.segment_indent)
        zero = f"{np_type(self.dtype)}(0)"
        k.emit(f"for {pw}_s in range({len(self.sums)}):", block)  # one inlined leaf sum
        k.emit(f"{self.vals}[{pw}_s, {pw}_top] = "
               f"pairwise_sum({self.buf}, {pw}_s, {pw}_n, {zero})", block + "    ")
        k.emit(f"{pw}_top = pairwise_join({self.vals}, {pw}_top + 1, {pw}_joins[{pw}_b])",
               block)
        for slot, target in enumerate(targets):
            k.emit(f"{target} += {self.vals}[{slot}, 0]", indent)

    def _carry(self, indent: str) -> None:
        """Step the run's outer indices after a segment ends a row of the last axis."""
        k = self.kernel
        outer = self.run_axes[:-1]
        for depth, d in enumerate(reversed(outer)):  # signed: loop-invariant in the segment
            k.emit(f"{self.index[d]} += 1", indent)
            if depth == len(outer) - 1:
                break
            k.emit(f"if {self.index[d]} == {k.size(self.shape[d])}:", indent)
            indent += "    "
            k.emit(f"{self.index[d]} = 0", indent)


"""Big programs run as several kernels.

Numba's compile time grows faster than a function's length (its SSA pass revisits every block
for every redefined name), and very long functions exhaust Python's recursion limit inside
Numba. A program heavier than `KERNEL_BUDGET` equations (a fused group counts its body) is
therefore cut, in program order, into parts of about that weight; each part is a program of
its own, lowered, cached and compiled as one kernel, and the parts run one after another,
handing on the values later parts read. Compile time then grows linearly with the program.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tapejit.ir import Eqn, Program, Var

KERNEL_BUDGET = 300


def weight(eqn: Eqn) -> int:
    body = eqn.params.get("body")
    return 1 + (sum(weight(e) for e in body.eqns) if isinstance(body, Program) else 0)


def program_weight(program: Program) -> int:
    return sum(weight(e) for e in program.eqns)


def split_program(program: Program, budget: int = KERNEL_BUDGET) -> list[Program]:
    """The program as consecutive parts of at most about `budget` weight (one equation heavier
    than that is a part of its own). A part's inputs are the values it reads that earlier
    parts or the program's inputs made; its outputs those later parts read; the last part
    returns the program's outputs."""
    chunks: list[list[Eqn]] = [[]]
    load = 0
    for eqn in program.eqns:
        w = weight(eqn)
        if chunks[-1] and load + w > budget:
            chunks.append([])
            load = 0
        chunks[-1].append(eqn)
        load += w
    needed_later = _needed_after(chunks, program.outputs)
    parts = []
    for k, eqns in enumerate(chunks):
        last = k == len(chunks) - 1
        defined = {id(v) for e in eqns for v in e.outputs}
        outputs = program.outputs if last else tuple(
            v for e in eqns for v in e.outputs if id(v) in needed_later[k])
        parts.append(Program(_free_inputs(eqns, outputs, defined), tuple(eqns), outputs))
    return parts


def _needed_after(chunks: list[list[Eqn]], outputs: Sequence) -> list[set[int]]:
    """For each chunk, the ids of vars read by a later chunk or returned."""
    needed = {id(a) for a in outputs if isinstance(a, Var)}
    result: list[set[int]] = []
    for eqns in reversed(chunks):
        result.append(set(needed))
        for eqn in eqns:
            needed.update(id(a) for a in eqn.inputs if isinstance(a, Var))
    return result[::-1]


def _free_inputs(eqns: list[Eqn], outputs: Sequence, defined: set[int]) -> tuple[Var, ...]:
    """Vars read (or returned) but not defined here, in order of first use."""
    seen: dict[int, Var] = {}
    reads = [a for e in eqns for a in e.inputs] + list(outputs)
    for atom in reads:
        if isinstance(atom, Var) and id(atom) not in defined:
            seen.setdefault(id(atom), atom)
    return tuple(seen.values())


class PartsKernel:
    """Runs the kernels of a split program in order; looks like one kernel to its caller."""

    def __init__(self, program: Program, parts: list[Program], runners: list) -> None:
        self.backend = "+".join(sorted({getattr(r.kernel, "backend", "?") for r in runners}))
        self.runners = runners
        slot = {id(v): i for i, v in enumerate(program.inputs)}
        self.reads: list[list[int]] = []
        for part in parts:
            self.reads.append([slot[id(v)] for v in part.inputs])
            for v in part.outputs:
                if isinstance(v, Var) and id(v) not in slot:
                    slot[id(v)] = len(slot)
        self.source = "\n\n".join(
            f"# ---- kernel {k + 1} of {len(runners)} ----\n{r.source}"
            for k, r in enumerate(runners))
        self.entry = lambda *arrays: self(arrays)

    def __call__(self, arrays: Sequence) -> tuple:
        return self._run(arrays, lambda runner, args: runner(args))

    def first_call(self, arrays: Sequence) -> tuple:
        return self._run(arrays, lambda runner, args: runner.first_call(args))

    def first_call_elsewhere(self, arrays: Sequence, answers: list) -> tuple:
        """Each part compiled by the compile worker in turn, then run here to give the next
        part its arguments."""
        return self._run(arrays, lambda runner, args: runner.first_call(args, answers))

    def _run(self, arrays: Sequence, call: Callable) -> tuple:
        values = list(arrays)
        outs: tuple = ()
        for runner, reads in zip(self.runners, self.reads):
            outs = call(runner, [values[i] for i in reads])
            values.extend(outs)
        return outs

    @property
    def loaded_from_disk(self) -> bool:
        return all(getattr(r.kernel, "loaded_from_disk", False) for r in self.runners)

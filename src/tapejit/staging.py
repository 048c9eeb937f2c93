"""Stages a Python function into a Program: pytree arguments become typed inputs, Variables
read inside become implicit inputs and their assigns extra outputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tapejit import tree
from tapejit.ir import Program, TensorType
from tapejit.leaves import as_tensor, leaf_type
from tapejit.tensor import Variable
from tapejit.trace import Trace


class JitTrace(Trace):
    """A trace that also owns the Variables its function reads and assigns, and collects the
    backward programs tapes derive inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: dict[int, Variable] = {}
        self.values: dict[int, object] = {}
        self.assigned: dict[int, Variable] = {}
        self.backward: list[tuple[Program, float]] = []

    def read_variable(self, var: Variable):
        key = id(var)
        if key not in self.values:
            self.variables[key] = var
            self.values[key] = self.new_input(TensorType(var.dtype, tuple(var.shape)))
        return self.values[key]

    def assign_variable(self, var: Variable, value) -> bool:
        self.read_variable(var)  # an assigned variable is an input too (its old value)
        self.values[id(var)] = value
        self.assigned[id(var)] = var
        return True

    def note_backward(self, program: Program, seconds: float) -> None:
        self.backward.append((program, seconds))


@dataclass(frozen=True)
class Staged:
    """A function as a Program.

    program inputs: the flat dynamic arguments, then Variables read, then consts; outputs:
    the flat results, then the new values of assigned Variables. `backward` holds the
    backward programs tapes derived while it was traced, and the seconds each took.
    """

    program: Program
    out_tree: tree.TreeDef
    variables: tuple[Variable, ...]
    assigned: tuple[Variable, ...]
    consts: tuple
    backward: tuple[tuple[Program, float], ...] = ()

    @property
    def num_outputs(self) -> int:
        return len(self.program.outputs) - len(self.assigned)


def stage(fn: Callable, args: Sequence, static_argnums: Sequence[int] = ()) -> Staged:
    """Trace `fn(*args)` with abstract values for every non-static, non-Variable leaf."""
    with JitTrace() as trace:
        traced_args = []
        for i, arg in enumerate(args):
            if i in static_argnums:
                traced_args.append(arg)
                continue
            leaves, treedef = tree.flatten(arg)
            traced_args.append(tree.unflatten(treedef, [
                leaf if isinstance(leaf, Variable) else trace.new_input(leaf_type(leaf))
                for leaf in leaves]))
        result = fn(*traced_args)
        out_leaves, out_tree = tree.flatten(result)
        outs = [as_tensor(x, "jit", "return tensors, numbers, or nested lists/tuples/dicts "
                          "of them") for x in out_leaves]
        assigned = list(trace.assigned.values())
        outs += [trace.values[id(v)] for v in assigned]
        program, consts = trace.to_program(outs)
    return Staged(program, out_tree, tuple(trace.variables.values()), tuple(assigned),
                  tuple(consts), tuple(trace.backward))

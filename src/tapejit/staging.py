"""Stages a Python function into a Program: pytree arguments become typed inputs, Variables
read inside become implicit inputs and their assigns extra outputs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tapejit import tree
from tapejit.errors import op_error
from tapejit.ir import Program, TensorType
from tapejit.site import user_site
from tapejit.tensor import Tensor, Variable, to_array
from tapejit.trace import Trace


class JitTrace(Trace):
    """A trace that also owns the Variables its function reads and assigns."""

    def __init__(self) -> None:
        super().__init__()
        self.variables: dict[int, Variable] = {}
        self.values: dict[int, object] = {}
        self.assigned: dict[int, Variable] = {}

    def read_variable(self, var: Variable):
        key = id(var)
        if key not in self.values:
            self.variables[key] = var
            self.values[key] = self.new_input(TensorType(var.dtype, tuple(var.shape)))
        return self.values[key]

    def assign_variable(self, var: Variable, value) -> None:
        self.read_variable(var)  # an assigned variable is an input too (its old value)
        self.values[id(var)] = value
        self.assigned[id(var)] = var


@dataclass(frozen=True)
class Staged:
    """A function as a Program.

    program inputs: the flat dynamic arguments, then Variables read, then consts; outputs:
    the flat results, then the new values of assigned Variables.
    """

    program: Program
    out_tree: tree.TreeDef
    variables: tuple[Variable, ...]
    assigned: tuple[Variable, ...]
    consts: tuple

    @property
    def num_outputs(self) -> int:
        return len(self.program.outputs) - len(self.assigned)


def arg_type(leaf) -> TensorType:
    """The abstract type a pytree leaf is traced with (Python numbers follow the policy)."""
    if isinstance(leaf, (Tensor, np.ndarray, np.generic)):
        from tapejit.dtypes import canonical

        return TensorType(canonical(leaf.dtype, "jit argument"), tuple(leaf.shape))
    if isinstance(leaf, (bool, int, float)):
        value = to_array(leaf)
        return TensorType(value.dtype, ())
    raise op_error(TypeError, "jit", f"an argument leaf of type {type(leaf).__name__} is not a "
                   f"tensor", "pass arrays, Tensors, Variables or numbers (mark other "
                   "arguments with static_argnums)", user_site())


def _output_leaf(x):
    if isinstance(x, (Tensor, np.ndarray, np.generic, bool, int, float)):
        return x if isinstance(x, Tensor) else Tensor(to_array(x))
    if isinstance(x, Variable):
        return x.read()
    raise op_error(TypeError, "jit", f"the function returned a {type(x).__name__}, which is not "
                   f"a tensor", "return tensors, numbers, or nested lists/tuples/dicts of them",
                   user_site())


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
                leaf if isinstance(leaf, Variable) else trace.new_input(arg_type(leaf))
                for leaf in leaves]))
        result = fn(*traced_args)
        out_leaves, out_tree = tree.flatten(result)
        outs = [_output_leaf(x) for x in out_leaves]
        assigned = list(trace.assigned.values())
        outs += [trace.values[id(v)] for v in assigned]
        program, consts = trace.to_program(outs)
    return Staged(program, out_tree, tuple(trace.variables.values()), tuple(assigned),
                  tuple(consts))


class collect_backward:
    """Collects the backward programs tapes derive while a function is being staged."""

    def __enter__(self) -> list:
        from tapejit.state import STATE

        self.previous = getattr(STATE, "backward_log", None)
        STATE.backward_log = []
        return STATE.backward_log

    def __exit__(self, *exc) -> None:
        from tapejit.state import STATE

        STATE.backward_log = self.previous

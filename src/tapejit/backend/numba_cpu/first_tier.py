"""The first tier: a program run equation by equation, each on a small kernel that programs
share, so a new signature answers at once while its own kernel compiles.

The small kernels come from the same code generator as the specialized kernel, hence the same
scalar functions, the same evaluation order and the same reduction order: the first tier's
results are the specialized kernel's, bit for bit. Operations with one right answer (IEEE's
correctly rounded arithmetic, comparisons, wrapping integer arithmetic, data movement) need
no kernel: NumPy computes them (first_tier_exact.py; a rank-0 group, such as a scalar loop's
body, becomes one generated Python function). Any other elementwise equation of a loop group
runs over its operands flattened, literals passed as scalars (one kernel per primitive,
params and dtypes, whatever the shapes and constants); a reduction runs as a group of its
own over the group's shape (the same pairwise plan); a loop, branch or call runs its body on
the first tier (first_tier_control.py); solves and factorizations call the compiled-once
LAPACK wrappers the kernel calls (first_tier_linalg.py); any other equation runs as the
one-equation program it is. The kernels run serially, so their text does not depend on
sizes; an elementwise step of THREADED_MIN values or more runs on its threaded text instead
(one text too, whatever the size) when that is compiled already, by `python -m tapejit
precompile` (threads change no result: each value is computed alone). Two rules of a loop
group are kept: a group of rank 0 takes libm's functions (the rank-0 step programs do too), and a
group where a sin or cos argument is beyond vmath's range computes all its sin and cos with
libm (the step runs again on a `libm_trig` kernel).

Kernels are keyed by their source like any other, in the first tier's own cache folder:
compiled once per machine (`python -m tapejit precompile` warms the common ones) and loaded in
milliseconds by every later process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod

import numpy as np

from tapejit.backend.interface import LoweringError
from tapejit.backend.numba_cpu.first_tier_blocks import BLOCK, blockable, run_in_blocks
from tapejit.backend.numba_cpu.first_tier_control import CONTROL_STEPS
from tapejit.backend.numba_cpu.first_tier_exact import (
    exact_step,
    movement_step,
    scalar_group_function,
)
from tapejit.backend.numba_cpu.first_tier_interpreter import interpreted
from tapejit.backend.numba_cpu.first_tier_linalg import linalg_step
from tapejit.backend.numba_cpu.loops import MAX_NESTED_LOOPS
from tapejit.backend.numba_cpu.scalar_code import SIN_COS_LIMIT, SIN_COS_LIMIT_F32, TRIG
from tapejit.ir import Eqn, Lit, Program, Var, dead_vars, sub_programs
from tapejit.ir.types import TensorType
from tapejit.primitives.broadcast import summation_run
from tapejit.primitives.fused import fused_p

THREADED_MIN = 1 << 20
"""Elementwise steps of at least this many values run on threads. Higher than a kernel's
PARALLEL_MIN: a step is a parallel region of its own, and the first tier runs one per
equation (below about a million values, waking the threads for each cost more than they
saved, measured on 2 cores)."""

LoadKernel = Callable[[Program, bool, bool, bool], Callable[[Sequence], tuple] | None]
"""(program, libm_trig, threaded, given_outputs) -> a kernel called on the program's input
values (then its outputs' arrays, given_outputs); threaded: the text running its loop group
in parallel, None when that is not at hand."""


def unsupported(program: Program) -> str:
    """Why the first tier cannot run `program` exactly as its kernel would ('' if it can)."""
    for eqn in program.eqns:
        if any(v.type.dtype == np.float16 for v in (*eqn.outputs, *_vars(eqn.inputs))):
            return "float16 is computed in float32 across the whole kernel"
        if eqn.prim.kind == "fused":
            why = _group_unsupported(eqn)
        elif eqn.prim.name in CONTROL_STEPS:
            why = next(filter(None, (unsupported(p) for _, p in sub_programs(eqn.params))), "")
        elif sub_programs(eqn.params):
            why = f"{eqn.prim.name} (compiled with its caller)"
        else:
            why = ""
        if why:
            return why
    return ""


def _group_unsupported(eqn: Eqn) -> str:
    shape = tuple(eqn.params["shape"])
    if len(shape) > MAX_NESTED_LOOPS:
        return f"a loop group of rank {len(shape)}"
    runs = {(summation_run(shape, e.params["axes"]), e.out.type.dtype)
            for e in eqn.params["body"].eqns
            if e.prim.name == "reduce_sum" and e.out.type.dtype.kind == "f"}
    runs = {r for r in runs if r[0] is not None}
    if len(runs) > 1:
        return "a loop group with float sums of different runs"
    for inner in eqn.params["body"].eqns:
        if inner.prim.kind == "reduce" and inner.inputs[0].type.shape != shape:
            return "a reduction of a broadcast operand"
    return ""


def _vars(atoms) -> list[Var]:
    """The distinct variables among `atoms`, in order."""
    seen: dict[int, Var] = {}
    for a in atoms:
        if isinstance(a, Var):
            seen.setdefault(id(a), a)
    return list(seen.values())


def _scalar(value):
    """Rank-0 values go into kernels as Python scalars (one Numba signature)."""
    if isinstance(value, np.ndarray):
        value = value[()]
    return value.item() if isinstance(value, np.generic) else value


class _Single:
    """An equation run on its own kernel: the one-equation program, or (`group`) a loop
    group holding only it. Called with the values of the equation's inputs."""

    def __init__(self, eqn: Eqn, load: LoadKernel, libm_trig: bool = False,
                 group: tuple | None = None, threaded: bool = False,
                 given_output: bool = False) -> None:
        inputs = _vars(eqn.inputs)
        self.positions = [next(i for i, a in enumerate(eqn.inputs) if a is v) for v in inputs]
        self.ranks = [v.type.ndim for v in inputs]
        only = eqn if group is None else _group_of(eqn, group)
        self.kernel = load(Program(tuple(inputs), (only,), tuple(eqn.outputs)), libm_trig,
                           threaded, given_output)
        self.single = len(eqn.outputs) == 1 and not eqn.prim.multiple_results
        self.given = (eqn.out.type.shape, eqn.out.type.dtype) if given_output else None

    def __call__(self, values: list):
        args = [values[i] if rank else _scalar(values[i])
                for i, rank in zip(self.positions, self.ranks)]
        if self.given is not None:
            args.append(np.empty(*self.given))
        outs = self.kernel(args)
        return outs[0] if self.single else outs


def _group_of(eqn: Eqn, shape: tuple) -> Eqn:
    """`eqn` as the only equation of a loop group over `shape`."""
    inputs = _vars(eqn.inputs)
    body = Program(tuple(inputs), (eqn,), tuple(eqn.outputs))
    return Eqn(fused_p, tuple(inputs), tuple(eqn.outputs), {"body": body, "shape": shape})


class _Elementwise:
    """An elementwise equation of a loop group, on a kernel keyed only by its primitive,
    params, dtypes and which operands are scalars: literals become scalar operands (`x * 2.0`
    shares `x * y`'s kernel, with y a scalar), and in a group of rank > 0 the array operands
    are broadcast to the output's shape and flattened. In a group of rank 0 everything is a
    scalar (and libm's functions are used, as the group does). A step of THREADED_MIN values
    or more runs on the kernel's threaded text when it is compiled (each value is computed
    alone, so threads change no bit); libm's sin and cos run serially, as in the kernel.
    `block`: the step of a group run in blocks of this many values (serial: the kernel's
    sizes are the block's, its text the same)."""

    def __init__(self, eqn: Eqn, load: LoadKernel, libm_trig: bool, scalar_group: bool,
                 block: int | None = None) -> None:
        self.shape = eqn.out.type.shape if block is None else (block,)
        self.scalar_group = scalar_group
        flat = () if scalar_group else (prod(self.shape) if self.shape else 1,)

        def operand(atom) -> Var:
            scalar = scalar_group or isinstance(atom, Lit) or atom.type.ndim == 0
            return Var(TensorType(atom.type.dtype, () if scalar else flat))

        seen: dict[int, Var] = {}
        inputs = tuple(seen.setdefault(id(a), operand(a)) if isinstance(a, Var) else operand(a)
                       for a in eqn.inputs)
        out = Var(TensorType(eqn.out.type.dtype, flat))
        flat_eqn = Eqn(eqn.prim, inputs, (out,), eqn.params)
        threaded = None
        if flat and flat[0] >= THREADED_MIN and not libm_trig:
            threaded = _Single(flat_eqn, load, libm_trig, flat, True, bool(flat))
        if threaded is not None and threaded.kernel is not None:
            self.step = threaded
        else:
            self.step = _Single(flat_eqn, load, libm_trig, flat, False, bool(flat))

    def __call__(self, values: list):
        if self.scalar_group:
            return self.step(values)
        shape = self.shape
        flat = [_flattened(v, shape) if isinstance(v, np.ndarray) and v.ndim else v
                for v in values]
        return self.step(flat).reshape(shape)


def _flattened(value: np.ndarray, shape: tuple) -> np.ndarray:
    """`value` broadcast to `shape`, contiguous and flat: a copy only when it broadcasts or
    is strided."""
    if value.shape == shape and value.flags.c_contiguous:
        return value if value.ndim == 1 else value.reshape(-1)
    return np.ascontiguousarray(np.broadcast_to(value, shape)).reshape(-1)


def _broadcast(eqn: Eqn):
    """broadcast_in_dim by its own impl (a view), its operand in its dtype (a rank-0 value
    may come as a Python scalar)."""
    dtype, params = eqn.out.type.dtype, eqn.params
    return lambda values: eqn.prim.impl(np.asarray(values[0], dtype), **params)


class _Group:
    """A loop group: on the block interpreter when it can (first_tier_interpreter.py), else
    its equations one by one (block by block when they are elementwise on large arrays,
    first_tier_blocks.py), with the group's libm rules."""

    def __init__(self, eqn: Eqn, load: LoadKernel) -> None:
        self.body = eqn.params["body"]
        self.shape, self.load = tuple(eqn.params["shape"]), load
        self.trig = {id(e) for e in self.body.eqns if e.prim.name in TRIG} if self.shape else set()
        self.checked = _first_trig_of_each_argument(self.body)
        self.interpreted = interpreted(self.body, self.shape)
        self.in_blocks = blockable(self.body, self.shape)
        self.steps_by: dict[tuple, list] = {}  # (block length or None, libm) -> steps
        # on the interpreter, steps are built only if libm's sin and cos are needed
        steps = None if self.interpreted else self._steps(
            BLOCK if self.in_blocks else None, False)
        self.scalar_run = None if self.shape else scalar_group_function(self.body, steps)
        self.dead_after = dead_vars(self.body)

    def _steps(self, block: int | None, libm: bool) -> list:
        """The steps on the whole arrays (block None) or on blocks of `block` values (their
        kernels are the whole array's, with the block's sizes); libm: sin and cos by libm."""
        steps = self.steps_by.get((block, libm))
        if steps is None:
            steps = self.steps_by[block, libm] = [
                self._step(e, libm and id(e) in self.trig, block) for e in self.body.eqns]
        return steps

    def _step(self, eqn: Eqn, libm_trig: bool, block: int | None):
        if eqn.prim.name == "broadcast_in_dim":
            return _broadcast(eqn)
        exact = exact_step(eqn)
        if exact is not None:
            return exact
        if eqn.prim.kind == "reduce":
            return _Single(eqn, self.load, libm_trig, group=self.shape)
        return _Elementwise(eqn, self.load, libm_trig, not self.shape, block)

    def __call__(self, values: list):
        if self.scalar_run is not None:
            outs = self.scalar_run(values)
            return outs[0] if len(outs) == 1 else outs
        outs = self._run(values, libm=False)
        if outs is None:  # a sin or cos argument beyond vmath's range
            outs = self._run(values, libm=True)
        outs = [np.array(o) if isinstance(o, np.ndarray) and not o.flags.writeable else o
                for o in outs]  # a group writes its outputs (not views of broadcasts)
        return outs[0] if len(outs) == 1 else outs

    def _run(self, values: list, libm: bool) -> list | None:
        """The group's outputs; None when (without libm) a sin or cos argument is beyond
        vmath's range."""
        if self.interpreted is not None and not libm:
            return self.interpreted(values)
        beyond: list[bool] = []

        def check(eqn: Eqn, ins: list) -> None:
            if id(eqn) in self.checked and not beyond and _beyond_vmath(eqn, ins[0]):
                beyond.append(True)
        checking = check if self.trig and not libm else None
        if self.in_blocks:
            def run_block(block: list, length: int) -> list | None:
                return None if beyond else run_dropping(
                    self.body, self._steps(length, libm), self.dead_after, block, checking)
            outs = run_in_blocks(self.body, self.shape, values, run_block)
        else:
            outs = run_dropping(self.body, self._steps(None, libm), self.dead_after, values,
                                checking)
        return None if beyond else outs


def _first_trig_of_each_argument(body: Program) -> set[int]:
    """The sin and cos equations whose argument no earlier sin or cos of `body` checked
    (`sin x` and `cos x` read the same values)."""
    first: dict[int, int] = {}
    for e in body.eqns:
        if e.prim.name in TRIG:
            first.setdefault(id(e.inputs[0]), id(e))
    return set(first.values())


def _beyond_vmath(eqn: Eqn, value) -> bool:
    """Whether a sin/cos argument reaches past vmath's range (the group then takes libm's):
    |x| >= limit somewhere, by two reductions that allocate nothing (fmax and fmin skip
    NaN, as the comparison does); an empty argument reaches nowhere."""
    limit = SIN_COS_LIMIT_F32 if eqn.out.type.dtype.itemsize == 4 else SIN_COS_LIMIT
    value = np.asarray(value)
    return value.size > 0 and bool(np.fmax.reduce(value, axis=None) >= limit
                or np.fmin.reduce(value, axis=None) <= -limit)


class Runner:
    """A program's equations, each on its step (a body of a loop or branch, too)."""

    def __init__(self, program: Program, load: LoadKernel) -> None:
        self.program = program
        self.steps = [_step_of(e, load) for e in program.eqns]
        self.dead_after = dead_vars(program)
        self.one = _one_equation(program, self.steps[0]) if len(self.steps) == 1 else None

    def __call__(self, args: list) -> list:
        if self.one is not None:
            return self.one(args)
        return run_dropping(self.program, self.steps, self.dead_after, args)


def _one_equation(program: Program, step) -> Callable[[list], list]:
    """A program of one equation (a loop body that fused whole, run at every iteration) with
    its operands and results picked by position, not looked up by name."""
    eqn = program.eqns[0]
    position = {id(v): i for i, v in enumerate(program.inputs)}
    ins = [(-1, a.value) if type(a) is Lit else (position[id(a)], None) for a in eqn.inputs]
    produced = {id(v): j for j, v in enumerate(eqn.outputs)}
    outs = [(2, 0, a.value) if type(a) is Lit else
            (0, produced[id(a)], None) if id(a) in produced else (1, position[id(a)], None)
            for a in program.outputs]
    several = len(eqn.outputs) > 1 or eqn.prim.multiple_results

    def run(args: list) -> list:
        result = step([args[i] if i >= 0 else value for i, value in ins])
        results = result if several else (result,)
        return [results[j] if kind == 0 else args[j] if kind == 1 else value
                for kind, j, value in outs]
    return run


def run_dropping(program: Program, steps: list, dead_after: list[list[int]], args: list,
                 check: Callable | None = None) -> list:
    """The program's outputs, each equation on its step, every value dropped after the last
    equation that reads it: the first tier holds what the program still needs, not every
    intermediate (a fused kernel holds none). `check(eqn, inputs)` sees each equation's
    inputs before it runs."""
    env = {id(v): x for v, x in zip(program.inputs, args)}
    for eqn, step, dead in zip(program.eqns, steps, dead_after):
        ins = [a.value if type(a) is Lit else env[id(a)] for a in eqn.inputs]
        if check is not None:
            check(eqn, ins)
        result = step(ins)
        del ins
        if len(eqn.outputs) == 1 and not eqn.prim.multiple_results:
            env[id(eqn.outputs[0])] = result
        else:
            env.update((id(v), x) for v, x in zip(eqn.outputs, result))
        for key in dead:
            del env[key]
    return [a.value if type(a) is Lit else env[id(a)] for a in program.outputs]



def _step_of(eqn: Eqn, load: LoadKernel):
    if eqn.prim.kind == "fused":
        return _Group(eqn, load)
    if eqn.prim.name in CONTROL_STEPS:
        return CONTROL_STEPS[eqn.prim.name](eqn, lambda body: Runner(body, load))
    return exact_step(eqn) or movement_step(eqn) or linalg_step(eqn) or _Single(eqn, load)


class FirstTierKernel:
    """A program run by the first tier (same calling convention as every kernel)."""

    backend = "numba-cpu first tier"

    def __init__(self, program: Program, load: LoadKernel) -> None:
        why = unsupported(program)
        if why:
            raise LoweringError(f"the first tier cannot run this program exactly: {why}")
        self.run = Runner(program, load)

    @property
    def source(self) -> str:
        return f"# first tier: each equation on a shared kernel\n{self.run.program}"

    def __call__(self, arrays: Sequence) -> tuple:
        with np.errstate(all="ignore"):  # as in the kernel: IEEE's values, no warnings
            outs = self.run(list(arrays))
        return tuple(_fresh_outputs(outs, arrays))

    def entry(self, *arrays) -> tuple:
        return self(arrays)

    first_call = __call__


def _fresh_outputs(outs: list, arrays: Sequence) -> list:
    """As every kernel: no output shares memory with an input or with another output."""
    fresh, seen = [], []
    for out in outs:
        if isinstance(out, np.ndarray) and out.ndim == 0:
            out = out[()]
        if isinstance(out, np.ndarray):
            if not out.flags.writeable or any(np.may_share_memory(out, other)
                                              for other in (*seen, *arrays)
                                              if isinstance(other, np.ndarray)):
                out = out.copy()
            seen.append(out)
        fresh.append(out)
    return fresh
